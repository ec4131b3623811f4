package org.pneumoscope.augment;

import java.util.Random;

/**
 * Splits the image into {@code numSteps} x {@code numSteps} cells and stretches or squeezes each column and row
 * of cells by a factor drawn from 1 ± {@code distortLimit} (albumentations GridDistortion, defaults 5 and 0.3).
 * The cell sizes are renormalised to fill the image exactly, as newer albumentations does, instead of squashing
 * the leftover into the last few pixels as version 1.0 did.
 */
public record GridDistortion(int numSteps, double distortLimit) implements Transform {
    public GridDistortion {
        if (numSteps < 1 || distortLimit < 0 || distortLimit >= 1)
            throw new IllegalArgumentException("grid distortion needs num_steps >= 1 and 0 <= distort_limit < 1");
    }

    public static GridDistortion defaults() { return new GridDistortion(5, 0.3); }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        int w = image.width(), h = image.height();
        float[] xs = axisMap(w, rng), ys = axisMap(h, rng);
        float[] mx = new float[w * h], my = new float[w * h];
        for (int y = 0; y < h; y++) {
            int row = y * w;
            System.arraycopy(xs, 0, mx, row, w);
            java.util.Arrays.fill(my, row, row + w, ys[y]);
        }
        Trace.fired(() -> "grid");
        return ImageOps.remap(image, mx, my, ImageOps.Border.REFLECT_101);
    }

    /** Piecewise-linear source coordinate for each destination pixel along one axis. */
    private float[] axisMap(int n, Random rng) {
        double[] widths = new double[numSteps];
        double total = 0;
        for (int i = 0; i < numSteps; i++) {
            widths[i] = 1 + (rng.nextDouble() * 2 - 1) * distortLimit;
            total += widths[i];
        }
        double[] srcNode = new double[numSteps + 1];
        for (int i = 0; i < numSteps; i++) srcNode[i + 1] = srcNode[i] + widths[i] / total * (n - 1);
        float[] map = new float[n];
        double cell = (n - 1) / (double) numSteps;
        for (int x = 0; x < n; x++) {
            int c = Math.min(numSteps - 1, (int) (x / cell));
            double f = (x - c * cell) / cell;
            map[x] = (float) (srcNode[c] + f * (srcNode[c + 1] - srcNode[c]));
        }
        return map;
    }
}
