package org.pneumoscope.augment;

import java.util.Random;
import java.util.SplittableRandom;

/** Adds Gaussian pixel noise with a standard deviation drawn from [minStd, maxStd] (quantum mottle). */
public record GaussianNoise(double minStd, double maxStd) implements Transform {
    public GaussianNoise {
        if (minStd < 0 || maxStd < minStd) throw new IllegalArgumentException("need 0 <= min_std <= max_std");
    }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        double std = minStd + rng.nextDouble() * (maxStd - minStd);
        SplittableRandom fast = new SplittableRandom(rng.nextLong());
        float[] s = image.pixels(), out = new float[s.length];
        for (int i = 0; i < s.length; i++) out[i] = (float) (s[i] + std * gaussian(fast));
        Trace.fired(() -> String.format("noise %.3f", std));
        return new FloatImage(image.width(), image.height(), ImageOps.clamp01(out));
    }

    /** Sum of uniforms (Irwin–Hall, 4 terms, rescaled): close enough to Gaussian for noise and 5x cheaper. */
    static double gaussian(SplittableRandom r) {
        return (r.nextDouble() + r.nextDouble() + r.nextDouble() + r.nextDouble() - 2.0) * 1.7320508;
    }
}
