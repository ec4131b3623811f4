package org.pneumoscope.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.UserException;
import org.pneumoscope.testing.RequiredTools;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.explain.GradCam;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PretrainedWeightsTest {

    static Path tinyBackbone() throws URISyntaxException {
        return Path.of(PretrainedWeightsTest.class.getResource("/tiny_backbone.pt").toURI());
    }

    @Test
    void imagenetWithoutPermissionSaysHowToGetIt() {
        UserException e = assertThrows(UserException.class, () -> PretrainedWeights.resolve("imagenet", false));
        assertTrue(e.getMessage().contains("--allow-download") && e.getMessage().contains("--weights FILE"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        PretrainedWeights imagenet = PretrainedWeights.resolve("ImageNet", true);
        assertEquals(PretrainedWeights.Kind.IMAGENET, imagenet.kind());
        // refused before anything is fetched: the zoo has ResNet-18 and -50 only
        UserException r34 = assertThrows(UserException.class, () -> imagenet.createNet(ModelSpec.of(Arch.RESNET34, 3, 224, Head.SEED)));
        assertTrue(r34.getMessage().contains("resnet18 and resnet50"), r34.getMessage());
        assertEquals("true", System.getProperty("ai.djl.offline"), "still offline");
        assertEquals(PretrainedWeights.Kind.NONE, PretrainedWeights.resolve("none", false).kind());
        assertEquals(PretrainedWeights.Kind.NONE, PretrainedWeights.resolve(null, false).kind());
    }

    @Test
    void missingOrUnknownFilesAreNamed(@TempDir Path dir) throws IOException {
        UserException missing = assertThrows(UserException.class,
                () -> PretrainedWeights.resolve(dir.resolve("nope.pt").toString(), false));
        assertTrue(missing.getMessage().contains("nope.pt"), missing.getMessage());
        Path junk = dir.resolve("junk.bin");
        Files.writeString(junk, "hello");
        UserException unknown = assertThrows(UserException.class, () -> PretrainedWeights.resolve(junk.toString(), false));
        assertTrue(unknown.getMessage().contains("junk.bin"), unknown.getMessage());
    }

    @Test
    void checkpointGivesItsBackboneAndItsHeadOnlyWhenShapesMatch(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("seed.params");
        try (NDManager m = NDManager.newBaseManager();
             XrayNet src = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.SEED).withWidth(0.5))) {
            src.save(file);
            NDArray x = m.randomNormal(new Shape(2, 1, 64, 64));
            ParameterStore ps = new ParameterStore(m, false);
            float[] srcFeatures = src.forwardTo(ps, x, "layer4", false).singletonOrThrow().toFloatArray();
            float[] srcLogits = src.predict(x).toFloatArray();

            PretrainedWeights w = PretrainedWeights.resolve(file.toString(), false);
            assertEquals(PretrainedWeights.Kind.CHECKPOINT, w.kind());
            PretrainedWeights.Result linear = w.createNet(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.5));
            try (XrayNet net = linear.net()) {
                assertArrayEquals(srcFeatures, net.forwardTo(ps, x, "layer4", false).singletonOrThrow().toFloatArray());
                assertTrue(String.join("; ", linear.notes()).contains("head starts fresh"), linear.notes().toString());
            }
            PretrainedWeights.Result same = w.createNet(ModelSpec.of(Arch.RESNET18, 1, 64, Head.SEED).withWidth(0.5));
            try (XrayNet net = same.net()) {
                assertArrayEquals(srcLogits, net.predict(x).toFloatArray());
            }
            UserException e = assertThrows(UserException.class, () -> w.createNet(ModelSpec.of(Arch.RESNET34, 1, 64, Head.SEED).withWidth(0.5)));
            assertTrue(e.getMessage().contains("resnet18") && e.getMessage().contains("resnet34"), e.getMessage());
        }
    }

    @Test
    void torchScriptBackboneIsFineTunableAndExplainable(@TempDir Path dir) throws Exception {
        // head initialisation and inputs come from torch's RNG: seed it so the result does not depend on test order
        ai.djl.engine.Engine.getInstance().setRandomSeed(20261127);
        PretrainedWeights w = PretrainedWeights.resolve(tinyBackbone().toString(), false);
        assertEquals(PretrainedWeights.Kind.TORCHSCRIPT, w.kind());
        try (XrayNet net = w.createNet(ModelSpec.of(Arch.RESNET18, 1, 64, Head.SEED)).net();
             Model model = Model.newInstance("ts");
             NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of("backbone", "head"), net.layerNames());
            assertEquals(Arch.TORCHSCRIPT, net.spec().arch());
            long backboneParams = net.namedParameters().entrySet().stream()
                    .filter(e -> e.getKey().startsWith("backbone.")).mapToLong(e -> e.getValue().getArray().size()).sum();
            assertEquals(5944, backboneParams, "the tiny backbone's parameters are visible");
            assertEquals(net.parameterCount(), net.trainableParameterCount());

            NDArray x = m.randomUniform(0, 1, new Shape(4, 1, 64, 64));
            assertEquals(new Shape(4, 3), net.predict(x).getShape());

            Parameter conv = net.namedParameters().get("backbone.features.0.weight");
            float[] before = conv.getArray().toFloatArray();
            model.setBlock(net.block());
            DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-2f)).build());
            try (Trainer trainer = model.newTrainer(cfg)) {
                trainer.initialize(new Shape(4, 1, 64, 64));
                try (GradientCollector gc = trainer.newGradientCollector()) {
                    NDArray logits = trainer.forward(new NDList(x)).singletonOrThrow();
                    gc.backward(trainer.getLoss().evaluate(new NDList(m.create(new float[] {0, 1, 2, 0})), new NDList(logits)));
                }
                trainer.step();
            }
            float[] after = conv.getArray().toFloatArray();
            double change = 0;
            for (int i = 0; i < before.length; i++) change += Math.abs(after[i] - before[i]);
            assertTrue(change > 1e-3, "one Adam step moved the TorchScript backbone's first conv: " + change);

            CamResult cam = GradCam.compute(net, m, m.randomUniform(0, 1, new Shape(1, 1, 64, 64)), "backbone", null);
            assertEquals(64 * 64, cam.map().length);
            float max = 0;
            for (float v : cam.map()) max = Math.max(max, v);
            assertTrue(max == 1f, "a normalised map with some evidence");

            // frozen backbone: nothing of it trains
            net.freezeThrough("backbone");
            assertEquals(net.parameterCount() - backboneParams, net.trainableParameterCount());
            net.freezeThrough("none");

            // saving keeps the whole module, loading gives the same logits
            NDArray probe = m.randomUniform(0, 1, new Shape(2, 1, 64, 64));
            float[] logits = net.predict(probe).toFloatArray();
            Path file = dir.resolve("ts.params");
            net.save(file);
            try (XrayNet back = XrayNet.open(file)) {
                assertArrayEquals(logits, back.predict(probe).toFloatArray(), 1e-6f);
                assertEquals(List.of("backbone", "head"), back.layerNames());
            }
            try (XrayNet other = w.createNet(ModelSpec.of(Arch.RESNET18, 1, 64, Head.SEED)).net()) {
                other.load(file);
                assertArrayEquals(logits, other.predict(probe).toFloatArray(), 1e-6f);
            }
        }
    }

    @Test
    void torchScriptBackboneGivenTheWrongChannelsIsRefusedClearly() throws Exception {
        UserException e = assertThrows(UserException.class,
                () -> XrayNet.fromTorchScript(tinyBackbone(), ModelSpec.of(Arch.RESNET18, 3, 64, Head.LINEAR)));
        assertTrue(e.getMessage().contains("tiny_backbone.pt"), e.getMessage());
    }

    @Test
    void batchNormRecalibrationAveragesBatchStatistics() {
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.25));
             NDManager m = NDManager.newBaseManager()) {
            List<NDArray> batches = new ArrayList<>();
            for (int i = 0; i < 3; i++) batches.add(m.randomNormal(new Shape(4, 1, 64, 64)).mul(0.5f).add(i));
            net.freezeThrough("layer1");
            assertEquals(3, net.recalibrateBatchNorm(batches));
            NDArray w = net.namedParameters().get("conv1.weight").getArray();
            NDArray expected = null;
            for (NDArray b : batches) {
                NDArray y = Conv2d.conv2d(b, w, null, new Shape(2, 2), new Shape(3, 3)).singletonOrThrow();
                NDArray mean = y.mean(new int[] {3}).mean(new int[] {2}).mean(new int[] {0});
                expected = expected == null ? mean : expected.add(mean);
            }
            expected = expected.div(3f);
            NDArray got = net.namedParameters().get("bn1.running_mean").getArray();
            assertTrue(got.allClose(expected, 1e-3, 1e-4, false), "stem BN mean = average of the batch means");
            assertEquals("layer1", net.frozenThrough(), "freezing is left as it was");
        }
    }

    // ------------------------------------------------------------------ torchvision equivalence

    static float[] readFloats(Path f) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    @Test
    void ourResNetsComputeWhatTorchvisionComputes(@TempDir Path dir) throws Exception {
        RequiredTools.assume("torch", Files.isExecutable(Path.of("/usr/bin/python3")), "skipped: /usr/bin/python3 is not installed");
        Path script = Path.of("scripts", "export_torchvision_resnet.py").toAbsolutePath();
        List<String> archs = List.of("resnet18", "resnet50");
        List<Process> exports = new ArrayList<>();
        for (String arch : archs) // both exports at once: each is mostly one core of tracing and writing
            exports.add(new ProcessBuilder("/usr/bin/python3", script.toString(), "--arch", arch,
                    "--out", dir.resolve(arch + ".pt").toString(), "--reference", dir.resolve(arch).toString(), "--size", "64")
                    .redirectErrorStream(true).start());
        for (Process p : exports) {
            String log = new String(p.getInputStream().readAllBytes());
            int rc = p.waitFor();
            RequiredTools.assume("torch", rc == 0 || !log.contains("No module named"), "skipped: /usr/bin/python3 lacks torch or torchvision "
                    + "(apt-get install -y python3-torch python3-torchvision)");
            assertEquals(0, rc, log);
        }
        for (String arch : archs) {
            Path pt = dir.resolve(arch + ".pt"), ref = dir.resolve(arch);
            try (NDManager m = NDManager.newBaseManager();
                 XrayNet net = XrayNet.build(ModelSpec.of(Arch.valueOf(arch.toUpperCase(java.util.Locale.ROOT)), 3, 64, Head.LINEAR).withZeroInitResidual(false), 1000)) {
                Map<String, NDArray> params = PretrainedWeights.torchScriptParameters(m, pt);
                List<String> notes = new ArrayList<>();
                assertTrue(PretrainedWeights.copyInto(net, params, pt.toString(), notes), "BN statistics travelled with the file");
                NDArray x = m.create(readFloats(ref.resolve("input.f32")), new Shape(2, 3, 64, 64));
                float[] expected = readFloats(ref.resolve("logits.f32"));
                float[] got = net.predict(x).toFloatArray();
                assertEquals(expected.length, got.length);
                double worst = 0, scale = 0;
                for (int i = 0; i < got.length; i++) {
                    worst = Math.max(worst, Math.abs(got[i] - expected[i]));
                    scale = Math.max(scale, Math.abs(expected[i]));
                }
                assertTrue(worst <= 1e-4 * Math.max(1, scale), arch + ": max |ours - torchvision| = " + worst + " (logit scale " + scale + ")");
            }
            if (!arch.equals("resnet18")) continue;
            // the normal route: 3-class model, grey input, imported backbone
            PretrainedWeights.Result r = PretrainedWeights.resolve(pt.toString(), false).createNet(ModelSpec.of(Arch.valueOf(arch.toUpperCase(java.util.Locale.ROOT)), 1, 64, Head.SEED));
            try (XrayNet net = r.net()) {
                assertFalse(r.needsBatchNormRecalibration());
                assertTrue(String.join("; ", r.notes()).contains("adapted from 3 to 1"), r.notes().toString());
            }
        }
    }
}
