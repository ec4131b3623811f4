package org.pneumoscope.data;

import org.pneumoscope.core.Label;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Patient-grouped, class-stratified splits and folds. All images of one patient go to the same split (otherwise
 * the model is tested on people it trained on and the accuracy is inflated). Stratification uses each patient's
 * majority label (ties go to the rarer class, which needs the help most), and each class's images are spread
 * over the splits in the requested proportions. The result depends only on the samples and the seed, not on
 * their order.
 */
public final class Splitter {
    private Splitter() {}

    public static final List<String> SPLITS = List.of("train", "val", "test");

    /** Assigns train/val/test in the ratios {@code {train, val, test}} (any scale, e.g. {8,1,1}). */
    public static List<Sample> assign(List<Sample> samples, double[] ratios, long seed) {
        return assign(samples, ratios, seed, false);
    }

    /**
     * As {@link #assign(List, double[], long)}; with {@code keepExisting}, samples that already have a split keep
     * it, a patient's other images join that split, and only the rest is distributed (counting the kept images
     * towards the target proportions).
     */
    public static List<Sample> assign(List<Sample> samples, double[] ratios, long seed, boolean keepExisting) {
        if (ratios == null || ratios.length != 3)
            throw new IllegalArgumentException("ratios must have three parts (train, val, test)");
        int[] fixed = new int[samples.size()];
        Arrays.fill(fixed, -1);
        if (keepExisting)
            for (int i = 0; i < fixed.length; i++) {
                String s = samples.get(i).split();
                if (s != null) fixed[i] = SPLITS.indexOf(s.toLowerCase(Locale.ROOT));
            }
        int[] bin = groupAssign(samples, ratios, seed, fixed);
        List<Sample> out = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) out.add(samples.get(i).withSplit(SPLITS.get(bin[i])));
        return out;
    }

    /**
     * The samples {@code heldOut} picks as split "test"; everyone else split patient-grouped and class-stratified into
     * train and val in the proportions {@code train : val} (with {@code seed}). Same order as {@code samples}; any
     * split they carried is ignored. The shape of every proxy split ({@link BatchSplit}, {@link TextureSplit}): a
     * fixed test split chosen by some rule, the rest split as usual.
     */
    static List<Sample> assignAround(List<Sample> samples, java.util.function.Predicate<Sample> heldOut,
                                     double train, double val, long seed) {
        List<Sample> rest = new ArrayList<>();
        List<Integer> restAt = new ArrayList<>();
        List<Sample> out = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            boolean test = heldOut.test(s);
            out.add(s.withSplit(test ? "test" : null));
            if (!test) { rest.add(s.withSplit(null)); restAt.add(i); }
        }
        List<Sample> split = assign(rest, new double[] {train, val, 0}, seed);
        for (int j = 0; j < split.size(); j++) out.set(restAt.get(j), split.get(j));
        return out;
    }

    /** Fold number (0..k-1) per sample, grouped by patient and stratified by class like {@link #assign}. */
    public static int[] kFold(List<Sample> samples, int k, long seed) {
        if (k < 2) throw new IllegalArgumentException("k must be at least 2, got " + k);
        double[] ratios = new double[k];
        Arrays.fill(ratios, 1.0);
        int[] fixed = new int[samples.size()];
        Arrays.fill(fixed, -1);
        return groupAssign(samples, ratios, seed, fixed);
    }

    /** Parses "8:1:1" (or "0.8,0.1,0.1", "80/10/10") into three non-negative parts with a positive sum. */
    public static double[] parseRatios(String text) {
        String[] parts = text.trim().split("[:,/ ]+");
        if (parts.length != 3) throw new IllegalArgumentException("ratios need three parts train:val:test, got '" + text + "'");
        double[] r = new double[3];
        double sum = 0;
        for (int i = 0; i < 3; i++) {
            try {
                r[i] = Double.parseDouble(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("ratio '" + parts[i] + "' is not a number in '" + text + "'");
            }
            if (r[i] < 0 || !Double.isFinite(r[i])) throw new IllegalArgumentException("ratios must not be negative: '" + text + "'");
            sum += r[i];
        }
        if (sum <= 0) throw new IllegalArgumentException("ratios must not all be zero: '" + text + "'");
        return r;
    }

    /** A patient: their sample indices, majority label and (when kept) fixed bin. */
    private static final class Patient {
        final String id;
        final List<Integer> members = new ArrayList<>();
        Label stratum;
        int fixedBin = -1;

        Patient(String id) { this.id = id; }
    }

    static String groupKey(Sample s) {
        String p = s.patientId();
        return p == null || p.isBlank() ? "file:" + s.file() : p;
    }

    private static int[] groupAssign(List<Sample> samples, double[] ratios, long seed, int[] fixed) {
        int bins = ratios.length;
        double sum = 0;
        for (double r : ratios) {
            if (r < 0 || !Double.isFinite(r)) throw new IllegalArgumentException("ratios must not be negative");
            sum += r;
        }
        if (sum <= 0) throw new IllegalArgumentException("ratios must not all be zero");

        Map<String, Patient> byId = new TreeMap<>();
        for (int i = 0; i < samples.size(); i++)
            byId.computeIfAbsent(groupKey(samples.get(i)), Patient::new).members.add(i);

        Map<Label, Integer> overall = new EnumMap<>(Label.class);
        for (Label l : Label.values()) overall.put(l, 0);
        for (Sample s : samples) overall.merge(s.label(), 1, Integer::sum);

        for (Patient p : byId.values()) {
            int[] counts = new int[Label.COUNT];
            int[] fixedCounts = new int[bins];
            for (int i : p.members) {
                counts[samples.get(i).label().index()]++;
                if (fixed[i] >= 0 && fixed[i] < bins) fixedCounts[fixed[i]]++;
            }
            Label best = null;
            for (Label l : Label.values()) {
                int c = counts[l.index()];
                if (c == 0) continue;
                if (best == null || c > counts[best.index()]
                        || (c == counts[best.index()] && overall.get(l) < overall.get(best))) best = l;
            }
            p.stratum = best;
            int fb = -1;
            for (int b = 0; b < bins; b++) if (fixedCounts[b] > 0 && (fb < 0 || fixedCounts[b] > fixedCounts[fb])) fb = b;
            p.fixedBin = fb;
        }

        int[] bin = new int[samples.size()];
        Random rng = new Random(seed);
        for (Label stratum : Label.values()) {
            List<Patient> free = new ArrayList<>();
            double[] current = new double[bins];
            int total = 0;
            for (Patient p : byId.values()) {
                if (p.stratum != stratum) continue;
                total += p.members.size();
                if (p.fixedBin >= 0) {
                    for (int i : p.members) {
                        bin[i] = fixed[i] >= 0 && fixed[i] < bins ? fixed[i] : p.fixedBin;
                        current[bin[i]]++;
                    }
                } else free.add(p);
            }
            double[] target = new double[bins];
            for (int b = 0; b < bins; b++) target[b] = ratios[b] / sum * total;
            // Random order, then larger patients first (stable sort keeps the random order among equals):
            // big groups are placed while every split still has room.
            Collections.shuffle(free, rng);
            free.sort(Comparator.comparingInt((Patient p) -> -p.members.size()));
            for (Patient p : free) {
                int size = p.members.size();
                int choice = -1;
                double bestScore = Double.NEGATIVE_INFINITY;
                for (int b = 0; b < bins; b++) { // prefer the split with the largest relative room that fits
                    if (ratios[b] <= 0 || current[b] + size > target[b] + 1e-9) continue;
                    double score = (target[b] - current[b]) / target[b];
                    if (score > bestScore + 1e-12) { bestScore = score; choice = b; }
                }
                if (choice < 0) { // nowhere fits: the smallest relative overshoot
                    for (int b = 0; b < bins; b++) {
                        if (ratios[b] <= 0) continue;
                        double score = -(current[b] + size - target[b]) / target[b];
                        if (score > bestScore + 1e-12) { bestScore = score; choice = b; }
                    }
                }
                current[choice] += size;
                for (int i : p.members) bin[i] = choice;
            }
        }
        return bin;
    }
}
