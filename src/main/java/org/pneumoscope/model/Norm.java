package org.pneumoscope.model;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * The backbone's normalisation layers.
 *
 * <p>{@link #BATCH} normalises each channel by statistics of the training batches and, at inference, by running
 * averages of them: films whose feature statistics differ from the training films' (another scanner or period) are
 * then normalised wrongly. {@link #GROUP} normalises every image by its own statistics, per group of channels (Wu &amp;
 * He 2018), so there are no stored statistics to go stale and nothing for {@code adapt} to re-estimate. {@link #IBN}
 * is BatchNorm but for the first normalisation of each residual unit in the first three stages, where half the
 * channels are normalised per image ({@link IbnNorm}, IBN-Net's "a" layout): the shallow features, where acquisition
 * differences live, are taken out of each film by itself, and the deeper ones keep batch statistics.
 */
public enum Norm {
    BATCH, GROUP, IBN;

    /** The YAML / command-line / JSON spelling. */
    @JsonValue
    public String key() { return name().toLowerCase(Locale.ROOT); }

    /** "batch", "group" or "ibn" (any case); null for anything else. */
    public static Norm parse(String s) {
        if (s == null) return null;
        for (Norm n : values()) if (n.key().equals(s.trim().toLowerCase(Locale.ROOT))) return n;
        return null;
    }
}
