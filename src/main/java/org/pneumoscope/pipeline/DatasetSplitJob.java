package org.pneumoscope.pipeline;

import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.BatchSplit;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Manifest;
import org.pneumoscope.data.PatientIds;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.SplitCheck;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.data.Splitter;
import org.pneumoscope.data.TextureSplit;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.pneumoscope.pipeline.Console.n;

/** {@code dataset split}: a manifest with patient-grouped, class-stratified train/val/test splits (and folds) by the chosen strategy. */
public final class DatasetSplitJob {
    /** The command's options, as parsed. */
    public record Options(Path data, Path out, String ratios, Integer folds, long seed, boolean keepExisting, boolean regroup, boolean verbatimIds, boolean force, SplitStrategy strategy, Double batchFraction, BatchSplit.End batchEnd, Double textureFraction, Double otherFraction) {}

    private final Path data;
    private final Path out;
    private final String ratios;
    private final Integer folds;
    private final long seed;
    private final boolean keepExisting;
    private final boolean regroup;
    private final boolean verbatimIds;
    private final boolean force;
    private final SplitStrategy strategy;
    private final Double batchFraction;
    private final BatchSplit.End batchEnd;
    private final Double textureFraction;
    private final Double otherFraction;
    private final PrintStream log;

    /** What was held out, for the printout (null for the strategies not used). */
    private BatchSplit.Holdout batch;
    private TextureSplit.Holdout texture;

    private DatasetSplitJob(Options o, PrintStream log) {
        data = o.data();
        out = o.out();
        ratios = o.ratios();
        folds = o.folds();
        seed = o.seed();
        keepExisting = o.keepExisting();
        regroup = o.regroup();
        verbatimIds = o.verbatimIds();
        force = o.force();
        strategy = o.strategy();
        batchFraction = o.batchFraction();
        batchEnd = o.batchEnd();
        textureFraction = o.textureFraction();
        otherFraction = o.otherFraction();
        this.log = log;
    }

    /** Runs the job as the options say, printing to {@code log}. */
    public static void run(Options o, PrintStream log) throws Exception {
        new DatasetSplitJob(o, log).run();
    }

    private void run() throws Exception {
        double[] r;
        try {
            r = Splitter.parseRatios(ratios);
        } catch (IllegalArgumentException e) {
            throw new UserException("--ratios: " + e.getMessage(), 2);
        }
        if (folds != null && (folds < 2 || folds > 100)) throw new UserException("--folds must be between 2 and 100", 2);
        checkStrategyOptions(r);

        PatientIds.Rule ids = verbatimIds ? PatientIds.Rule.VERBATIM : PatientIds.Rule.NAMING;
        DatasetScan scan = DatasetReader.read(data, ids).requireImages();
        Path outAbs = checkedOut(scan);
        SplitCheck.Checked checked = SplitCheck.check(split(scan.samples(), r), regroup, ids, "Add --regroup to move each "
                + "such patient's images into the split that holds most of them, or drop --keep-existing to re-split everyone.");
        List<Sample> split = checked.samples();
        int[] foldOf = folds == null ? null : folds(split);
        Manifest.write(outAbs, split, outAbs.getParent(), foldOf);

        log.println("Wrote " + out + ": " + n(split.size()) + " images, " + splitText() + ", seed " + seed
                + (folds != null ? ", " + folds + " folds" : "") + (keepExisting ? ", existing splits kept" : ""));
        printTable(split, foldOf);
        log.println(checked.result().text());
        if (batch != null) printHoldout(batch);
        if (texture != null) printTexture(texture);
        if (!scan.problems().isEmpty())
            log.println(n(scan.problems().size()) + " input(s) were skipped while listing the dataset "
                    + "(see: pneumoscope dataset stats --data " + data + ")");
    }

    /** The samples with their split by the chosen strategy; a batch or texture holdout is kept for the printout. */
    private List<Sample> split(List<Sample> samples, double[] r) {
        switch (strategy) {
            case BATCH -> {
                batch = holdout(samples);
                return BatchSplit.assign(samples, batch, r[0], r[1], seed);
            }
            case TEXTURE, SHAPE -> {
                texture = textureHoldout(samples);
                return TextureSplit.assign(samples, texture, r[0], r[1], seed);
            }
            default -> {
                return Splitter.assign(samples, r, seed, keepExisting);
            }
        }
    }

