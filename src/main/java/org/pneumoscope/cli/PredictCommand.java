package org.pneumoscope.cli;

import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.Explanation;
import org.pneumoscope.api.Film;
import org.pneumoscope.api.FilmListing;
import org.pneumoscope.api.Prediction;
import org.pneumoscope.api.ShiftCheck;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.Progress;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.Csv;
import org.pneumoscope.dicom.DicomAnswer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Classify X-ray files or folders (recursively). Unreadable files are listed with reasons; the rest are scored.",
                "With " + ShiftCheck.MIN_FILMS + " files or more, a shift check compares them with the run's validation films "
                        + "and warns when they differ (e.g. another scanner)."})
public class PredictCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A finished run folder.") Path run;
    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Image files (JPEG, PNG, TIFF, BMP, DICOM) or folders.") List<Path> paths;
    @Option(names = "--out", description = "Write predictions to this CSV (default: print to stdout).") Path out;
    @Option(names = "--cam", paramLabel = "DIR", description = "Also write a Grad-CAM overlay PNG per image here.") Path camDir;
    @Option(names = "--dicom-out", paramLabel = "DIR",
            description = {"For each DICOM film, also write a structured report (SR) and a Grad-CAM secondary capture "
                    + "into DIR as NAME_sr.dcm and NAME_sc.dcm, both in the film's study. Other formats are scored but "
                    + "get no DICOM answer (they have no study to join); they are listed with the reason."}) Path dicomOut;
    @Option(names = "--tta", description = "Average with the horizontally flipped image.") Boolean tta;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Use the run's site profile NAME (made by adapt) instead of its own weights.") String profile;

    /** What a run of the command scored, wrote and skipped. */
    private static final class Tally {
        final StringBuilder csv = new StringBuilder("file,predicted_label,p_bacteria,p_virus,p_normal\n");
        final List<Prediction> predictions = new ArrayList<>();
        final List<String> problems = new ArrayList<>(), noDicom = new ArrayList<>();
        int scored, answered;

        Tally(List<String> listingProblems) {
            problems.addAll(listingProblems);
        }
    }

    @Override
    public Integer call() throws Exception {
        FilmListing listing = FilmListing.of(paths);
        List<Path> files = listing.files();
        if (files.isEmpty())
            throw new UserException("no files found under " + paths + (listing.problems().isEmpty() ? ""
                    : "; skipped: " + String.join("; ", listing.problems())));
        try (Classifier c = Classifier.load(run, profile)) {
            if (files.size() >= ShiftCheck.MIN_FILMS) c.hasShiftReference(); // a damaged one is refused before any work
            Tally t = score(tta != null ? c.withTta(tta) : c, files, new Tally(listing.problems()));
            report(c, t, files.size());
            return t.scored == 0 ? 1 : 0;
        }
    }

    /** Reads the files on all cores while the network scores them batch by batch. */
    private Tally score(Classifier use, List<Path> files, Tally t) throws Exception {
        DicomAnswer dicom = dicomOut == null ? null : new DicomAnswer(use);
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        try {
            List<Future<Film>> read = new ArrayList<>();
            for (Path f : files) read.add(pool.submit(() -> Film.read(f)));
            Progress bar = new Progress("predict", files.size());
            for (int from = 0; from < files.size(); from += Classifier.BATCH) {
                int to = Math.min(files.size(), from + Classifier.BATCH);
                scoreBatch(use, dicom, readable(read.subList(from, to), files.subList(from, to), t.problems), t);
                bar.update(to, to, "");
            }
        } finally {
            pool.shutdownNow();
        }
        return t;
    }

    private void scoreBatch(Classifier use, DicomAnswer dicom, List<Film> films, Tally t) throws IOException {
        List<Explanation> pictured = withPictures() ? use.explain(films, null, null, use.tta()) : null;
        List<Prediction> predicted = pictured == null ? use.predict(films) : pictured.stream().map(Explanation::prediction).toList();
        for (Prediction p : predicted) {
            t.csv.append(String.format(Locale.ROOT, "%s,%s,%.6f,%.6f,%.6f%n", Csv.field(p.film()), p.label().id(),
                    p.probability(Label.BACTERIA), p.probability(Label.VIRUS), p.probability(Label.NORMAL)));
            t.predictions.add(p);
        }
        if (camDir != null) for (Explanation e : pictured) writeCam(e, camDir);
        if (dicom != null)
            for (int i = 0; i < films.size(); i++) t.answered += writeDicom(dicom, films.get(i), pictured.get(i), t.noDicom);
        t.scored += films.size();
    }

    /** The CSV (to --out or stdout), then the DICOM answers, the skipped files and the shift check. */
    private void report(Classifier c, Tally t, int files) throws IOException {
        // with the predictions on stdout the summaries go to stderr, so the CSV stays a CSV
        java.io.PrintStream notes = out != null ? System.out : System.err;
        if (out != null) {
            AtomicFiles.writeString(out, t.csv.toString());
            System.out.printf(Locale.ROOT, "scored %d of %d file(s); predictions in %s%n", t.scored, files, out);
        } else {
            System.out.print(t.csv);
        }
        if (dicomOut != null) {
            notes.printf(Locale.ROOT, "DICOM answers (SR + Grad-CAM SC) for %d of %d film(s) in %s%n", t.answered, t.scored, dicomOut);
            list(t.noDicom, "film(s) without a DICOM answer");
        }
        list(t.problems, "file(s) skipped");
        if (t.scored >= ShiftCheck.MIN_FILMS) notes.println(c.checkShift(t.predictions).line());
    }

    private static void list(List<String> items, String what) {
        if (items.isEmpty()) return;
        System.err.printf(Locale.ROOT, "%d %s:%n", items.size(), what);
        items.forEach(p -> System.err.println("  " + p));
    }

    /** The films that decoded and are usable; the others go to {@code problems} with their reasons. */
    private static List<Film> readable(List<Future<Film>> read, List<Path> files, List<String> problems) throws InterruptedException {
        List<Film> films = new ArrayList<>();
        for (int i = 0; i < read.size(); i++) {
            try {
                films.add(read.get(i).get());
            } catch (ExecutionException e) {
                Throwable x = e.getCause();
                problems.add(files.get(i) + ": " + (x instanceof DecodeException d ? d.reason() : String.valueOf(x)));
            }
        }
        return films;
    }

    /**
     * Whether the films get pictures (--cam, --dicom-out). Then a batch is scored by one Grad-CAM pass, whose
     * predictions are those of a plain pass with the same mirror averaging, instead of a plain pass and a Grad-CAM
     * pass per film: the heatmaps show the classes the CSV states.
     */
    private boolean withPictures() {
        return camDir != null || dicomOut != null;
    }

    static void writeCam(Explanation e, Path dir) throws IOException {
        Files.createDirectories(dir);
        String base = Path.of(e.prediction().film()).getFileName().toString().replaceAll("\\.[^.]*$", "");
        e.writeOverlay(dir.resolve(base + "_cam.png"), Explanation.DEFAULT_OPACITY);
    }

    /**
     * The film's SR and SC in {@link #dicomOut}, stating the prediction of the CSV; 1 when written. A film that
     * cannot have one goes to {@code noDicom} with the reason (never a value read from the file).
     */
    private int writeDicom(DicomAnswer dicom, Film film, Explanation explained, List<String> noDicom) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(Path.of(film.name()));
        } catch (IOException e) {
            noDicom.add(film.name() + ": cannot read it again: " + e.getClass().getSimpleName());
            return 0;
        }
        try {
            DicomAnswer.write(dicom.answer(bytes, film, explained.prediction(), explained), dicomOut, DicomAnswer.base(film.name()));
            return 1;
        } catch (DecodeException e) {
            noDicom.add(film.name() + ": " + e.reason());
            return 0;
        }
    }
}
