package org.pneumoscope.data;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.Ranks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Does the exposure of a film predict its label? For every image, four whole-image grey-level statistics (mean,
 * SD, 5th and 95th percentile); per class their averages, and per statistic how well it alone separates normal
 * from pneumonia and bacterial from viral (ROC AUC, 0.5 = not at all; in whichever direction separates).
 *
 * <p>Why: when sick children are filmed on other machines or with other technique than healthy ones, a network can
 * learn the exposure instead of the lungs, and fail at a site where that link differs. The figure is no proof of a
 * shortcut (consolidation also flattens a film), but a high one says: train with {@code contrast: equalize}, or at
 * least test with {@code evaluate --shift}.
 */
public record ExposureCheck(int images, Map<Label, Integer> counts, Map<Label, double[]> classMeans,
                            Map<String, double[]> separability) {
    /** The statistics, in the order of every array here. */
    public static final List<String> STATISTICS = List.of("mean", "sd", "p5", "p95");
    /** Above this AUC the text report warns. */
    public static final double WARN_AUC = 0.65;
    /** ... if every class has at least this many images: with a handful, a high AUC is easily chance. */
    public static final int WARN_MIN_PER_CLASS = 20;

    /** The four statistics of one image, on its 0..255 grey levels. */
    public static double[] statistics(GreyImage g) {
        long[] hist = g.histogram();
        double n = g.pixels().length, sum = 0, sq = 0;
        for (int v = 0; v < 256; v++) {
            sum += (double) v * hist[v];
            sq += (double) v * v * hist[v];
        }
        double mean = sum / n;
        return new double[] {mean, Math.sqrt(Math.max(0, sq / n - mean * mean)),
                GreyImage.percentile(hist, 0.05), GreyImage.percentile(hist, 0.95)};
    }

    /** {@code stats[i]} the statistics of image i (null when it did not decode), {@code labels[i]} its label. */
    public static ExposureCheck of(double[][] stats, Label[] labels) {
        Map<Label, double[]> sums = new EnumMap<>(Label.class);
        Map<Label, Integer> counts = new EnumMap<>(Label.class);
        List<double[]> rows = new ArrayList<>();
        List<Label> rowLabels = new ArrayList<>();
        for (int i = 0; i < stats.length; i++) {
            if (stats[i] == null) continue;
            double[] s = sums.computeIfAbsent(labels[i], k -> new double[STATISTICS.size()]);
            for (int k = 0; k < s.length; k++) s[k] += stats[i][k];
            counts.merge(labels[i], 1, Integer::sum);
            rows.add(stats[i]);
            rowLabels.add(labels[i]);
        }
        Map<Label, double[]> means = new EnumMap<>(Label.class);
        sums.forEach((l, s) -> means.put(l, Arrays.stream(s).map(v -> v / counts.get(l)).toArray()));
        Map<String, double[]> sep = new LinkedHashMap<>();
        sep.put("normal_vs_pneumonia", separation(rows, rowLabels, Label.NORMAL, null));
        sep.put("bacteria_vs_virus", separation(rows, rowLabels, Label.BACTERIA, Label.VIRUS));
        return new ExposureCheck(rows.size(), counts, means, sep);
    }

    /** Per statistic: AUC of {@code pos} against {@code neg} (null = every other class); NaN when a side is empty. */
    private static double[] separation(List<double[]> rows, List<Label> labels, Label pos, Label neg) {
        double[] out = new double[STATISTICS.size()];
        for (int k = 0; k < out.length; k++) {
            List<Double> a = new ArrayList<>(), b = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                if (labels.get(i) == pos) a.add(rows.get(i)[k]);
                else if (neg == null || labels.get(i) == neg) b.add(rows.get(i)[k]);
            }
            double auc = auc(a, b);
            out[k] = Double.isNaN(auc) ? auc : Math.max(auc, 1 - auc);
        }
        return out;
    }

    /** Mann–Whitney: the chance that a random {@code a} exceeds a random {@code b}, ties counting half (Ranks.auc). */
    static double auc(List<Double> a, List<Double> b) {
        boolean[] positive = new boolean[a.size() + b.size()];
        double[] score = new double[positive.length];
        for (int i = 0; i < a.size(); i++) { positive[i] = true; score[i] = a.get(i); }
        for (int i = 0; i < b.size(); i++) score[a.size() + i] = b.get(i);
        return Ranks.auc(positive, score);
    }

    /** The largest separability of any statistic for either question, and which it is ("sd, bacteria_vs_virus"). */
    public String strongest() {
        String best = null;
        double top = -1;
        for (Map.Entry<String, double[]> e : separability.entrySet())
            for (int k = 0; k < STATISTICS.size(); k++)
                if (e.getValue()[k] > top) { top = e.getValue()[k]; best = STATISTICS.get(k) + ", " + e.getKey(); }
        return best;
    }

    /** Whether the figures say enough to warn on: every class has {@link #WARN_MIN_PER_CLASS} images. */
    public boolean warns() {
        if (!(strongestAuc() >= WARN_AUC) || counts.size() < Label.COUNT) return false;
        return counts.values().stream().allMatch(c -> c >= WARN_MIN_PER_CLASS);
    }

    public double strongestAuc() {
        return separability.values().stream().flatMapToDouble(Arrays::stream).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
    }
}
