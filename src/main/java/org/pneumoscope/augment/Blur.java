package org.pneumoscope.augment;

import java.util.Random;

/**
 * Box blur with an odd kernel drawn from [minKernel, maxKernel] (albumentations Blur; blur_limit 4 means
 * kernels 3..4, i.e. always 3). Kernel sizes are in pixels, as in albumentations, not scaled with the image.
 */
public record Blur(int minKernel, int maxKernel) implements Transform {
    public Blur {
        if (minKernel < 3 || maxKernel < minKernel)
            throw new IllegalArgumentException("blur_limit must be 3 or more, got " + minKernel + ".." + maxKernel);
    }

    /** albumentations' {@code Blur(blur_limit=limit)}: kernels 3..limit. */
    public static Blur of(int limit) { return new Blur(3, limit); }

    static int drawOddKernel(int lo, int hi, Random rng) {
        int first = lo % 2 == 1 ? lo : lo + 1;
        int choices = Math.max(1, (hi - first) / 2 + 1);
        return first + 2 * rng.nextInt(choices);
    }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        int k = drawOddKernel(minKernel, maxKernel, rng);
        float[] out = ImageOps.boxBlur(image.pixels(), image.width(), image.height(), k);
        Trace.fired(() -> "blur " + k);
        return new FloatImage(image.width(), image.height(), ImageOps.clamp01(out));
    }
}
