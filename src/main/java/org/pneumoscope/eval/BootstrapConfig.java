package org.pneumoscope.eval;

/**
 * Settings for the patient-level percentile bootstrap behind every 95 % confidence interval.
 *
 * @param replicates number of resamples; 0 switches confidence intervals off (they become undefined)
 * @param seed       seed of the resampling; the same seed gives the same intervals
 */
public record BootstrapConfig(int replicates, long seed) {
    /** 1000 replicates, seed 42. */
    public static final BootstrapConfig DEFAULT = new BootstrapConfig(1000, 42L);
    /** No bootstrap: fastest, intervals undefined. */
    public static final BootstrapConfig NONE = new BootstrapConfig(0, 42L);

    public BootstrapConfig {
        if (replicates < 0) throw new IllegalArgumentException("bootstrap replicates must be >= 0, got " + replicates);
    }
}
