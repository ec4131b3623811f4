package org.pneumoscope.augment;

import org.pneumoscope.data.Filters;

/**
 * How much a film's anatomy runs across rather than down: the mean absolute horizontal gradient over the mean absolute
 * vertical gradient, on the central three quarters of each side after a Gaussian of σ = 2 pixels per 128 (ribs,
 * heart and diaphragm, not the detector's grain, whose anisotropy is the resampling's and not the chest's).
 *
 * <p>Why it matters: a film of any shape is squashed to a square before the network sees it, so a wider original
 * shows a narrower chest, and a narrower chest has steeper horizontal edges. In the Kermany training films (every
 * fifth, squashed to 128 px and equalised) the normals measure a median 1.49 and the pneumonia films 1.74 (viral) and
 * 1.80 (bacterial): the normals come from differently shaped originals. Of the dataset's own validation normals held
 * out from the texture-proxy runs, the five those runs call pneumonia measure 1.53-1.96, the one they call normal 1.46.
 *
 * <p>The measure answers a change of shape smoothly: widening the chest by a factor a (the width times √a, the height
 * over √a) multiplies it by about a^-{@value #RESPONSE} (on 519 training films: a = 0.8 → ×1.45, a = 1.25 → ×0.74).
 */
public final class Anisotropy {
    /** The measure's response to a change of aspect: measure ∝ aspect^-RESPONSE (fitted on the training films). */
    public static final double RESPONSE = 1.66;

    private Anisotropy() {}

    /** The measure of one image; 1 for a flat image, whose gradients are all zero. */
    public static double of(FloatImage image) {
        int w = image.width(), h = image.height();
        float[] p = Filters.gaussianBlur(image.pixels(), w, h, 2.0 * Math.max(w, h) / 128);
        int mx = w / 8, my = h / 8;
        double gx = 0, gy = 0;
        for (int y = Math.max(1, my); y < h - Math.max(1, my); y++)
            for (int x = Math.max(1, mx); x < w - Math.max(1, mx); x++) {
                int i = y * w + x;
                gx += Math.abs(p[i + 1] - p[i - 1]);
                gy += Math.abs(p[i + w] - p[i - w]);
            }
        return gx > 0 && gy > 0 ? gx / gy : 1;
    }

    /**
     * The aspect change (Reframe's convention: the width times √a, the height over √a) that takes an image measuring
     * {@code measured} to about {@code target}, held within [1/limit, limit] so a flat or odd film is not torn apart.
     */
    public static double aspectFor(double measured, double target, double limit) {
        double a = Math.pow(measured / target, 1 / RESPONSE);
        return Math.max(1 / limit, Math.min(limit, a));
    }
}
