package org.pneumoscope.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.UserException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class XrayNetTest {

    @Test
    void parameterCountsMatchTorchvision() {
        // torchvision: sum(p.numel() for p in resnetXX(num_classes=1000).parameters())
        long[][] expected = {{18, 11_689_512L}, {34, 21_797_672L}, {50, 25_557_032L}};
        for (long[] e : expected) {
            try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.valueOf("RESNET" + e[0]), 3, 64, Head.LINEAR), 1000)) {
                assertEquals(e[1], net.parameterCount(), "resnet" + e[0]);
                assertEquals(e[1], net.trainableParameterCount(), "resnet" + e[0] + " trainable");
            }
        }
    }

    @Test
    void countsForOurHeadsAndWidths() {
        // torchvision minus its 1000-class fc (and, for grey input, two thirds of conv1) plus our head
        long r18Backbone = 11_689_512L - (512 * 1000 + 1000), r50Backbone = 25_557_032L - (2048 * 1000 + 1000);
        long seedHead2048 = 2 * 2048 + (2048 * 128 + 128) + 2 * 128 + (128 * 64 + 64) + 2 * 64 + (64 * 64 + 64) + (64 * 3 + 3);
        try (XrayNet a = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR));
             XrayNet b = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.5));
             XrayNet c = XrayNet.build(ModelSpec.of(Arch.RESNET50, 3, 64, Head.SEED))) {
            assertEquals(r18Backbone - 64 * 2 * 49 + 512 * 3 + 3, a.parameterCount());
            assertEquals(11_171_779L, a.parameterCount());
            assertEquals(2_796_515L, b.parameterCount());
            assertEquals(r50Backbone + seedHead2048, c.parameterCount());
            assertEquals(23_787_395L, c.parameterCount());
        }
    }

    @Test
    void forwardGivesThreeLogitsForAnySizeAndChannels() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (int channels : new int[] {1, 3}) {
                try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET18, channels, 64, Head.SEED))) {
                    for (int size : new int[] {64, 96, 100}) {
                        NDArray x = m.randomNormal(new Shape(2, channels, size, size));
                        NDArray y = net.predict(x);
                        assertEquals(new Shape(2, 3), y.getShape(), "channels " + channels + " size " + size);
                        assertFalse(Float.isNaN(y.sum().getFloat()));
                    }
                }
            }
        }
    }

    @Test
    void layerNamesFollowTorchvision() {
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET34, 1, 64, Head.LINEAR))) {
            List<String> names = net.layerNames();
            assertEquals(List.of("stem", "layer1", "layer1.0", "layer1.1", "layer1.2", "layer2"), names.subList(0, 6));
            assertTrue(names.contains("layer3.5"));
            assertFalse(names.contains("layer3.6"));
            assertEquals("head", names.get(names.size() - 1));
            assertEquals(1 + 4 + (3 + 4 + 6 + 3) + 1, names.size());
            assertTrue(net.namedParameters().containsKey("layer3.2.bn1.running_mean"));
            assertTrue(net.namedParameters().containsKey("layer2.0.downsample.0.weight"));
            assertTrue(net.namedParameters().containsKey("fc.weight"));
        }
    }

    @Test
    void widthMultiplierHalvesStageChannels() {
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.5));
             NDManager m = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(1, 1, 64, 64));
            long[] expect = {32, 32, 64, 128, 256};
            String[] layers = {"stem", "layer1", "layer2", "layer3", "layer4"};
            for (int i = 0; i < layers.length; i++)
                assertEquals(expect[i], net.forwardTo(ps, x, layers[i], false).singletonOrThrow().getShape().get(1), layers[i]);
            try (XrayNet full = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR))) {
                assertTrue(net.parameterCount() * 3 < full.parameterCount(), "half width has about a quarter of the weights");
            }
        }
    }

    @Test
    void splitForwardEqualsWholeForward() {
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET50, 3, 64, Head.SEED).withWidth(0.25));
             NDManager m = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(2, 3, 64, 64));
            NDArray whole = net.predict(x);
            for (String layer : List.of("stem", "layer1.0", "layer2", "layer3.4", "layer4")) {
                NDArray a = net.forwardTo(ps, x, layer, false).singletonOrThrow();
                assertEquals(4, a.getShape().dimension(), layer);
                NDArray y = net.forwardFrom(ps, a, layer, false);
                assertTrue(whole.allClose(y, 1e-4, 1e-5, false), layer);
            }
        }
    }

    @Test
    void trainingForwardFreesItsIntermediatesAndBackwardStillReachesEveryLayer() {
        // ~60 layers of activations would otherwise stay alive until the batch's manager closes (docs/models.md, "Speed")
        // (zero-initialised last BNs would leave their branches without gradient at the start, whatever the freeing)
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET50, 1, 64, Head.SEED).withWidth(0.25).withZeroInitResidual(false));
             NDManager m = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            try (NDManager batch = m.newSubManager();
                 ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray x = batch.randomNormal(new Shape(4, 1, 64, 64));
                NDArray logits = net.block().forward(ps, new NDList(x), true).singletonOrThrow();
                int alive = batch.getManagedArrays().size();
                assertTrue(alive <= 8, "arrays alive under the batch's manager after a training forward: " + alive);
                gc.backward(logits.square().sum());
            }
            for (var e : net.namedParameters().entrySet()) {
                Parameter p = e.getValue();
                if (!p.requiresGradient() || e.getKey().endsWith("running_mean") || e.getKey().endsWith("running_var")) continue;
                float g = p.getArray().getGradient().abs().sum().getFloat();
                assertTrue(Float.isFinite(g) && g > 0, e.getKey() + " got no gradient: " + g);
            }
        }
    }

    @Test
    void zeroInitResidualStartsBranchesAtIdentity() {
        try (XrayNet z = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR));
             XrayNet n = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withZeroInitResidual(false))) {
            assertEquals(0f, z.namedParameters().get("layer1.0.bn2.weight").getArray().abs().sum().getFloat());
            assertEquals(1f, z.namedParameters().get("layer1.0.bn1.weight").getArray().min().getFloat());
            assertEquals(1f, n.namedParameters().get("layer1.0.bn2.weight").getArray().min().getFloat());
        }
    }

    /** Trainable parameters of one torchvision bottleneck block (no conv bias; BN gamma+beta). */
    private static long bottleneck(long in, long planes, boolean downsample) {
        long p = planes, out = 4 * planes;
        long n = in * p + 2 * p + 9 * p * p + 2 * p + p * out + 2 * out;
        if (downsample) n += in * out + 2 * out;
        return n;
    }

    @Test
    void freezingMatchesTheSeedStudysCuts() {
        long seedHead = 2 * 2048 + (2048 * 128 + 128) + 2 * 128 + (128 * 64 + 64) + 2 * 64 + (64 * 64 + 64) + (64 * 3 + 3);
        long layer4 = bottleneck(1024, 512, true) + 2 * bottleneck(2048, 512, false);
        long layer3Last3 = 3 * bottleneck(1024, 256, false);
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET50, 3, 64, Head.SEED))) {
            long all = net.parameterCount();
            assertEquals(all, net.trainableParameterCount());
            net.freezeThrough("layer3");                    // Keras layers[:144]
            assertEquals(layer4 + seedHead, net.trainableParameterCount());
            assertEquals(15_244_099L, net.trainableParameterCount());
            net.freezeThrough("layer3.2");                  // Keras layers[:114]
            assertEquals(layer4 + layer3Last3 + seedHead, net.trainableParameterCount());
            assertEquals(18_595_651L, net.trainableParameterCount());
            assertFalse(net.namedParameters().get("layer3.2.conv1.weight").requiresGradient());
            assertTrue(net.namedParameters().get("layer3.3.conv1.weight").requiresGradient());
            assertFalse(net.namedParameters().get("layer3.3.bn1.running_mean").requiresGradient(), "running stats never train");
            net.freezeThrough("none");
            assertEquals(all, net.trainableParameterCount());
            net.freezeThrough("head");
            assertEquals(0, net.trainableParameterCount());
        }
    }

    @Test
    void unknownLayerListsValidNames() {
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.freezeThrough("conv5"));
            assertTrue(e.getMessage().contains("conv5") && e.getMessage().contains("layer3.1") && e.getMessage().contains("stem"),
                    e.getMessage());
        }
    }

    @Test
    void frozenLayersKeepTheirBatchNormStatistics() {
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR));
             NDManager m = NDManager.newBaseManager()) {
            net.freezeThrough("layer2");
            float frozenBefore = net.namedParameters().get("layer2.1.bn1.running_mean").getArray().sum().getFloat();
            float liveBefore = net.namedParameters().get("layer3.0.bn1.running_mean").getArray().sum().getFloat();
            net.block().forward(new ParameterStore(m, false), new NDList(m.randomNormal(new Shape(4, 1, 64, 64)).add(3f)), true);
            assertEquals(frozenBefore, net.namedParameters().get("layer2.1.bn1.running_mean").getArray().sum().getFloat());
            assertNotEquals(liveBefore, net.namedParameters().get("layer3.0.bn1.running_mean").getArray().sum().getFloat());
        }
    }

    @Test
    void l2ParametersAreTheSeedHeadsHiddenDenseKernels() {
        try (XrayNet seed = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.SEED));
             XrayNet linear = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR))) {
            List<Parameter> l2 = seed.l2Parameters();
            assertEquals(3, l2.size());
            assertEquals(new Shape(128, 512), l2.get(0).getArray().getShape());
            assertEquals(new Shape(64, 64), l2.get(2).getArray().getShape());
            double expect = 0;
            for (Parameter p : l2) expect += p.getArray().square().sum().getFloat();
            assertEquals(1e-3 * expect, seed.l2Penalty().getFloat(), 1e-6 * Math.max(1, expect));
            assertTrue(linear.l2Parameters().isEmpty());
            assertNull(linear.l2Penalty());
        }
    }

    @Test
    void saveAndLoadRoundTripExactly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.params");
        try (NDManager m = NDManager.newBaseManager();
             XrayNet a = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.SEED));
             XrayNet b = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.SEED))) {
            // move BN statistics away from their initial values so that they are part of what must round-trip
            a.block().forward(new ParameterStore(m, false), new NDList(m.randomNormal(new Shape(4, 1, 64, 64)).mul(2f)), true);
            NDArray x = m.randomNormal(new Shape(3, 1, 64, 64));
            float[] before = a.predict(x).toFloatArray();
            assertFalse(java.util.Arrays.equals(before, b.predict(x).toFloatArray()), "two fresh nets differ");
            a.save(file);
            try (var files = Files.list(dir)) {
                assertEquals(List.of(file), files.toList(), "no temporary file left behind");
            }
            Path plain = Files.writeString(dir.resolve("plain.txt"), "x");
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file),
                    "the model file gets the usual permissions, not a temp file's owner-only ones");
            Files.delete(plain);
            b.freezeThrough("layer2");
            b.load(file);
            assertArrayEquals(before, b.predict(x).toFloatArray());
            assertEquals("layer2", b.frozenThrough());
            assertFalse(b.namedParameters().get("layer1.0.conv1.weight").requiresGradient(), "freezing survives a load");
            assertTrue(b.namedParameters().get("layer4.0.conv1.weight").requiresGradient());
            try (XrayNet c = XrayNet.open(file)) {
                assertArrayEquals(before, c.predict(x).toFloatArray());
                assertEquals(a.spec(), c.spec());
            }
        }
    }

    @Test
    void loadRefusesAnotherArchitectureWithAClearMessage(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("r18.params");
        try (XrayNet a = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR));
             XrayNet b = XrayNet.build(ModelSpec.of(Arch.RESNET34, 1, 64, Head.LINEAR))) {
            a.save(file);
            UserException e = assertThrows(UserException.class, () -> b.load(file));
            assertTrue(e.getMessage().contains("resnet18") && e.getMessage().contains("resnet34"), e.getMessage());
            Files.writeString(dir.resolve("junk.params"), "not a model");
            UserException j = assertThrows(UserException.class, () -> b.load(dir.resolve("junk.params")));
            assertTrue(j.getMessage().contains("junk.params"), j.getMessage());
        }
    }

    @Test
    void specValidationNamesTheProblem() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSpec.decode("arch=resnet101 channels=1 size=224 head=linear"))
                .getMessage().contains("resnet101"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSpec.of(Arch.RESNET18, 2, 224, Head.LINEAR))
                .getMessage().contains("1 or 3"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSpec.of(Arch.RESNET18, 1, 32, Head.LINEAR))
                .getMessage().contains("64"));
        ModelSpec s = new ModelSpec(Arch.RESNET50, 3, 224, Head.SEED, 0.5, false);
        assertEquals(s, ModelSpec.decode(s.encode()));
        // a TorchScript backbone is recorded in checkpoints, but no config may choose it
        assertEquals(Arch.TORCHSCRIPT, ModelSpec.decode("arch=torchscript channels=1 size=64 head=linear").arch());
        assertNull(org.pneumoscope.core.Choices.find(Arch.class, "torchscript"));
        assertEquals("resnet18, resnet34, resnet50", org.pneumoscope.core.Choices.known(Arch.class));
    }
}
