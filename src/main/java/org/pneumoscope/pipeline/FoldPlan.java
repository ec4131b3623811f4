package org.pneumoscope.pipeline;

import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.BatchSplit;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Manifest;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.data.Splitter;
import org.pneumoscope.data.TextureSplit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Who is tested and who is in which fold. First a fixed test split of whole patients (stratified by class, the
 * early batch of patient numbers, or the blurriest normals with a share of the others), then K patient-grouped, stratified folds over everyone else. Every cell sees the
 * same partition, so cells differ only in their config: fold f trains on the other K-1 folds, picks its epoch on
 * fold f (whose figures rank the cells) and is scored once on the test split. The partition depends only on the
 * images and the seed.
 */
public final class FoldPlan {
    /** Fold number of a test image. */
    public static final int TEST = -1;

    private final List<Sample> samples; // split "test" or "train" (the cross-validation pool)
    private final int[] fold;           // 0..k-1, or TEST
    private final int k;

    private FoldPlan(List<Sample> samples, int[] fold, int k) {
        this.samples = List.copyOf(samples);
        this.fold = fold.clone();
        this.k = k;
    }

    /** Partitions {@code all} with a patient holdout (any existing split is ignored). */
    public static FoldPlan make(List<Sample> all, int k, double testFraction, long seed) {
        return make(all, k, testFraction, SplitStrategy.PATIENT, seed);
    }

    /**
     * Partitions {@code all} (any existing split is ignored). The test split is {@code testFraction} of the patients:
     * a random, class-stratified share for {@link SplitStrategy#PATIENT}, the lowest-numbered share of each
     * file-name family for {@link SplitStrategy#BATCH} (as {@code dataset split --strategy batch} holds out). For
     * {@link SplitStrategy#TEXTURE} it is the random, class-stratified share of the patients who are not normal-class,
     * held out with the blurriest {@link TextureSplit#DEFAULT_TEXTURE_FRACTION} of the normal-class patients (as
     * {@code dataset split --strategy texture --other-fraction F}); every film is decoded to measure it.
     */
    public static FoldPlan make(List<Sample> all, int k, double testFraction, SplitStrategy holdout, long seed) {
        if (k < 2) throw new IllegalArgumentException("need at least 2 folds, got " + k);
        List<Sample> norm = new ArrayList<>(all.size());
        for (Sample s : all) norm.add(new Sample(s.file().toAbsolutePath().normalize(), s.label(), s.patientId(), null));
        norm.sort(Comparator.comparing(s -> s.file().toString()));
        List<Sample> split = switch (holdout) {
            case BATCH -> batchTest(norm, testFraction);
            case TEXTURE, SHAPE -> textureTest(norm, holdout, testFraction, seed);
            case PATIENT -> Splitter.assign(norm, new double[] {1 - testFraction, 0, testFraction}, seed, false);
        };
        List<Sample> pool = new ArrayList<>();
        for (Sample s : split) if (!"test".equals(s.split())) pool.add(s);
        int[] poolFold = Splitter.kFold(pool, k, seed);
        int[] fold = new int[split.size()];
        List<Sample> out = new ArrayList<>(split.size());
        int p = 0;
        for (int i = 0; i < split.size(); i++) {
            Sample s = split.get(i);
            boolean test = "test".equals(s.split());
            fold[i] = test ? TEST : poolFold[p++];
            out.add(s.withSplit(test ? "test" : "train"));
        }
        return new FoldPlan(out, fold, k);
    }

    /** The early batch as split "test", everyone else "train"; refused when no patient can be held out. */
    private static List<Sample> batchTest(List<Sample> samples, double fraction) {
        BatchSplit.Holdout h = BatchSplit.holdout(samples, fraction, BatchSplit.End.EARLY);
        if (h.patients().isEmpty())
            throw new UserException("holdout batch: no patient could be held out (" + h.withoutNumber() + " patient(s) have no "
                    + "number in their id, and no file-name family is large enough for a share of " + fraction + "); use holdout patient");
        List<Sample> out = new ArrayList<>(samples.size());
        for (Sample s : samples) out.add(s.withSplit(h.holds(s) ? "test" : "train"));
        return out;
    }

    /**
     * The blurriest (or narrowest-chested) normals and a share of the others as split "test", everyone else "train";
     * refused without normals to hold out.
     */
    private static List<Sample> textureTest(List<Sample> samples, SplitStrategy strategy, double otherFraction, long seed) {
        TextureSplit.Holdout h = TextureSplit.holdout(samples, NormalRankings.of(strategy), TextureSplit.DEFAULT_TEXTURE_FRACTION,
                otherFraction, seed, Runtime.getRuntime().availableProcessors());
        if (h.normalsHeldOut() == 0)
            throw new UserException("holdout " + strategy.id() + ": no normal-class patient could be held out (" + h.normalPatients()
                    + " with a readable film); use holdout patient");
        List<Sample> out = new ArrayList<>(samples.size());
        for (Sample s : samples) out.add(s.withSplit(h.holds(s) ? "test" : "train"));
        return out;
    }

