package org.pneumoscope.cli;

import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.Progress;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DecodeException;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.explain.Overlay;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.train.Scoring;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Classify X-ray files or folders (recursively). Unreadable files are listed with reasons; the rest are scored.",
                "With " + DriftScore.MIN_WINDOW + " files or more, a shift check compares them with the run's validation films "
                        + "and warns when they differ (e.g. another scanner)."})
public class PredictCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A finished run folder.") Path run;
    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Image files (JPEG, PNG, TIFF, BMP, DICOM) or folders.") List<Path> paths;
    @Option(names = "--out", description = "Write predictions to this CSV (default: print to stdout).") Path out;
    @Option(names = "--cam", paramLabel = "DIR", description = "Also write a Grad-CAM overlay PNG per image here.") Path camDir;
    @Option(names = "--tta", description = "Average with the horizontally flipped image.") Boolean tta;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Use the run's site profile NAME (made by adapt) instead of its own weights.") String profile;

    static final int BATCH = 32;

    @Override
    public Integer call() throws Exception {
        Listing listing = list(paths);
        List<Path> files = listing.files();
        if (files.isEmpty())
            throw new UserException("no files found under " + paths + (listing.problems().isEmpty() ? ""
                    : "; skipped: " + String.join("; ", listing.problems())));
        try (TrainedModel m = TrainedModel.load(run, profile)) {
            boolean useTta = tta != null ? tta : m.config().tta();
            if (files.size() >= DriftScore.MIN_WINDOW) m.shiftReference(); // a damaged one is refused before any work
            int threads = Runtime.getRuntime().availableProcessors();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<GreyImage>> decoded = new ArrayList<>();
            for (Path f : files) decoded.add(pool.submit(() -> EvaluateJob.load(f, m)));
            StringBuilder csv = new StringBuilder("file,predicted_label,p_bacteria,p_virus,p_normal\n");
            List<String> problems = new ArrayList<>(listing.problems());
            Progress bar = new Progress("predict", files.size());
            List<float[]> features = new ArrayList<>(), probabilities = new ArrayList<>();
            int done = 0, scored = 0;
            try {
                for (int from = 0; from < files.size(); from += BATCH) {
                    int to = Math.min(files.size(), from + BATCH);
                    List<GreyImage> imgs = new ArrayList<>();
                    List<Path> names = new ArrayList<>();
                    for (int i = from; i < to; i++) {
                        try {
                            imgs.add(decoded.get(i).get());
                            names.add(files.get(i));
                        } catch (java.util.concurrent.ExecutionException e) {
                            Throwable c = e.getCause();
                            problems.add(files.get(i) + ": " + (c instanceof DecodeException ? ((DecodeException) c).reason() : String.valueOf(c)));
                        }
                    }
                    if (!imgs.isEmpty()) {
                        Scoring.Outputs sc = m.scores(imgs, useTta);
                        float[][] p = m.calibration().probabilities(sc.logits());
                        features.addAll(List.of(sc.features()));
                        probabilities.addAll(List.of(p));
                        for (int i = 0; i < imgs.size(); i++) {
                            int k = org.pneumoscope.eval.Metrics.argmax(p[i]);
                            csv.append(String.format(Locale.ROOT, "%s,%s,%.6f,%.6f,%.6f%n", quote(names.get(i).toString()),
                                    Label.of(k).id(), p[i][0], p[i][1], p[i][2]));
                            if (camDir != null) writeCam(m, imgs.get(i), names.get(i), camDir);
                        }
                        scored += imgs.size();
                    }
                    done = to;
                    bar.update(done, done, "");
                }
            } finally {
                pool.shutdownNow();
            }
            if (out != null) {
                AtomicFiles.writeString(out, csv.toString());
                System.out.printf(Locale.ROOT, "scored %d of %d file(s); predictions in %s%n", scored, files.size(), out);
            } else {
                System.out.print(csv);
            }
            if (!problems.isEmpty()) {
                System.err.printf(Locale.ROOT, "%d file(s) skipped:%n", problems.size());
                problems.forEach(p -> System.err.println("  " + p));
            }
            if (scored >= DriftScore.MIN_WINDOW) {
                String line = EvaluateJob.driftCheck(m, features.toArray(float[][]::new), probabilities.toArray(float[][]::new)).line();
                // with the predictions on stdout the line goes to stderr, so the CSV stays a CSV
                (out != null ? System.out : System.err).println(line);
            }
            return scored == 0 ? 1 : 0;
        }
    }

    static void writeCam(TrainedModel m, GreyImage g, Path file, Path dir) throws IOException {
        CamResult c = m.explain(g, null, null);
        Files.createDirectories(dir);
        String base = file.getFileName().toString().replaceAll("\\.[^.]*$", "");
        Overlay.writePng(Overlay.render(g, c, 0.45), dir.resolve(base + "_cam.png"));
    }

    static String quote(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** The files to score, and the inputs skipped while listing them (with reasons). */
    record Listing(List<Path> files, List<String> problems) {}

    /**
     * Files as given, and every regular non-hidden file under folders, following symbolic links (a linked folder of
     * images is scored) but reporting loops, unreadable folders and names that are not valid text instead of
     * silently dropping them. Sorted within each folder.
     */
    static Listing list(List<Path> paths) throws IOException {
        List<Path> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.isDirectory(p)) {
                if (!DatasetReader.representableName(p)) problems.add(p + ": " + DatasetReader.nameNotTextReason());
                else out.add(p); // the decoder says what is wrong with it, if anything
                continue;
            }
            List<Path> found = new ArrayList<>();
            Files.walkFileTree(p, EnumSet.of(FileVisitOption.FOLLOW_LINKS), 64, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return !dir.equals(p) && dir.getFileName().toString().startsWith(".") ? FileVisitResult.SKIP_SUBTREE
                            : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    String n = f.getFileName().toString();
                    if (n.startsWith(".") || n.endsWith(".csv") || n.endsWith(".json")) return FileVisitResult.CONTINUE;
                    if (attrs.isSymbolicLink()) problems.add(f + ": broken symbolic link (its target does not exist)");
                    else if (!attrs.isRegularFile()) problems.add(f + ": not a regular file (device, pipe or socket); skipped");
                    else if (!DatasetReader.representableName(f)) problems.add(f + ": " + DatasetReader.nameNotTextReason());
                    else found.add(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    if (e instanceof FileSystemLoopException)
                        problems.add(f + ": symbolic link loop (the link points back to a folder above it); skipped");
                    else if (e instanceof AccessDeniedException) problems.add(f + ": cannot read: permission denied");
                    else problems.add(f + ": cannot read: " + e.getMessage());
                    return FileVisitResult.CONTINUE;
                }
            });
            found.sort(null);
            out.addAll(found);
        }
        return new Listing(out, problems);
    }
}
