package org.pneumoscope.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Reliability diagram data: images binned by their top-class probability (confidence) into equal-width bins
 * {@code (k/B, (k+1)/B]} (confidence 0 goes to the first bin), with each bin's mean confidence and accuracy.
 * A perfectly calibrated model has accuracy = confidence in every bin.
 *
 * @param ece expected calibration error: sum over bins of (count/n)·|accuracy − mean confidence|
 */
public record ReliabilityDiagram(List<Bin> bins, int n, double ece) {

    /**
     * One confidence bin. {@code meanConfidence} and {@code accuracy} are NaN for an empty bin.
     */
    public record Bin(double lower, double upper, int count, double meanConfidence, double accuracy) {}

    public ReliabilityDiagram {
        bins = List.copyOf(bins);
    }

    /** Bins the argmax prediction's confidence; "correct" means argmax equals the label. */
    public static ReliabilityDiagram of(float[][] probabilities, int[] labels, int nBins) {
        double[] conf = new double[labels.length];
        boolean[] correct = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            int pred = Metrics.argmax(probabilities[i]);
            conf[i] = probabilities[i][pred];
            correct[i] = pred == labels[i];
        }
        return of(conf, correct, nBins);
    }

    /** Bins precomputed confidences. */
    public static ReliabilityDiagram of(double[] confidence, boolean[] correct, int nBins) {
        if (nBins < 1) throw new IllegalArgumentException("need at least one bin, got " + nBins);
        if (confidence.length != correct.length) throw new IllegalArgumentException("confidence/correct lengths differ");
        int[] count = new int[nBins];
        double[] confSum = new double[nBins];
        int[] hits = new int[nBins];
        for (int i = 0; i < confidence.length; i++) {
            int b = binOf(confidence[i], nBins);
            count[b]++;
            confSum[b] += confidence[i];
            if (correct[i]) hits[b]++;
        }
        List<Bin> bins = new ArrayList<>(nBins);
        double ece = 0;
        int n = confidence.length;
        for (int b = 0; b < nBins; b++) {
            double meanConf = count[b] == 0 ? Double.NaN : confSum[b] / count[b];
            double acc = count[b] == 0 ? Double.NaN : (double) hits[b] / count[b];
            if (count[b] > 0) ece += (double) count[b] / n * Math.abs(acc - meanConf);
            bins.add(new Bin((double) b / nBins, (double) (b + 1) / nBins, count[b], meanConf, acc));
        }
        return new ReliabilityDiagram(bins, n, n == 0 ? Double.NaN : ece);
    }

    /**
     * What ECE a perfectly calibrated model would score with these confidences on this many images (Bröcker and
     * Smith's consistency resampling): in each draw every image is right with probability equal to its confidence.
     * ECE is biased upwards on finite data: on ~500 images a calibrated model scores about 0.03–0.04, so an ECE
     * below {@code p95} is no evidence of miscalibration.
     *
     * @param mean mean ECE over the draws; {@code p95}: its 95th percentile
     */
    public record Floor(double mean, double p95, int draws, long seed) {
        /** True when a measured ECE is within what a calibrated model shows here (at or below the 95th percentile). */
        public boolean consistent(double ece) { return ece <= p95; }
    }

    public static Floor calibratedFloor(float[][] probabilities, int nBins, int draws, long seed) {
        if (draws < 1) throw new IllegalArgumentException("need at least one draw, got " + draws);
        int n = probabilities.length;
        double[] conf = new double[n];
        for (int i = 0; i < n; i++) conf[i] = probabilities[i][Metrics.argmax(probabilities[i])];
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        double[] eces = new double[draws];
        boolean[] correct = new boolean[n];
        for (int d = 0; d < draws; d++) {
            for (int i = 0; i < n; i++) correct[i] = r.nextDouble() < conf[i];
            eces[d] = of(conf, correct, nBins).ece();
        }
        double mean = java.util.Arrays.stream(eces).average().orElse(Double.NaN);
        return new Floor(mean, Metrics.quantile(eces, 0.95), draws, seed);
    }

    /** Bin of a confidence: upper edges are inclusive, so 1/15 falls in the first bin and 1.0 in the last. */
    static int binOf(double confidence, int nBins) {
        int b = (int) Math.ceil(confidence * nBins) - 1;
        return Math.max(0, Math.min(nBins - 1, b));
    }
}
