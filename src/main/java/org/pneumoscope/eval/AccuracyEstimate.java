package org.pneumoscope.eval;

import java.util.Arrays;

/**
 * A label-free estimate of a model's accuracy on new films, by average thresholded confidence (ATC, Garg et al. 2022,
 * with the negative-entropy score): on the labelled validation films, find the score above which as many films lie as
 * the model got right; on new films, the share above that score is the estimate.
 *
 * <p>It is rough. On the project's proxies (ten runs on three held-out batches) it moved the same way as the measured
 * accuracy on all ten, was within 5 points on eight, and overestimated the worst batch by 11-14 points, where
 * confidence fell less than accuracy (docs/recipe.md, table Q1). It is not made for an adapted network, whose
 * validation films are no longer its own site's: there it did not tell a profile that helped from one that hurt.
 *
 * @param threshold          the negative-entropy score found on the validation films
 * @param validationAccuracy the model's accuracy on them
 * @param films              how many there were
 */
public record AccuracyEstimate(double threshold, double validationAccuracy, int films) {

    /** Fits the threshold on validation films' calibrated probabilities and true labels (Label indices). */
    public static AccuracyEstimate fit(float[][] probabilities, int[] labels) {
        if (probabilities.length != labels.length)
            throw new IllegalArgumentException(probabilities.length + " films' probabilities for " + labels.length + " labels");
        if (probabilities.length == 0) throw new IllegalArgumentException("an accuracy estimate needs validation films");
        double[] s = new double[probabilities.length];
        int n = 0, right = 0;
        for (int i = 0; i < probabilities.length; i++) {
            double v = score(probabilities[i]);
            if (Double.isNaN(v)) continue; // a film without finite probabilities says nothing of confidence
            s[n++] = v;
            if (Metrics.argmax(probabilities[i]) == labels[i]) right++;
        }
        if (n == 0) throw new IllegalArgumentException("an accuracy estimate needs validation films with finite probabilities");
        s = Arrays.copyOf(s, n);
        Arrays.sort(s);
        // at least `right` films lie at or above the (n - right)-th smallest score (more when scores tie there);
        // with none right, the threshold lies above every score
        double t = right == 0 ? Math.nextUp(s[n - 1]) : s[n - right];
        return new AccuracyEstimate(t, right / (double) n, n);
    }

    /**
     * The estimated share of {@code probabilities}' films the model gets right; films without finite probabilities
     * are left out; NaN when none is left.
     */
    public double estimate(float[][] probabilities) {
        int above = 0, n = 0;
        for (float[] p : probabilities) {
            double v = score(p);
            if (Double.isNaN(v)) continue;
            n++;
            if (v >= threshold) above++;
        }
        return n == 0 ? Double.NaN : above / (double) n;
    }

    /** Negative entropy, Σ p·ln p: 0 for a certain answer, −ln 3 for an even one; NaN unless every p is finite. */
    static double score(float[] p) {
        double s = 0;
        for (float v : p) {
            if (!Float.isFinite(v)) return Double.NaN;
            if (v > 0) s += v * Math.log(v);
        }
        return s;
    }
}
