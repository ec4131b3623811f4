package org.pneumoscope.eval;

import org.pneumoscope.core.Ranks;

import java.util.Arrays;

/**
 * Stateless metric functions shared by {@link Evaluation}, {@link TemperatureScaling} and the report.
 * All take probabilities as rows that sum to 1 and labels as class indices.
 */
public final class Metrics {
    /** Probabilities are clipped to this before the logarithm so one confident mistake gives a large, finite loss. */
    public static final double LOG_EPS = 1e-15;
    /** Number of equal-width confidence bins of the expected calibration error (Guo et al. 2017 use 15). */
    public static final int ECE_BINS = 15;

    private Metrics() {}

    /** Index of the largest value; on a tie the lowest index wins ({@link Ranks#argmax}). */
    public static int argmax(float[] p) {
        return Ranks.argmax(p);
    }

    /** Largest value of a probability row: the model's confidence in its predicted class. */
    public static double confidence(float[] p) {
        return Ranks.confidence(p);
    }

    /** Area under the ROC curve, the Mann-Whitney statistic ({@link Ranks#auc}); NaN without positives or negatives. */
    public static double auc(boolean[] positive, double[] score) {
        return Ranks.auc(positive, score);
    }

    /** Mean negative log-likelihood of the true class (natural log), probabilities clipped at {@link #LOG_EPS}. */
    public static double logLoss(int[] labels, float[][] probabilities) {
        double sum = 0;
        for (int i = 0; i < labels.length; i++) sum -= Math.log(Math.max(probabilities[i][labels[i]], LOG_EPS));
        return sum / labels.length;
    }

    /**
     * Multi-class Brier score (Brier 1950): mean over images of the squared distance between the probability
     * row and the one-hot truth, summed over classes. 0 is perfect, 2 is the worst possible.
     */
    public static double brier(int[] labels, float[][] probabilities) {
        double sum = 0;
        for (int i = 0; i < labels.length; i++) {
            float[] p = probabilities[i];
            for (int k = 0; k < p.length; k++) {
                double d = p[k] - (k == labels[i] ? 1.0 : 0.0);
                sum += d * d;
            }
        }
        return sum / labels.length;
    }

    /** Expected calibration error with {@link #ECE_BINS} equal-width bins on the top-class probability. */
    public static double expectedCalibrationError(float[][] probabilities, int[] labels) {
        return ReliabilityDiagram.of(probabilities, labels, ECE_BINS).ece();
    }

    /** Numerically stable softmax of {@code logits / temperature}. */
    public static float[] softmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float z : logits) max = Math.max(max, z / temperature);
        double[] e = new double[logits.length];
        double sum = 0;
        for (int k = 0; k < logits.length; k++) {
            e[k] = Math.exp(logits[k] / temperature - max);
            sum += e[k];
        }
        float[] p = new float[logits.length];
        for (int k = 0; k < p.length; k++) p[k] = (float) (e[k] / sum);
        return p;
    }

    /**
     * The p-quantile (0..1) of the non-NaN values, linear interpolation between order statistics
     * (Hyndman-Fan type 7, as numpy's default). NaN when no value is defined.
     */
    public static double quantile(double[] values, double p) {
        double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        double h = (v.length - 1) * p;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, v.length - 1);
        return v[lo] + (h - lo) * (v[hi] - v[lo]);
    }

    /** Percentile 95 % interval (2.5th and 97.5th percentiles) of bootstrap replicates, ignoring NaN replicates. */
    public static Interval percentile95(double[] replicates) {
        if (replicates.length == 0) return Interval.UNDEFINED;
        double lo = quantile(replicates, 0.025), hi = quantile(replicates, 0.975);
        return Double.isNaN(lo) ? Interval.UNDEFINED : new Interval(lo, hi);
    }
}
