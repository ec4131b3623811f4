package org.pneumoscope.core;

import java.util.Arrays;

/**
 * Rank statistics every floor needs: the predicted class of a probability row and the Mann-Whitney AUC. They
 * live here, below data and eval, so that a data check (exposure predicting the label) and the metrics share one
 * implementation.
 */
public final class Ranks {
    private Ranks() {}

    /** Index of the largest value; on a tie the lowest index wins so the result is deterministic. */
    public static int argmax(float[] p) {
        int best = 0;
        for (int k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
        return best;
    }

    /** Largest value of a probability row: the model's confidence in its predicted class. */
    public static double confidence(float[] p) {
        return p[argmax(p)];
    }

    /**
     * Area under the ROC curve, computed exactly as the Mann-Whitney statistic: the fraction of
     * (positive, negative) pairs where the positive scores higher, a tie counting one half.
     * NaN when there are no positives or no negatives.
     */
    public static double auc(boolean[] positive, double[] score) {
        if (positive.length != score.length) throw new IllegalArgumentException("positive/score lengths differ");
        int[] all = new int[score.length];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return weightedAuc(sortedByScore(all, score), score, positive, null);
    }

    /** Indices {@code idx} sorted by ascending score (stable). */
    public static int[] sortedByScore(int[] idx, double[] score) {
        Integer[] boxed = new Integer[idx.length];
        for (int i = 0; i < idx.length; i++) boxed[i] = idx[i];
        Arrays.sort(boxed, (a, b) -> Double.compare(score[a], score[b]));
        int[] out = new int[idx.length];
        for (int i = 0; i < out.length; i++) out[i] = boxed[i];
        return out;
    }

    /**
     * Mann-Whitney AUC over the images listed in {@code order} (ascending score), each counted
     * {@code weight[i]} times (null: once). Walks groups of tied scores once, so it is O(n) and exact with
     * ties; the bootstrap calls it once per replicate with the replicate's multiplicities.
     */
    public static double weightedAuc(int[] order, double[] score, boolean[] positive, int[] weight) {
        double negBelow = 0, pairs = 0, pos = 0, neg = 0;
        int i = 0, n = order.length;
        while (i < n) {
            double s = score[order[i]];
            double groupPos = 0, groupNeg = 0;
            int j = i;
            while (j < n && score[order[j]] == s) {
                int k = order[j];
                double w = weight == null ? 1 : weight[k];
                if (positive[k]) groupPos += w; else groupNeg += w;
                j++;
            }
            // positives in this group beat every lower-scored negative and tie with negatives of equal score
            pairs += groupPos * negBelow + 0.5 * groupPos * groupNeg;
            negBelow += groupNeg;
            pos += groupPos;
            neg += groupNeg;
            i = j;
        }
        if (pos == 0 || neg == 0) return Double.NaN;
        return pairs / (pos * neg);
    }

}
