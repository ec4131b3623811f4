package org.pneumoscope.cli;

import org.pneumoscope.data.BatchSplit;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Label;
import org.pneumoscope.data.Manifest;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.data.Splitter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import static org.pneumoscope.cli.DatasetCommand.n;

/**
 * {@code pneumoscope dataset split --data X --out split.csv [--ratios 8:1:1] [--folds K] [--seed S]
 * [--strategy patient|batch [--batch-fraction F] [--batch-end early|late|both]]}.
 */
@Command(name = "split", mixinStandardHelpOptions = true,
        description = {"Write a manifest CSV (file,label,patient_id,split[,fold]) with patient-grouped, class-stratified "
                + "train/val/test splits that every other command accepts as --data.",
                "With --folds K, a fold column (0..K-1) is added for cross-validation over the non-test images; "
                        + "test images get an empty fold.",
                "Manifest paths are relative to the CSV, so --out must be inside the data folder."})
public class DatasetSplitCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, paramLabel = "FOLDER|CSV", description = "Dataset folder or CSV manifest.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "CSV", description = "Manifest to write (inside the data folder).")
    Path out;

    @Option(names = "--ratios", paramLabel = "T:V:T", description = "train:val:test proportions (default ${DEFAULT-VALUE}).")
    String ratios = "8:1:1";

    @Option(names = "--folds", paramLabel = "K", description = "Also assign K cross-validation folds.")
    Integer folds;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed; the same seed gives the same split (default ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--keep-existing", description = "Keep splits the dataset already has; distribute only the rest.")
    boolean keepExisting;

    @Option(names = "--force", description = "Allow overwriting the manifest that was read.")
    boolean force;

    @Option(names = "--strategy", paramLabel = "patient|batch", description = {
            "What the test split holds (default: patient).",
            "patient: a random, class-stratified share of patients (--ratios).",
            "batch: a proxy for films from another acquisition period, which a random patient split never shows. Within "
                    + "each file-name family (the patient id without its last number: IM-, NORMAL2-IM-, person) the "
                    + "patients with the lowest numbers (--batch-fraction, --batch-end) are the test split; the rest is "
                    + "split by patient into train and val in the train:val proportions of --ratios (its test part is "
                    + "ignored). Patients without a number in their id are never held out."})
    SplitStrategy strategy = SplitStrategy.PATIENT;

    @Option(names = "--batch-fraction", paramLabel = "F",
            description = "With --strategy batch: share of each family's patients held out (default 0.10).")
    Double batchFraction;

    @Option(names = "--batch-end", paramLabel = "early|late|both",
            description = "With --strategy batch: hold out the lowest numbers (early, the default), the highest (late) or "
                    + "the fraction from each end (both).")
    BatchSplit.End batchEnd;

    @Override
    public Integer call() throws Exception {
        double[] r;
        try {
            r = Splitter.parseRatios(ratios);
        } catch (IllegalArgumentException e) {
            throw new UserException("--ratios: " + e.getMessage(), 2);
        }
        if (folds != null && (folds < 2 || folds > 100)) throw new UserException("--folds must be between 2 and 100", 2);
        checkBatchOptions(r);

        DatasetScan scan = DatasetReader.read(data).requireImages();
        Path outAbs = checkedOut(scan);
        BatchSplit.Holdout holdout = null;
        List<Sample> split;
        if (strategy == SplitStrategy.BATCH) {
            holdout = holdout(scan.samples());
            split = BatchSplit.assign(scan.samples(), holdout, r[0], r[1], seed);
        } else {
            split = Splitter.assign(scan.samples(), r, seed, keepExisting);
        }
        int[] foldOf = folds == null ? null : folds(split);
        Manifest.write(outAbs, split, outAbs.getParent(), foldOf);

        System.out.println("Wrote " + out + ": " + n(split.size()) + " images, " + splitText() + ", seed " + seed
                + (folds != null ? ", " + folds + " folds" : "") + (keepExisting ? ", existing splits kept" : ""));
        printTable(split, foldOf);
        if (holdout != null) printHoldout(holdout);
        if (!scan.problems().isEmpty())
            System.out.println(n(scan.problems().size()) + " input(s) were skipped while listing the dataset "
                    + "(see: pneumoscope dataset stats --data " + data + ")");
        return 0;
    }

    /** The batch options mean nothing to a patient split, and a batch split needs a train or val part. */
    private void checkBatchOptions(double[] r) {
        if (strategy != SplitStrategy.BATCH) {
            if (batchFraction != null || batchEnd != null)
                throw new UserException("--batch-fraction and --batch-end apply to --strategy batch only", 2);
            return;
        }
        if (keepExisting) throw new UserException("--keep-existing applies to --strategy patient only "
                + "(a batch split decides the test split from the patient numbers)", 2);
        if (batchFraction != null && !(batchFraction > 0 && batchFraction < 0.5))
            throw new UserException("--batch-fraction must be between 0 and 0.5 (exclusive), not " + batchFraction, 2);
        if (r[0] + r[1] <= 0)
            throw new UserException("--ratios " + ratios + ": with --strategy batch the train and val parts must not both be zero", 2);
    }

    /** --out as an absolute path, refused when it cannot hold the manifest. */
    private Path checkedOut(DatasetScan scan) {
        Path root = (Files.isDirectory(data) ? data : data.toAbsolutePath().getParent()).toAbsolutePath().normalize();
        Path outAbs = out.toAbsolutePath().normalize();
        if (!outAbs.getParent().startsWith(root))
            throw new UserException("--out " + out + " must be inside the data folder " + root
                    + " (manifest paths are relative to the CSV and may not leave its folder); e.g. --out "
                    + root.resolve("split.csv"));
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

    /** "ratios 8:1:1" for a patient split (as it always read); the held-out batch and train:val for a batch split. */
    private String splitText() {
        if (strategy != SplitStrategy.BATCH) return "ratios " + ratios;
        String[] parts = ratios.trim().split("[:,/ ]+");
        return "strategy batch (" + end().id() + " " + percent(fraction()) + " of each family's patients held out as test), "
                + "train:val " + parts[0] + ":" + parts[1];
    }

    private static String percent(double f) {
        return new java.math.BigDecimal(Double.toString(100 * f)).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString() + " %";
    }

    /** Per family: patients, how many were held out and their number range(s). */
    private static void printHoldout(BatchSplit.Holdout h) {
        int w = 6;
        for (BatchSplit.Family f : h.families()) w = Math.max(w, f.label().length());
        System.out.println("Held out as test, by file-name family (" + h.end().id() + " " + percent(h.fraction()) + " of each family's patients):");
        String row = "%-" + w + "s%10s%10s  %s";
        System.out.println(String.format(row, "family", "patients", "held out", "numbers held out"));
        for (BatchSplit.Family f : h.families()) {
            List<String> ranges = new ArrayList<>();
            for (BatchSplit.Range r : f.ranges()) ranges.add(r.toString());
            System.out.println(String.format(row, f.label(), n(f.patients()), n(f.heldOut()),
                    ranges.isEmpty() ? "-" : String.join(", ", ranges)));
        }
        System.out.println("Patients without a number in their id (never held out): " + n(h.withoutNumber()));
    }

    private void printTable(List<Sample> split, int[] foldOf) {
        Map<String, int[]> counts = new TreeMap<>((a, b) -> Integer.compare(Splitter.SPLITS.indexOf(a), Splitter.SPLITS.indexOf(b)));
        Map<String, Set<String>> patients = new TreeMap<>();
        for (Sample s : split) {
            counts.computeIfAbsent(s.split(), k -> new int[Label.COUNT])[s.label().index()]++;
            patients.computeIfAbsent(s.split(), k -> new HashSet<>()).add(s.patientId());
        }
        System.out.println(String.format("%-8s%10s%10s%10s%10s%10s", "split", "bacteria", "virus", "normal", "total", "patients"));
        for (Map.Entry<String, int[]> e : counts.entrySet()) {
            int[] c = e.getValue();
            System.out.println(String.format("%-8s%10s%10s%10s%10s%10s", e.getKey(), n(c[0]), n(c[1]), n(c[2]),
                    n(c[0] + c[1] + c[2]), n(patients.get(e.getKey()).size())));
        }
        if (foldOf != null) {
            Map<Integer, Integer> perFold = new TreeMap<>();
            for (int f : foldOf) if (f >= 0) perFold.merge(f, 1, Integer::sum);
            StringBuilder b = new StringBuilder("Folds (images):");
            perFold.forEach((f, c) -> b.append(' ').append(f).append('=').append(n(c)));
            System.out.println(b);
        }
    }
}
