package org.pneumoscope.data;

import com.fasterxml.jackson.annotation.JsonValue;
import org.pneumoscope.core.GreyImage;

import java.util.Locale;

/**
 * Per-image grey-level normalisation, applied to every image the network sees, in training and at inference alike.
 *
 * <p>Why: exposure, kVp and the scanner's look-up table differ between machines and sites, so the same lungs arrive
 * brighter, darker or flatter. A washed-out normal film looks hazy, which is what viral pneumonia looks like; a
 * network trained on fixed intensities can read the exposure instead of the lungs. {@link #EQUALIZE} maps grey
 * levels through the image's own cumulative histogram, which undoes any monotone change of the grey scale (gamma,
 * brightness, contrast, window); {@link #STRETCH} only undoes linear ones (window level and width).
 */
public enum Contrast {
    /** Grey levels as decoded. */
    NONE,
    /** The 1st..99th percentile stretched linearly to 0..255. */
    STRETCH,
    /** Histogram equalisation: each grey level goes to its rank in the image's histogram. */
    EQUALIZE;

    /** The YAML / JSON spelling ("equalize"). */
    @JsonValue
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** none / stretch / equalize (any case); null when unknown. */
    public static Contrast parse(String s) {
        if (s == null) return null;
        for (Contrast c : values()) if (c.name().equalsIgnoreCase(s.trim())) return c;
        return null;
    }

    /** {@code img} normalised; NONE returns it unchanged, the others a new image of the same size. */
    public GreyImage apply(GreyImage img) {
        if (this == NONE) return img;
        long[] hist = img.histogram();
        int n = img.pixels().length;
        return img.mapLevels(this == EQUALIZE ? equalizeLut(hist, n) : stretchLut(hist));
    }

    /**
     * Level v goes to the middle of the ranks it occupies, scaled to 0..255: (cdf(v-1) + cdf(v)) / 2n. Using the
     * mid-rank rather than cdf(v) keeps a flat image grey (not white) and treats both ends of the scale alike.
     */
    private static byte[] equalizeLut(long[] hist, int n) {
        byte[] lut = new byte[256];
        long below = 0;
        for (int v = 0; v < 256; v++) {
            double mid = below + hist[v] / 2.0;
            lut[v] = (byte) Math.round(255.0 * mid / n);
            below += hist[v];
        }
        return lut;
    }

    private static byte[] stretchLut(long[] hist) {
        int lo = GreyImage.percentile(hist, 0.01), hi = GreyImage.percentile(hist, 0.99);
        byte[] lut = new byte[256];
        for (int v = 0; v < 256; v++) {
            int o = hi <= lo ? v : (int) Math.round(255.0 * (v - lo) / (hi - lo));
            lut[v] = (byte) Math.max(0, Math.min(255, o));
        }
        return lut;
    }
}
