package org.pneumoscope.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.junit.jupiter.api.Test;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Contrast;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.data.Sample;
import org.pneumoscope.model.Arch;
import org.pneumoscope.model.Head;
import org.pneumoscope.model.ModelSpec;
import org.pneumoscope.model.PretrainedWeights;
import org.pneumoscope.model.XrayNet;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Weights without BatchNorm statistics (a torchvision file's parameters, whose buffers TorchScript does not list) are
 * flagged, and training re-estimates the statistics on its films before the first step: every BatchNorm, frozen ones
 * too, then normalises by the training films' own mean and variance instead of 0 and 1.
 */
class BatchNormRecalibrationTest {
    static final int SIZE = 64;

    /** Films with a bright gradient: far from the mean 0 / variance 1 an unset BatchNorm assumes. */
    static GreyImage film(int k) {
        byte[] px = new byte[SIZE * SIZE];
        for (int y = 0; y < SIZE; y++)
            for (int x = 0; x < SIZE; x++) px[y * SIZE + x] = (byte) Math.min(255, 120 + x + y + 5 * k);
        return new GreyImage(SIZE, SIZE, px);
    }

    @Test
    void weightsWithoutStatisticsAreFlaggedAndTheTrainingFilmsStatisticsReplaceThem() throws Exception {
        ModelSpec spec = ModelSpec.of(Arch.RESNET18, 1, SIZE, Head.LINEAR).withWidth(0.25);
        try (XrayNet source = XrayNet.build(spec); NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            source.namedParameters().forEach((k, p) -> {
                if (!k.endsWith(".running_mean") && !k.endsWith(".running_var")) params.put(k, p.getArray());
            });
            PretrainedWeights.Result r = PretrainedWeights.fromTorchvisionArrays(spec, params, "a file without statistics");
            assertTrue(r.needsBatchNormRecalibration());
            try (XrayNet net = r.net()) {
                net.freezeThrough("layer2");
                NDArray mean = net.namedParameters().get("bn1.running_mean").getArray();
                NDArray var = net.namedParameters().get("bn1.running_var").getArray();
                assertEquals(0, mean.abs().max().getFloat(), 0, "unset: mean 0");

                List<Sample> train = new ArrayList<>();
                for (int i = 0; i < 16; i++) train.add(new Sample(Path.of("f" + i + ".png"), Label.of(i % 3), "p" + i, "train"));
                InputRecipe recipe = InputRecipe.of(SIZE, ResizeMode.SQUASH, Contrast.NONE, 1);
                ImageSource images = s -> film(Integer.parseInt(s.patientId().substring(1)));
                assertEquals(2, Models.recalibrateBatchNorm(net, train, images, recipe, 8), "16 films in batches of 8");

                // the stem's BatchNorm now holds the mean and variance of conv1's output over the 16 films
                float[] data = new float[16 * SIZE * SIZE];
                for (int i = 0; i < 16; i++) System.arraycopy(recipe.tensor(film(i)), 0, data, i * SIZE * SIZE, SIZE * SIZE);
                NDArray x = m.create(data, new Shape(16, 1, SIZE, SIZE));
                NDArray conv = Conv2d.conv2d(x, net.namedParameters().get("conv1.weight").getArray(), null,
                        new Shape(2, 2), new Shape(3, 3), new Shape(1, 1), 1).singletonOrThrow();
                NDArray perChannel = conv.transpose(1, 0, 2, 3).reshape(conv.getShape().get(1), -1); // (C, N·H·W)
                NDArray want = perChannel.mean(new int[] {1});
                float[] got = mean.toFloatArray(), expected = want.toFloatArray();
                for (int c = 0; c < got.length; c++) assertEquals(expected[c], got[c], 1e-3 + 1e-3 * Math.abs(expected[c]), "channel " + c);
                // the variance: the mean over the two batches of each batch's own (unbiased) variance, as AdaBN estimates it
                float[] v = var.toFloatArray();
                double[] expectVar = new double[v.length];
                for (int b = 0; b < 2; b++) {
                    NDArray part = conv.get(b * 8 + ":" + (b * 8 + 8)).transpose(1, 0, 2, 3).reshape(v.length, -1);
                    long count = part.getShape().get(1);
                    float[] sq = part.sub(part.mean(new int[] {1}).reshape(-1, 1)).square().sum(new int[] {1}).toFloatArray();
                    for (int c = 0; c < v.length; c++) expectVar[c] += sq[c] / (count - 1) / 2;
                }
                for (int c = 0; c < v.length; c++) assertEquals(expectVar[c], v[c], 1e-3 * expectVar[c] + 1e-5, "channel " + c);
                assertNotEquals(1f, v[0], "the variance is not the unset 1");
                assertEquals("layer2", net.frozenThrough(), "freezing is as it was");
            }
        }
    }
}