    /** Reads a partition written by {@link #write}. */
    public static FoldPlan read(Path csv) {
        DatasetScan scan = DatasetReader.read(csv);
        if (!scan.problems().isEmpty())
            throw new UserException(csv + ": " + scan.problems().size() + " line(s) could not be read, first: " + scan.problems().get(0));
        List<Sample> samples = new ArrayList<>();
        List<Integer> folds = new ArrayList<>();
        int k = 0;
        for (Sample s : scan.samples()) {
            OptionalInt f = scan.fold(s);
            boolean test = "test".equals(s.split());
            if (!test && f.isEmpty()) throw new UserException(csv + ": " + s.file() + " has neither a fold nor split=test");
            samples.add(new Sample(s.file().toAbsolutePath().normalize(), s.label(), s.patientId(), test ? "test" : "train"));
            folds.add(test ? TEST : f.getAsInt());
            if (!test) k = Math.max(k, f.getAsInt() + 1);
        }
        // keep the same order make() produced, whatever order the reader returns
        Integer[] idx = new Integer[samples.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, Comparator.comparing(i -> samples.get(i).file().toString()));
        List<Sample> s2 = new ArrayList<>();
        int[] f2 = new int[idx.length];
        for (int i = 0; i < idx.length; i++) { s2.add(samples.get(idx[i])); f2[i] = folds.get(idx[i]); }
        return new FoldPlan(s2, f2, k);
    }

    /** Writes the partition as a manifest with a fold column (empty for test images). */
    public void write(Path csv) throws IOException {
        Manifest.write(csv, samples, Manifest.commonRoot(samples), fold);
    }

    public int folds() { return k; }

    public List<Sample> samples() { return samples; }

    public int foldOf(int i) { return fold[i]; }

    public List<Sample> test() {
        List<Sample> t = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) if (fold[i] == TEST) t.add(samples.get(i));
        return t;
    }

    /** The images of fold {@code f} (0-based) as train / val / test. */
    public List<Sample> forFold(int f) {
        if (f < 0 || f >= k) throw new IllegalArgumentException("fold " + f + " out of 0.." + (k - 1));
        List<Sample> out = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            String sp = fold[i] == TEST ? "test" : fold[i] == f ? "val" : "train";
            out.add(samples.get(i).withSplit(sp));
        }
        return out;
    }

    /** Images per class of fold {@code f}'s training part. */
    public int[] trainCounts(int f) { return counts(f, false); }

    /** Images per class in fold {@code f} (its validation part). */
    public int[] valCounts(int f) { return counts(f, true); }

    private int[] counts(int f, boolean inFold) {
        int[] c = new int[Label.COUNT];
        for (int i = 0; i < samples.size(); i++)
            if (fold[i] != TEST && (fold[i] == f) == inFold) c[samples.get(i).label().index()]++;
        return c;
    }

    public int[] testCounts() {
        int[] c = new int[Label.COUNT];
        for (int i = 0; i < samples.size(); i++) if (fold[i] == TEST) c[samples.get(i).label().index()]++;
        return c;
    }

    public int patients() {
        Set<String> p = new HashSet<>();
        for (Sample s : samples) p.add(s.patientId() == null || s.patientId().isBlank() ? "file:" + s.file() : s.patientId());
        return p.size();
    }

    /**
     * Null when {@code other} assigns every image the same way; otherwise a one-line description of the first
     * differences (a different data folder, test fraction, fold count or seed).
     */
    public String difference(FoldPlan other) {
        if (k != other.k) return other.k + " folds instead of " + k;
        Map<String, Integer> mine = new HashMap<>();
        for (int i = 0; i < samples.size(); i++) mine.put(samples.get(i).file().toString(), fold[i]);
        int changed = 0, added = 0;
        String first = null;
        for (int i = 0; i < other.samples.size(); i++) {
            String f = other.samples.get(i).file().toString();
            Integer m = mine.remove(f);
            if (m == null) { added++; if (first == null) first = f + " is new"; }
            else if (m != other.fold[i]) { changed++; if (first == null) first = f + " moved"; }
        }
        int removed = mine.size();
        if (changed + added + removed == 0) return null;
        if (first == null) first = mine.keySet().iterator().next() + " is gone";
        return String.format(Locale.ROOT, "%d image(s) new, %d gone, %d in another fold (e.g. %s)", added, removed, changed, first);
    }

    public static String countsText(int[] c) {
        return String.format(Locale.ROOT, "%,d images (%,d bacteria, %,d virus, %,d normal)", c[0] + c[1] + c[2], c[0], c[1], c[2]);
    }
}
