package org.pneumoscope.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class GroupNormTest {

    @Test
    void normalisesEachImagesGroupsByTheirOwnStatistics() {
        try (NDManager m = NDManager.newBaseManager()) {
            GroupNorm gn = new GroupNorm();
            int n = 2, c = 64, h = 3, w = 5;
            gn.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(n, c, h, w));
            NDArray x = m.randomNormal(new Shape(n, c, h, w)).mul(3f).add(1.5f);
            float[] got = gn.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow().toFloatArray();
            float[] in = x.toFloatArray();
            int groups = GroupNorm.groupsFor(c), per = c / groups * h * w;
            assertEquals(32, groups);
            for (int g = 0; g < n * groups; g++) {
                double mean = 0, var = 0;
                for (int i = 0; i < per; i++) mean += in[g * per + i];
                mean /= per;
                for (int i = 0; i < per; i++) var += Math.pow(in[g * per + i] - mean, 2);
                var /= per;
                for (int i = 0; i < per; i++)
                    assertEquals((in[g * per + i] - mean) / Math.sqrt(var + 1e-5), got[g * per + i], 1e-4, "group " + g);
            }
        }
    }

    @Test
    void sameInTrainingAndInferenceAndIndependentOfTheOtherImagesInTheBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            GroupNorm gn = new GroupNorm();
            gn.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(3, 16, 4, 4));
            NDArray x = m.randomNormal(new Shape(3, 16, 4, 4));
            ParameterStore ps = new ParameterStore(m, false);
            float[] train = gn.forward(ps, new NDList(x), true).singletonOrThrow().toFloatArray();
            float[] infer = gn.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
            assertArrayEquals(train, infer, 1e-6f);
            float[] alone = gn.forward(ps, new NDList(x.get("0:1")), false).singletonOrThrow().toFloatArray();
            for (int i = 0; i < alone.length; i++) assertEquals(alone[i], infer[i], 1e-5, "first image, element " + i);
            assertEquals(16, GroupNorm.groupsFor(16), "16 channels: one group each");
            assertEquals(24, GroupNorm.groupsFor(48));
        }
    }

    @Test
    void groupNormNetTrainsSavesAndLoadsWithoutRunningStatistics(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.25).withNorm(Norm.GROUP);
        assertEquals(spec, ModelSpec.decode(spec.encode()));
        assertFalse(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).encode().contains("norm"),
                "a BatchNorm net's header is what it was before norm existed");
        try (NDManager m = NDManager.newBaseManager(); XrayNet net = XrayNet.build(spec)) {
            for (Parameter p : net.block().getParameters().values())
                assertNotEquals(Parameter.Type.RUNNING_MEAN, p.getType(), "no running statistics in a group-norm net");
            NDArray x = m.randomNormal(new Shape(4, 1, 64, 64));
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                for (Parameter p : net.block().getParameters().values()) p.getArray().setRequiresGradient(true);
                NDArray y = net.block().forward(new ParameterStore(m, false), new NDList(x), true).singletonOrThrow();
                gc.backward(y.sum());
            }
            // the branches' last scales start at zero (zero-init residual), so these are the ones that move first
            for (String name : new String[] {"bn1.weight", "layer1.0.bn2.weight", "layer4.1.bn2.bias"}) {
                NDArray g = net.namedParameters().get(name).getArray().getGradient();
                assertTrue(g.abs().sum().getFloat() > 0, name + " receives a gradient");
            }
            savesAndLoadsTheSame(net, x, dir.resolve("gn.params"), Norm.GROUP);
        }
    }

    /** The net written to {@code file} and read back predicts {@code x} as before, with its normalisation. */
    static void savesAndLoadsTheSame(XrayNet net, NDArray x, Path file, Norm norm) throws Exception {
        float[] before = net.predict(x).toFloatArray();
        net.save(file);
        try (XrayNet back = XrayNet.open(file)) {
            assertEquals(norm, back.spec().norm());
            assertArrayEquals(before, back.predict(x).toFloatArray(), 1e-6f);
        }
    }
}
