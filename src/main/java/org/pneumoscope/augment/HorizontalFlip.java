package org.pneumoscope.augment;

import java.util.Random;

/** Mirrors left and right. (Moves the heart to the other side: a plausible-looking but situs-inverted film.) */
public record HorizontalFlip() implements Transform {
    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        int w = image.width(), h = image.height();
        float[] s = image.pixels(), out = new float[s.length];
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int x = 0; x < w; x++) out[row + x] = s[row + w - 1 - x];
        }
        Trace.fired(() -> "flip");
        return new FloatImage(w, h, out);
    }
}