    /**
     * Each strategy's options mean nothing to the others; a batch or texture split decides the test split itself and
     * needs a train or val part.
     */
    private void checkStrategyOptions(double[] r) {
        if (strategy != SplitStrategy.BATCH && (batchFraction != null || batchEnd != null))
            throw new UserException("--batch-fraction and --batch-end apply to --strategy batch only", 2);
        if (!strategy.ranksNormals() && (textureFraction != null || otherFraction != null))
            throw new UserException("--texture-fraction and --other-fraction apply to --strategy texture or shape only", 2);
        if (strategy == SplitStrategy.PATIENT) return;
        if (keepExisting) throw new UserException("--keep-existing applies to --strategy patient only "
                + "(a " + strategy.id() + " split decides the test split itself)", 2);
        checkFraction("--batch-fraction", batchFraction);
        checkFraction("--texture-fraction", textureFraction);
        checkFraction("--other-fraction", otherFraction);
        if (r[0] + r[1] <= 0)
            throw new UserException("--ratios " + ratios + ": with --strategy " + strategy.id()
                    + " the train and val parts must not both be zero", 2);
    }

    private void checkFraction(String option, Double f) {
        if (f != null && !(f > 0 && f < 0.5))
            throw new UserException(option + " must be between 0 and 0.5 (exclusive), not " + f, 2);
    }

    /**
     * --out as an absolute path, refused when it cannot hold the manifest. Anywhere will do: the paths of images
     * outside its folder are written absolute.
     */
    private Path checkedOut(DatasetScan scan) {
        Path outAbs = out.toAbsolutePath().normalize();
        if (scan.source() != null && Files.isRegularFile(scan.source())
                && scan.source().toAbsolutePath().normalize().equals(outAbs) && !force)
            throw new UserException("--out " + out + " is the manifest being read; choose another name or add --force");
        if (Files.isDirectory(outAbs)) throw new UserException("--out " + out + " is a folder; give a CSV file name");
        return outAbs;
    }

    private BatchSplit.Holdout holdout(List<Sample> samples) {
        BatchSplit.Holdout h = BatchSplit.holdout(samples, fraction(), end());
        if (h.patients().isEmpty())
            throw new UserException("--strategy batch: no patient of " + data + " could be held out (" + h.withoutNumber()
                    + " patient(s) have no number in their id, and no family is large enough for "
                    + percent(fraction()) + "); use --strategy patient");
        return h;
    }

    private double fraction() { return batchFraction == null ? BatchSplit.DEFAULT_FRACTION : batchFraction; }

    /** The texture or shape holdout, measured on every core; refused when no normal-class patient can be held out. */
    private TextureSplit.Holdout textureHoldout(List<Sample> samples) {
        TextureSplit.Holdout h = TextureSplit.holdout(samples, NormalRankings.of(strategy), textureFraction(), otherFraction(), seed,
                Runtime.getRuntime().availableProcessors());
        if (h.normalsHeldOut() == 0)
            throw new UserException("--strategy " + strategy.id() + ": no normal-class patient of " + data + " could be held out ("
                    + h.normalPatients() + " normal patient(s) with a readable film, too few for " + percent(textureFraction())
                    + "); use --strategy patient");
        return h;
    }

    private double textureFraction() { return textureFraction == null ? TextureSplit.DEFAULT_TEXTURE_FRACTION : textureFraction; }

    private double otherFraction() { return otherFraction == null ? TextureSplit.DEFAULT_OTHER_FRACTION : otherFraction; }

    private BatchSplit.End end() { return batchEnd == null ? BatchSplit.End.EARLY : batchEnd; }

