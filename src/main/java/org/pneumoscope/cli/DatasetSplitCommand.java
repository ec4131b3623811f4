package org.pneumoscope.cli;

import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Label;
import org.pneumoscope.data.Manifest;
import org.pneumoscope.data.Sample;
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

/** {@code pneumoscope dataset split --data X --out split.csv [--ratios 8:1:1] [--folds K] [--seed S]}. */
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

    @Override
    public Integer call() throws Exception {
        double[] r;
        try {
            r = Splitter.parseRatios(ratios);
        } catch (IllegalArgumentException e) {
            throw new UserException("--ratios: " + e.getMessage(), 2);
        }
        if (folds != null && (folds < 2 || folds > 100)) throw new UserException("--folds must be between 2 and 100", 2);

        DatasetScan scan = DatasetReader.read(data).requireImages();
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

        List<Sample> split = Splitter.assign(scan.samples(), r, seed, keepExisting);
        int[] foldOf = null;
        if (folds != null) {
            List<Sample> pool = new ArrayList<>();
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < split.size(); i++)
                if (!"test".equals(split.get(i).split())) { pool.add(split.get(i)); idx.add(i); }
            int[] f = Splitter.kFold(pool, folds, seed);
            foldOf = new int[split.size()];
            java.util.Arrays.fill(foldOf, -1);
            for (int k = 0; k < idx.size(); k++) foldOf[idx.get(k)] = f[k];
        }
        Manifest.write(outAbs, split, outAbs.getParent(), foldOf);

        System.out.println("Wrote " + out + ": " + n(split.size()) + " images, ratios " + ratios + ", seed " + seed
                + (folds != null ? ", " + folds + " folds" : "") + (keepExisting ? ", existing splits kept" : ""));
        printTable(split, foldOf);
        if (!scan.problems().isEmpty())
            System.out.println(n(scan.problems().size()) + " input(s) were skipped while listing the dataset "
                    + "(see: pneumoscope dataset stats --data " + data + ")");
        return 0;
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
