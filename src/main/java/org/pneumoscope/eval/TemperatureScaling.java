package org.pneumoscope.eval;

/**
 * Temperature scaling (Guo et al., ICML 2017): divide the logits by one scalar T &gt; 0 fitted on held-out data
 * to minimise the negative log-likelihood. It changes confidences, never the predicted class.
 *
 * <p>The NLL is convex in β = 1/T (a log-sum-exp of functions linear in β minus a linear term), so its
 * derivative is monotone and bisection on the derivative (in log β) finds the global minimum without
 * step-size tuning. T is kept within [{@link #MIN_T}, {@link #MAX_T}]: when the data would push it further
 * (e.g. every image already correct, where NLL keeps falling as T → 0) the bound is returned.
 */
public final class TemperatureScaling {
    public static final double MIN_T = 0.01;
    public static final double MAX_T = 100.0;

    private TemperatureScaling() {}

    /** The temperature minimising the mean NLL of {@code labels} under softmax(logits / T). */
    public static double fit(float[][] logits, int[] labels) {
        check(logits, labels);
        double lo = Math.log(1 / MAX_T), hi = Math.log(1 / MIN_T);   // log β
        if (slope(logits, labels, Math.exp(lo)) >= 0) return MAX_T;
        if (slope(logits, labels, Math.exp(hi)) <= 0) return MIN_T;
        for (int it = 0; it < 80; it++) {
            double mid = 0.5 * (lo + hi);
            if (slope(logits, labels, Math.exp(mid)) > 0) hi = mid; else lo = mid;
        }
        return 1 / Math.exp(0.5 * (lo + hi));
    }

    /** softmax(logits / T) per row. */
    public static float[][] apply(float[][] logits, double temperature) {
        return Calibration.ofTemperature(temperature).probabilities(logits);
    }

    /** Mean NLL of the labels under softmax(logits / T), computed from the logits (no probability clipping). */
    public static double nll(float[][] logits, int[] labels, double temperature) {
        return Calibration.ofTemperature(temperature).nll(logits, labels);
    }

    /** Fits T on these logits and reports NLL, ECE and reliability before (T = 1) and after on the same data. */
    public static CalibrationResult calibrate(float[][] logits, int[] labels) {
        return CalibrationResult.of(fit(logits, labels), logits, labels);
    }

    /** d NLL / d β = mean over images of (E_softmax(βz)[z] − z_label); increasing in β. */
    private static double slope(float[][] logits, int[] labels, double beta) {
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            float[] z = logits[i];
            double max = Double.NEGATIVE_INFINITY;
            for (float v : z) max = Math.max(max, beta * v);
            double s = 0, ez = 0;
            for (float v : z) {
                double e = Math.exp(beta * v - max);
                s += e;
                ez += e * v;
            }
            sum += ez / s - z[labels[i]];
        }
        return sum / logits.length;
    }

    static void check(float[][] logits, int[] labels) {
        if (logits == null || labels == null || logits.length == 0)
            throw new IllegalArgumentException("temperature scaling needs at least one image with logits and a label");
        if (logits.length != labels.length)
            throw new IllegalArgumentException(logits.length + " logit rows but " + labels.length + " labels");
        int k = logits[0].length;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i].length != k)
                throw new IllegalArgumentException("image " + i + ": " + logits[i].length + " logits, expected " + k);
            if (labels[i] < 0 || labels[i] >= k)
                throw new IllegalArgumentException("image " + i + ": label " + labels[i] + " out of range 0.." + (k - 1));
            for (float v : logits[i])
                if (!Float.isFinite(v)) throw new IllegalArgumentException("image " + i + ": logit " + v + " is not finite");
        }
    }
}