    /** Fold per image (0..K-1) over the non-test images, -1 for test images. */
    private int[] folds(List<Sample> split) {
        List<Sample> pool = new ArrayList<>();
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < split.size(); i++)
            if (!"test".equals(split.get(i).split())) { pool.add(split.get(i)); idx.add(i); }
        int[] f = Splitter.kFold(pool, folds, seed);
        int[] foldOf = new int[split.size()];
        java.util.Arrays.fill(foldOf, -1);
        for (int k = 0; k < idx.size(); k++) foldOf[idx.get(k)] = f[k];
        return foldOf;
    }

    /** "ratios 8:1:1" for a patient split (as it always read); what is held out and train:val otherwise. */
    private String splitText() {
        if (strategy == SplitStrategy.PATIENT) return "ratios " + ratios;
        String[] parts = ratios.trim().split("[:,/ ]+");
        String held = strategy == SplitStrategy.BATCH
                ? end().id() + " " + percent(fraction()) + " of each family's patients held out as test"
                : "the " + NormalRankings.of(strategy).heldOut() + " " + percent(textureFraction()) + " of normal-class patients and a random "
                        + percent(otherFraction()) + " of the others held out as test";
        return "strategy " + strategy.id() + " (" + held + "), train:val " + parts[0] + ":" + parts[1];
    }

    private String percent(double f) {
        return new java.math.BigDecimal(Double.toString(100 * f)).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString() + " %";
    }

    /** Per family: patients, how many were held out and their number range(s). */
    private void printHoldout(BatchSplit.Holdout h) {
        int w = 6;
        for (BatchSplit.Family f : h.families()) w = Math.max(w, f.label().length());
        log.println("Held out as test, by file-name family (" + h.end().id() + " " + percent(h.fraction()) + " of each family's patients):");
        String row = "%-" + w + "s%10s%10s  %s";
        log.println(String.format(row, "family", "patients", "held out", "numbers held out"));
        for (BatchSplit.Family f : h.families()) {
            List<String> ranges = new ArrayList<>();
            for (BatchSplit.Range r : f.ranges()) ranges.add(r.toString());
            log.println(String.format(row, f.label(), n(f.patients()), n(f.heldOut()),
                    ranges.isEmpty() ? "-" : String.join(", ", ranges)));
        }
        log.println("Patients without a number in their id (never held out): " + n(h.withoutNumber()));
    }

    /** How many patients were held out, the measure's cut and the medians that show why. */
    private void printTexture(TextureSplit.Holdout h) {
        log.println("Held out as test: " + n(h.normalsHeldOut()) + " of " + n(h.normalPatients())
                + " normal-class patients (the " + h.ranking().heldOut() + ") and " + n(h.othersHeldOut()) + " of " + n(h.otherPatients())
                + " other patients (at random, stratified by class)");
        if (h.unmeasuredNormals() > 0)
            log.println(n(h.unmeasuredNormals()) + " normal-class patient(s) have no readable film: not ranked, left in train/val");
        log.println(h.ranking().description() + ", median over films:");
        StringBuilder all = new StringBuilder();
        for (Label l : Label.values())
            all.append(all.length() == 0 ? "" : ", ").append(l.id()).append(' ').append(f2(h.classMedians().getOrDefault(l, Double.NaN)));
        log.println("  all films:         " + all);
        log.println("  held-out normals:  " + f2(h.heldOutNormalMedian()) + " (cut: patient median " + (h.ranking().highFirst() ? ">= " : "<= ")
                + f2(h.cut()) + ", the held-out normal patient nearest the others)");
        log.println("  other normals:     " + f2(h.keptNormalMedian()));
        Problem.list(log, "film(s) could not be read and were not measured:", h.problems());
    }

    private String f2(double v) { return Double.isNaN(v) ? "n/a" : String.format(java.util.Locale.ROOT, "%.2f", v); }

    private void printTable(List<Sample> split, int[] foldOf) {
        Map<String, int[]> counts = new TreeMap<>((a, b) -> Integer.compare(Splitter.SPLITS.indexOf(a), Splitter.SPLITS.indexOf(b)));
        Map<String, Set<String>> patients = new TreeMap<>();
        for (Sample s : split) {
            counts.computeIfAbsent(s.split(), k -> new int[Label.COUNT])[s.label().index()]++;
            patients.computeIfAbsent(s.split(), k -> new HashSet<>()).add(s.patientId());
        }
        log.println(String.format("%-8s%10s%10s%10s%10s%10s", "split", "bacteria", "virus", "normal", "total", "patients"));
        for (Map.Entry<String, int[]> e : counts.entrySet()) {
            int[] c = e.getValue();
            log.println(String.format("%-8s%10s%10s%10s%10s%10s", e.getKey(), n(c[0]), n(c[1]), n(c[2]),
                    n(c[0] + c[1] + c[2]), n(patients.get(e.getKey()).size())));
        }
        if (foldOf != null) {
            Map<Integer, Integer> perFold = new TreeMap<>();
            for (int f : foldOf) if (f >= 0) perFold.merge(f, 1, Integer::sum);
            StringBuilder b = new StringBuilder("Folds (images):");
            perFold.forEach((f, c) -> b.append(' ').append(f).append('=').append(n(c)));
            log.println(b);
        }
    }
}
