package org.pneumoscope.eval;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Non-parametric bootstrap whose resampling unit is the patient, not the image: each replicate draws as many
 * patients as there are, with replacement, and every image of a drawn patient comes along. Images of one
 * patient are correlated (same lungs, often same visit), so resampling images would give intervals that are
 * too narrow for a data set where some patients have many images.
 *
 * <p>A replicate is represented by image weights: weight[i] is how many times image i's patient was drawn.
 * Statistics take those weights instead of copying data, which keeps 1000 replicates cheap.
 */
public final class PatientBootstrap {
    private final int[] patientOfImage;
    private final int patients;

    /**
     * @param patientIds one id per image; images with a null or blank id (or all images when the array is null)
     *                   are treated as patients of their own
     */
    public PatientBootstrap(String[] patientIds, int nImages) {
        if (patientIds != null && patientIds.length != nImages)
            throw new IllegalArgumentException("patient ids: " + patientIds.length + " for " + nImages + " images");
        patientOfImage = new int[nImages];
        Map<String, Integer> index = new HashMap<>();
        int next = 0;
        for (int i = 0; i < nImages; i++) {
            String id = patientIds == null ? null : patientIds[i];
            if (id == null || id.isBlank()) {
                patientOfImage[i] = next++;
            } else {
                Integer p = index.get(id);
                if (p == null) {
                    p = next++;
                    index.put(id, p);
                }
                patientOfImage[i] = p;
            }
        }
        patients = next;
    }

    /** Number of resampling units (distinct patients). */
    public int patients() { return patients; }

    /** Patient (unit) index of image i, 0-based in order of first appearance. */
    public int patientOf(int image) { return patientOfImage[image]; }

    /** Image multiplicities of one replicate: draws {@link #patients()} patients with replacement. */
    public int[] sampleWeights(SplittableRandom rng) {
        int[] drawn = new int[patients];
        for (int d = 0; d < patients; d++) drawn[rng.nextInt(patients)]++;
        int[] w = new int[patientOfImage.length];
        for (int i = 0; i < w.length; i++) w[i] = drawn[patientOfImage[i]];
        return w;
    }

    /**
     * Evaluates {@code statistic} on {@code config.replicates()} replicates drawn from a generator seeded with
     * {@code config.seed()}; the statistic receives the image weights and may return NaN when undefined.
     */
    public double[] replicate(BootstrapConfig config, ToDoubleFunction<int[]> statistic) {
        SplittableRandom rng = new SplittableRandom(config.seed());
        double[] out = new double[config.replicates()];
        for (int r = 0; r < out.length; r++) out[r] = statistic.applyAsDouble(sampleWeights(rng));
        return out;
    }

    /** Percentile 95 % interval of {@code statistic} under this bootstrap. */
    public Interval interval95(BootstrapConfig config, ToDoubleFunction<int[]> statistic) {
        return Metrics.percentile95(replicate(config, statistic));
    }
}
