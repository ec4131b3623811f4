package org.pneumoscope.augment;

import java.util.Random;

/**
 * out = in * (1 + c) + b with c, b drawn from ±limits (albumentations RandomBrightnessContrast with
 * brightness_by_max): different exposure and film/detector processing.
 */
public record BrightnessContrast(double brightnessLimit, double contrastLimit) implements Transform {
    public BrightnessContrast {
        if (brightnessLimit < 0 || contrastLimit < 0 || contrastLimit >= 1)
            throw new IllegalArgumentException("brightness_limit >= 0 and 0 <= contrast_limit < 1 required");
    }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        float alpha = (float) (1 + (rng.nextDouble() * 2 - 1) * contrastLimit);
        float beta = (float) ((rng.nextDouble() * 2 - 1) * brightnessLimit);
        float[] s = image.pixels(), out = new float[s.length];
        for (int i = 0; i < s.length; i++) out[i] = s[i] * alpha + beta;
        Trace.fired(() -> String.format("bright %+.2f contrast %.2f", beta, alpha));
        return new FloatImage(image.width(), image.height(), ImageOps.clamp01(out));
    }
}
