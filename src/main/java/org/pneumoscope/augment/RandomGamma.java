package org.pneumoscope.augment;

import java.util.Random;

/**
 * out = in^gamma with gamma drawn uniformly from [low, high] / 100 (albumentations RandomGamma, gamma_limit
 * 80..120 by default): below 1 brightens the lungs, above 1 darkens them.
 */
public record RandomGamma(double lowPercent, double highPercent) implements Transform {
    private static final int LUT = 1024;

    public RandomGamma {
        if (!(lowPercent > 0 && lowPercent <= highPercent))
            throw new IllegalArgumentException("gamma_limit must satisfy 0 < low <= high, got " + lowPercent + ".." + highPercent);
    }

    public static RandomGamma of(double lowPercent, double highPercent) { return new RandomGamma(lowPercent, highPercent); }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        double gamma = (lowPercent + rng.nextDouble() * (highPercent - lowPercent)) / 100.0;
        // A small lookup table with linear interpolation: pow() per pixel would dominate the pipeline's cost.
        float[] lut = new float[LUT + 2];
        for (int i = 0; i <= LUT; i++) lut[i] = (float) Math.pow(i / (double) LUT, gamma);
        lut[LUT + 1] = 1f;
        float[] s = image.pixels(), out = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            float v = Math.max(0f, Math.min(1f, s[i])) * LUT;
            int k = (int) v;
            float f = v - k;
            out[i] = lut[k] + f * (lut[k + 1] - lut[k]);
        }
        Trace.fired(() -> String.format("gamma %.2f", gamma));
        return new FloatImage(image.width(), image.height(), ImageOps.clamp01(out));
    }
}
