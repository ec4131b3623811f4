package org.pneumoscope.augment;

import java.util.Random;

/**
 * Blur along a random short line, like a patient moving during exposure (albumentations MotionBlur: a k x k
 * kernel holding one random line between two random cells, normalised).
 */
public record MotionBlur(int minKernel, int maxKernel) implements Transform {
    public MotionBlur {
        if (minKernel < 3 || maxKernel < minKernel)
            throw new IllegalArgumentException("blur_limit must be 3 or more, got " + minKernel + ".." + maxKernel);
    }

    public static MotionBlur of(int limit) { return new MotionBlur(3, limit); }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        int k = Blur.drawOddKernel(minKernel, maxKernel, rng);
        int xs = rng.nextInt(k), xe = rng.nextInt(k), ys, ye;
        if (xs == xe) { // a vertical line must not collapse to a single cell
            ys = rng.nextInt(k);
            ye = (ys + 1 + rng.nextInt(k - 1)) % k;
        } else {
            ys = rng.nextInt(k);
            ye = rng.nextInt(k);
        }
        float[] kernel = new float[k * k];
        int cells = drawLine(kernel, k, xs, ys, xe, ye);
        for (int i = 0; i < kernel.length; i++) kernel[i] /= cells;
        float[] out = ImageOps.convolve(image.pixels(), image.width(), image.height(), kernel, k);
        int fx0 = xs, fy0 = ys, fx1 = xe, fy1 = ye;
        Trace.fired(() -> String.format("motion %d (%d,%d)-(%d,%d)", k, fx0, fy0, fx1, fy1));
        return new FloatImage(image.width(), image.height(), ImageOps.clamp01(out));
    }

    /** Bresenham line of ones; returns how many cells it set. */
    private static int drawLine(float[] kernel, int k, int x0, int y0, int x1, int y1) {
        int dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
        int err = dx + dy, n = 0;
        while (true) {
            if (kernel[y0 * k + x0] == 0f) { kernel[y0 * k + x0] = 1f; n++; }
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
        return n;
    }
}
