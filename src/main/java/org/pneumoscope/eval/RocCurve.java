package org.pneumoscope.eval;

import org.pneumoscope.core.Ranks;

/**
 * ROC curve points (false positive rate, true positive rate) for thresholds from +∞ down to the lowest score:
 * point j counts images with score ≥ {@code thresholds[j]} as positive. The first point is (0, 0) at
 * threshold +∞; the last is (1, 1). Tied scores move the curve diagonally, so the trapezoid area equals
 * the Mann-Whitney {@link #auc()}. Arrays are empty (and auc NaN) when the data has only one class.
 *
 * @param name class name ("bacteria", ...) or view name
 */
public record RocCurve(String name, double[] fpr, double[] tpr, double[] thresholds, double auc) {

    /** Curve of {@code score} for the images where {@code positive} is true against the rest. */
    public static RocCurve of(String name, boolean[] positive, double[] score) {
        int n = score.length;
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        int[] asc = Ranks.sortedByScore(all, score);
        double auc = Ranks.weightedAuc(asc, score, positive, null);
        int pos = 0;
        for (boolean b : positive) if (b) pos++;
        int neg = n - pos;
        if (pos == 0 || neg == 0) return new RocCurve(name, new double[0], new double[0], new double[0], Double.NaN);

        int distinct = 0;
        for (int j = 0; j < n; j++) if (j == 0 || score[asc[j]] != score[asc[j - 1]]) distinct++;
        double[] fpr = new double[distinct + 1], tpr = new double[distinct + 1], thr = new double[distinct + 1];
        thr[0] = Double.POSITIVE_INFINITY;
        int tp = 0, fp = 0, p = 1;
        int j = n - 1;
        while (j >= 0) {
            double s = score[asc[j]];
            while (j >= 0 && score[asc[j]] == s) {
                if (positive[asc[j]]) tp++; else fp++;
                j--;
            }
            fpr[p] = (double) fp / neg;
            tpr[p] = (double) tp / pos;
            thr[p] = s;
            p++;
        }
        return new RocCurve(name, fpr, tpr, thr, auc);
    }

    /** Area under the plotted points by the trapezoid rule (equals {@link #auc()} up to rounding). */
    public double trapezoidArea() {
        double a = 0;
        for (int i = 1; i < fpr.length; i++) a += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
        return fpr.length == 0 ? Double.NaN : a;
    }

    public int size() { return fpr.length; }
}
