package org.pneumoscope.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class StyleMixingTest {

    /** Per film and channel: {mean, SD} over the plane. */
    private static double[][][] stats(float[] v, int n, int c, int plane) {
        double[][][] s = new double[n][c][2];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++) {
                int at = (i * c + ch) * plane;
                double mean = 0, var = 0;
                for (int k = 0; k < plane; k++) mean += v[at + k];
                mean /= plane;
                for (int k = 0; k < plane; k++) var += (v[at + k] - mean) * (v[at + k] - mean);
                s[i][ch] = new double[] {mean, Math.sqrt(var / plane)};
            }
        return s;
    }

    @Test
    void eachFilmTakesTheMixOfStatisticsItsRowAsksForAndKeepsItsOwnPattern() {
        try (NDManager m = NDManager.newBaseManager()) {
            int n = 3, c = 2, h = 4, w = 5, plane = h * w;
            NDArray x = m.randomNormal(new Shape(n, c, h, w));
            float[] scale = {0.5f, 1f, 2f, 3f, 4f, 6f}, shift = {-2f, 0f, 1f, 5f, 3f, -1f};
            x = x.mul(m.create(scale, new Shape(n, c, 1, 1))).add(m.create(shift, new Shape(n, c, 1, 1)));
            // film 0 takes film 1's statistics, film 1 a 30/70 mix of its own and film 2's, film 2 keeps its own
            float[] rows = {0, 1, 0, 0, 0.3f, 0.7f, 0, 0, 1};
            float[] in = x.toFloatArray(), out = StyleMixing.mix(x, rows).toFloatArray();
            double[][][] a = stats(in, n, c, plane), b = stats(out, n, c, plane);
            for (int ch = 0; ch < c; ch++) {
                assertArrayEquals(a[1][ch], b[0][ch], 1e-4, "film 0 channel " + ch);
                assertEquals(0.3 * a[1][ch][0] + 0.7 * a[2][ch][0], b[1][ch][0], 1e-4);
                assertEquals(0.3 * a[1][ch][1] + 0.7 * a[2][ch][1], b[1][ch][1], 1e-4);
                assertArrayEquals(a[2][ch], b[2][ch], 1e-4, "film 2 keeps its statistics");
            }
            // film 0's standardised pattern is its own, not film 1's
            for (int k = 0; k < plane; k++) {
                double z0 = (in[k] - a[0][0][0]) / a[0][0][1], z0out = (out[k] - b[0][0][0]) / b[0][0][1];
                assertEquals(z0, z0out, 1e-3);
            }
        }
    }

    @Test
    void everyRowMixesAFilmWithOneOtherAndSumsToOne() {
        StyleMixing s = new StyleMixing(1.0, 5);
        int n = 32, extremes = 0;
        float[] w = s.mixingMatrix(n);
        boolean[] taken = new boolean[n];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            int others = 0;
            for (int j = 0; j < n; j++) {
                sum += w[i * n + j];
                if (j != i && w[i * n + j] > 0) { others++; assertFalse(taken[j], "column " + j + " used twice"); taken[j] = true; }
            }
            assertEquals(1.0, sum, 1e-6);
            assertTrue(others <= 1);
            if (w[i * n + i] > 0.9 || w[i * n + i] < 0.1) extremes++;
        }
        assertTrue(extremes >= n / 2, "Beta(0.1, 0.1) puts most weights near 0 or 1; " + extremes + " of " + n);
        assertThrows(IllegalArgumentException.class, () -> new StyleMixing(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new StyleMixing(1.5, 1));
    }

    @Test
    void aNetworkMixesInTrainingPassesOnlyAndTrainsThroughTheMixedStages() {
        ModelSpec spec = new ModelSpec(Arch.RESNET18, 1, 64, Head.LINEAR, 0.125, false);
        try (XrayNet net = XrayNet.build(spec); NDManager m = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(4, 1, 64, 64));
            // the training pass first: it moves the running statistics that the inference pass then reads
            float[] plainTrain = net.block().forward(ps, new NDList(x), true).singletonOrThrow().toFloatArray();
            float[] plainEval = net.block().forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
            net.mixStylesAfter(new StyleMixing(1.0, 3), List.of("layer1", "layer2", "layer3"));
            assertArrayEquals(plainEval, net.block().forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray(), 0f,
                    "inference never mixes");
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = net.block().forward(ps, new NDList(x), true).singletonOrThrow();
                assertFalse(java.util.Arrays.equals(plainTrain, out.toFloatArray()), "a training pass mixes");
                gc.backward(out.square().sum());
            }
            NDArray g = net.namedParameters().get("conv1.weight").getArray().getGradient();
            assertTrue(g.abs().sum().getFloat() > 0, "the stem before the mixing points still learns");
            net.mixStylesAfter(null, List.of());
            assertThrows(IllegalArgumentException.class,
                    () -> net.mixStylesAfter(new StyleMixing(1.0, 3), List.of("layer9")));
        }
    }
}
