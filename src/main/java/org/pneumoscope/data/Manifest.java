package org.pneumoscope.data;

import org.pneumoscope.core.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Writes the CSV manifest that {@link DatasetReader} reads back: {@code file,label,patient_id,split[,fold]},
 * UTF-8 ({@link Csv}), paths relative to a folder with forward slashes (absolute for a file outside it). The write is atomic (temp file, then rename), so a
 * crash never leaves half a manifest behind.
 */
public final class Manifest {
    private Manifest() {}

    /** First line of a manifest whose paths are relative to a folder other than its own. */
    public static final String ROOT_DIRECTIVE = "#root=";

    /** The folder all {@code samples} live under (their deepest common ancestor). */
    public static Path commonRoot(List<Sample> samples) {
        Path root = null;
        for (Sample s : samples) {
            Path d = s.file().toAbsolutePath().normalize().getParent();
            if (root == null) { root = d; continue; }
            while (root != null && !d.startsWith(root)) root = root.getParent();
        }
        return root == null ? Path.of("").toAbsolutePath() : root;
    }

    /** Writes {@code samples} with paths relative to {@code relativeTo} (normally the CSV's own folder). */
    public static void write(Path csv, List<Sample> samples, Path relativeTo) throws IOException {
        write(csv, samples, relativeTo, null);
    }

    /**
     * As {@link #write(Path, List, Path)}, with a {@code fold} column when {@code folds} is not null
     * ({@code folds[i]} belongs to {@code samples.get(i)}; a negative fold is written empty, e.g. for test images).
     */
    public static void write(Path csv, List<Sample> samples, Path relativeTo, int[] folds) throws IOException {
        if (folds != null && folds.length != samples.size())
            throw new IllegalArgumentException("folds has " + folds.length + " entries for " + samples.size() + " samples");
        Path base = relativeTo.toAbsolutePath().normalize();
        StringBuilder b = new StringBuilder(64 * samples.size() + 64);
        Path csvDir = csv.toAbsolutePath().normalize().getParent();
        // a manifest kept apart from its images (a run's split.csv) names the folder its paths are relative to
        if (!base.equals(csvDir)) b.append(ROOT_DIRECTIVE).append(base).append('\n');
        b.append(Csv.record(folds != null ? List.of("file", "label", "patient_id", "split", "fold")
                : List.of("file", "label", "patient_id", "split")));
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            Object[] row = {path(base, s.file()), s.label().id(), s.patientId(), s.split(), null};
            if (folds != null && folds[i] >= 0) row[4] = folds[i];
            b.append(Csv.record(folds != null ? row : Arrays.copyOf(row, 4)));
        }
        AtomicFiles.write(csv, b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The manifest's path for {@code file}: relative and '/'-separated when it lies under {@code base}, so that the
     * folder can move with its manifest; absolute otherwise.
     */
    static String path(Path base, Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (!abs.startsWith(base) || abs.equals(base)) return abs.toString();
        StringBuilder sb = new StringBuilder();
        for (Path part : base.relativize(abs)) {
            if (sb.length() > 0) sb.append('/');
            sb.append(part);
        }
        return sb.toString();
    }
}
