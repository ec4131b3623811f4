package org.pneumoscope.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class IbnNormTest {

    @Test
    void firstHalfIsNormalisedPerImageAndChannelTheRestByTheRunningStatistics() {
        try (NDManager m = NDManager.newBaseManager()) {
            int n = 3, c = 6, h = 4, w = 5, half = 3;
            IbnNorm ibn = new IbnNorm(new BatchNorm2d(1e-5f, 0.9f));
            ibn.initialize(m, DataType.FLOAT32, new Shape(n, c, h, w));
            // running statistics of the BatchNorm half: mean 1, variance 4
            for (var p : ibn.getParameters())
                if (p.getValue().getType() == Parameter.Type.RUNNING_MEAN) p.getValue().getArray().set(new float[] {1, 1, 1});
                else if (p.getValue().getType() == Parameter.Type.RUNNING_VAR) p.getValue().getArray().set(new float[] {4, 4, 4});
            NDArray x = m.randomNormal(new Shape(n, c, h, w)).mul(3f).add(2f);
            float[] got = ibn.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow().toFloatArray();
            float[] in = x.toFloatArray();
            int plane = h * w;
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < c; ch++) {
                    int at = (i * c + ch) * plane;
                    double mean = 0, var = 0;
                    for (int k = 0; k < plane; k++) mean += in[at + k];
                    mean /= plane;
                    for (int k = 0; k < plane; k++) var += Math.pow(in[at + k] - mean, 2);
                    var /= plane;
                    for (int k = 0; k < plane; k++) {
                        double want = ch < half ? (in[at + k] - mean) / Math.sqrt(var + GroupNorm.EPS)
                                : (in[at + k] - 1) / Math.sqrt(4 + 1e-5);
                        assertEquals(want, got[at + k], 1e-4, "image " + i + ", channel " + ch);
                    }
                }
            }
        }
    }

    @Test
    void inTrainingOnlyTheBatchNormHalfDependsOnTheOtherImages() {
        try (NDManager m = NDManager.newBaseManager()) {
            IbnNorm ibn = new IbnNorm(new BatchNorm2d(1e-5f, 0.9f));
            ibn.initialize(m, DataType.FLOAT32, new Shape(4, 8, 3, 3));
            NDArray x = m.randomNormal(new Shape(4, 8, 3, 3));
            ParameterStore ps = new ParameterStore(m, false);
            NDArray batch = ibn.forward(ps, new NDList(x), true).singletonOrThrow().get("0:1");
            NDArray alone = ibn.forward(ps, new NDList(x.get("0:2")), true).singletonOrThrow().get("0:1");
            float[] a = batch.get(":, :4").toFloatArray(), b = alone.get(":, :4").toFloatArray();
            assertArrayEquals(a, b, 1e-5f, "instance half: the image's own statistics");
            float[] c = batch.get(":, 4:").toFloatArray(), d = alone.get(":, 4:").toFloatArray();
            double diff = 0;
            for (int i = 0; i < c.length; i++) diff = Math.max(diff, Math.abs(c[i] - d[i]));
            assertTrue(diff > 1e-3, "batch half: the batch's statistics, so another batch gives another output");
        }
    }

    @Test
    void ibnNetPlacesItInTheFirstThreeStagesTrainsSavesAndAdapts(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.25).withNorm(Norm.IBN);
        assertEquals(spec, ModelSpec.decode(spec.encode()));
        try (NDManager m = NDManager.newBaseManager(); XrayNet net = XrayNet.build(spec)) {
            Map<String, Parameter> named = net.namedParameters();
            // width 0.25: 16, 32 and 64 channels in the first three stages, half of them instance-normalised
            Map<String, Long> half = Map.of("layer1.0", 8L, "layer1.1", 8L, "layer2.0", 16L, "layer3.1", 32L);
            for (var e : half.entrySet()) {
                String s = e.getKey();
                assertEquals(e.getValue(), named.get(s + ".bn1.IN.weight").getArray().getShape().get(0), s + ": instance half");
                assertEquals(e.getValue(), named.get(s + ".bn1.BN.running_mean").getArray().getShape().get(0), s + ": batch half");
                assertTrue(named.containsKey(s + ".bn2.running_mean"), s + ": the second normalisation is BatchNorm");
            }
            assertTrue(named.containsKey("layer4.0.bn1.running_mean") && !named.containsKey("layer4.0.bn1.IN.weight"),
                    "layer4 stays batch-normalised");
            assertTrue(named.containsKey("bn1.running_mean"), "the stem stays batch-normalised");

            NDArray x = m.randomNormal(new Shape(4, 1, 64, 64));
            // zero-init residual starts each branch's last scale at 0, which would leave the branch's first
            // normalisation without gradient on the first step
            for (var e : named.entrySet()) {
                if (!e.getKey().endsWith("bn2.weight")) continue;
                float[] ones = new float[(int) e.getValue().getArray().size()];
                java.util.Arrays.fill(ones, 1f);
                e.getValue().getArray().set(ones);
            }
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                for (Parameter p : net.block().getParameters().values())
                    if (p.requiresGradient()) p.getArray().setRequiresGradient(true);
                gc.backward(net.block().forward(new ParameterStore(m, false), new NDList(x), true).singletonOrThrow().sum());
            }
            for (String name : List.of("layer1.0.bn1.IN.weight", "layer2.0.bn1.IN.bias", "layer3.0.bn1.BN.weight"))
                assertTrue(named.get(name).getArray().getGradient().abs().sum().getFloat() > 0, name + " receives a gradient");

            GroupNormTest.savesAndLoadsTheSame(net, x, dir.resolve("ibn.params"), Norm.IBN);

            NDArray stat = named.get("layer2.0.bn1.BN.running_mean").getArray();
            float[] old = stat.toFloatArray();
            assertEquals(1, net.recalibrateBatchNorm(List.of(m.randomNormal(new Shape(8, 1, 64, 64)).mul(2f).add(1f))));
            assertFalse(java.util.Arrays.equals(old, stat.toFloatArray()), "adapt re-estimates the BatchNorm half");
        }
    }
}
