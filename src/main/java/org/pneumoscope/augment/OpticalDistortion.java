package org.pneumoscope.augment;

import java.util.Random;

/**
 * Barrel/pincushion lens distortion (albumentations OpticalDistortion, which uses OpenCV's radial model with
 * k1 = k2 = k drawn from ±{@code distortLimit}, focal length = image size). {@code shiftLimit} moves the
 * distortion centre by a whole number of pixels drawn from ±shiftLimit and rounded, exactly as albumentations
 * 1.x did: the seed study's 0.1 therefore never moved the centre, and "seed" reproduces that.
 */
public record OpticalDistortion(double distortLimit, double shiftLimit) implements Transform {
    public OpticalDistortion {
        if (distortLimit < 0 || shiftLimit < 0) throw new IllegalArgumentException("limits must be >= 0");
    }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        int w = image.width(), h = image.height();
        double k = (rng.nextDouble() * 2 - 1) * distortLimit;
        long dx = Math.round((rng.nextDouble() * 2 - 1) * shiftLimit);
        long dy = Math.round((rng.nextDouble() * 2 - 1) * shiftLimit);
        double cx = w * 0.5 + dx, cy = h * 0.5 + dy, fx = w, fy = h;
        float[] mx = new float[w * h], my = new float[w * h];
        for (int v = 0; v < h; v++) {
            double y = (v - cy) / fy;
            for (int u = 0; u < w; u++) {
                double x = (u - cx) / fx, r2 = x * x + y * y, kr = 1 + k * r2 + k * r2 * r2;
                int i = v * w + u;
                mx[i] = (float) (fx * x * kr + cx);
                my[i] = (float) (fy * y * kr + cy);
            }
        }
        Trace.fired(() -> String.format("optical %+.2f", k));
        return ImageOps.remap(image, mx, my, ImageOps.Border.REFLECT_101);
    }
}
