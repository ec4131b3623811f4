package org.pneumoscope.augment;

import org.pneumoscope.data.Filters;

import java.util.Random;

/**
 * Unsharp mask with a strength drawn from [minAmount, maxAmount]: {@code x + a·(x − gaussian(x, sigma))}. The
 * counterpart of {@link Downscale}: films processed with edge enhancement by another site's software, and pneumonia
 * films as sharp as the sharpest normals, so sharpness stops telling the classes apart.
 */
public record Sharpen(double minAmount, double maxAmount, double sigma) implements Transform {
    public Sharpen {
        if (!(minAmount >= 0 && minAmount <= maxAmount && maxAmount <= 5))
            throw new IllegalArgumentException("sharpen needs 0 <= amount_min <= amount_max <= 5, got " + minAmount + ".." + maxAmount);
        if (!(sigma > 0 && sigma <= 10)) throw new IllegalArgumentException("sharpen sigma must be in (0, 10], got " + sigma);
    }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        double a = minAmount + rng.nextDouble() * (maxAmount - minAmount);
        float[] s = image.pixels();
        float[] blurred = Filters.gaussianBlur(s, image.width(), image.height(), sigma);
        float[] out = new float[s.length];
        for (int i = 0; i < s.length; i++) out[i] = (float) (s[i] + a * (s[i] - blurred[i]));
        Trace.fired(() -> String.format("sharpen %.2f", a));
        return new FloatImage(image.width(), image.height(), ImageOps.clamp01(out));
    }
}
