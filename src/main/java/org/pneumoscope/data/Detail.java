package org.pneumoscope.data;

import org.pneumoscope.core.Choice;
import org.pneumoscope.core.GreyImage;

import java.util.Arrays;

/**
 * Fine detail of a film, measured and evened out: every film the network sees can be softened to one level of
 * detail, in training and at inference alike.
 *
 * <p>Why: how much fine detail a film holds says how it was acquired and resized, not what the lungs show. In
 * Kermany's training data the normals come from larger originals and hold more of it (median {@link #level} at the
 * preset's 128 px after equalisation: normal 16.8, bacterial 13.7, viral 13.3), while the separately collected normals
 * are blurrier; a network can learn "sharp = normal" and call those normals pneumonia. Augmentation that blurs and
 * sharpens at random keeps each class's difference in sharpness on average; softening every film that holds more
 * detail than a target down to the target removes it for every film above it. Detail can only be taken away, not
 * made, so the target is low: the level that {@link #TARGET_QUANTILE} of the training films fall below.
 */
public final class Detail {
    private Detail() {}

    /** The share of training films below the target level: the rest are softened to it. */
    public static final double TARGET_QUANTILE = 0.10;
    /** The widest blur used; a film still above the target at this blur (noise, not anatomy) keeps it. */
    static final double MAX_SIGMA = 4.0;
    /** Halvings of the blur's bracket: the level is met to within a few hundredths of a pixel of sigma. */
    private static final int HALVINGS = 7;

    /** Whether a recipe evens out fine detail: {@code keep} the film's own, or {@code match} the training target. */
    public enum Mode implements Choice { KEEP, MATCH }

    /**
     * Mean absolute 4-neighbour Laplacian ({@code 4·v − left − right − up − down}) over the interior pixels, in grey
     * levels 0–255: high for sharp, grainy films, low for blurred ones.
     */
    public static double level(GreyImage g) {
        int w = g.width(), h = g.height();
        if (w < 3 || h < 3) return 0;
        byte[] p = g.pixels();
        long sum = 0; // exact integer sum: the figure does not depend on summation order
        for (int y = 1; y < h - 1; y++)
            for (int x = 1, i = y * w + 1; x < w - 1; x++, i++)
                sum += Math.abs(4 * (p[i] & 0xff) - (p[i - 1] & 0xff) - (p[i + 1] & 0xff) - (p[i - w] & 0xff) - (p[i + w] & 0xff));
        return sum / (double) ((long) (w - 2) * (h - 2));
    }

    /** The target of a set of training films' levels: their {@link #TARGET_QUANTILE} quantile (0 for none). */
    public static double target(double[] levels) {
        double[] v = Arrays.stream(levels).filter(Double::isFinite).sorted().toArray();
        if (v.length == 0) return 0;
        return v[(int) Math.floor(TARGET_QUANTILE * (v.length - 1))];
    }

    /**
     * {@code g} blurred by the least Gaussian that brings its {@link #level} to {@code target} or below; {@code g}
     * itself when it is already there (or the target is not positive). Deterministic: the same film and target give
     * the same pixels.
     */
    public static GreyImage soften(GreyImage g, double target) {
        if (!(target > 0) || level(g) <= target) return g;
        float[] px = new float[g.pixels().length];
        for (int i = 0; i < px.length; i++) px[i] = g.pixels()[i] & 0xff;
        // Grow the blur until the level is met, then halve the bracket [lo, hi] around the least blur that meets it.
        double lo = 0, hi = 0.5;
        GreyImage best = blurred(px, g, hi);
        double reached = level(best);
        while (reached > target && hi < MAX_SIGMA) {
            lo = hi;
            hi = Math.min(MAX_SIGMA, hi * 2);
            best = blurred(px, g, hi);
            reached = level(best);
        }
        if (reached > target) return best;
        for (int i = 0; i < HALVINGS; i++) {
            double mid = (lo + hi) / 2;
            GreyImage m = blurred(px, g, mid);
            if (level(m) > target) lo = mid;
            else { hi = mid; best = m; }
        }
        return best;
    }

    private static GreyImage blurred(float[] px, GreyImage shape, double sigma) {
        float[] b = Filters.gaussianBlur(px, shape.width(), shape.height(), sigma);
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) out[i] = (byte) Math.max(0, Math.min(255, Math.round(b[i])));
        return new GreyImage(shape.width(), shape.height(), out);
    }
}
