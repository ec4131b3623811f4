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

    static final int BATCH = 32;

    @Override
    public Integer call() throws Exception {
        FilmListing listing = FilmListing.of(paths);
        List<Path> files = listing.files();
        if (files.isEmpty())
            throw new UserException("no files found under " + paths + (listing.problems().isEmpty() ? ""
                    : "; skipped: " + String.join("; ", listing.problems())));
        try (Classifier c = Classifier.load(run, profile)) {
            Classifier use = tta != null ? c.withTta(tta) : c;
            DicomAnswer dicom = dicomOut == null ? null : new DicomAnswer(use);
            List<String> noDicom = new ArrayList<>();
            int answered = 0;
            if (files.size() >= ShiftCheck.MIN_FILMS) c.hasShiftReference(); // a damaged one is refused before any work
            StringBuilder csv = new StringBuilder("file,predicted_label,p_bacteria,p_virus,p_normal\n");
            List<String> problems = new ArrayList<>(listing.problems());
            List<Prediction> scoredPredictions = new ArrayList<>();
            int scored = 0;
            ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
            try {
                List<Future<Film>> read = new ArrayList<>();
                for (Path f : files) read.add(pool.submit(() -> Film.read(f)));
                Progress bar = new Progress("predict", files.size());
                for (int from = 0; from < files.size(); from += Classifier.BATCH) {
                    int to = Math.min(files.size(), from + Classifier.BATCH);
                    List<Film> films = readable(read.subList(from, to), files.subList(from, to), problems);
                    List<Prediction> predicted = use.predict(films);
                    for (Prediction p : predicted) {
                        csv.append(String.format(Locale.ROOT, "%s,%s,%.6f,%.6f,%.6f%n", Csv.field(p.film()), p.label().id(),
                                p.probability(Label.BACTERIA), p.probability(Label.VIRUS), p.probability(Label.NORMAL)));
                        scoredPredictions.add(p);
                    }
                    if (camDir != null) for (Film f : films) writeCam(c, f, camDir);
                    if (dicom != null)
                        for (int i = 0; i < films.size(); i++) answered += writeDicom(dicom, films.get(i), predicted.get(i), noDicom);
                    scored += films.size();
                    bar.update(to, to, "");
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
            if (dicom != null) {
                (out != null ? System.out : System.err).printf(Locale.ROOT, "DICOM answers (SR + Grad-CAM SC) for %d of %d "
                        + "film(s) in %s%n", answered, scored, dicomOut);
                if (!noDicom.isEmpty()) {
                    System.err.printf(Locale.ROOT, "%d film(s) without a DICOM answer:%n", noDicom.size());
                    noDicom.forEach(p -> System.err.println("  " + p));
                }
            }
            if (!problems.isEmpty()) {
                System.err.printf(Locale.ROOT, "%d file(s) skipped:%n", problems.size());
                problems.forEach(p -> System.err.println("  " + p));
            }
            if (scored >= ShiftCheck.MIN_FILMS) {
                String line = c.checkShift(scoredPredictions).line();
                // with the predictions on stdout the line goes to stderr, so the CSV stays a CSV
                (out != null ? System.out : System.err).println(line);
            }
            return scored == 0 ? 1 : 0;
        }
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

    static void writeCam(Classifier c, Film film, Path dir) throws IOException {
        Explanation e = c.explain(film);
        Files.createDirectories(dir);
        String base = Path.of(film.name()).getFileName().toString().replaceAll("\\.[^.]*$", "");
        e.writeOverlay(dir.resolve(base + "_cam.png"), Explanation.DEFAULT_OPACITY);
    }

    /**
     * The film's SR and SC in {@link #dicomOut}, stating the prediction of the CSV; 1 when written. A film that
     * cannot have one goes to {@code noDicom} with the reason (never a value read from the file).
     */
    private int writeDicom(DicomAnswer dicom, Film film, Prediction p, List<String> noDicom) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(Path.of(film.name()));
        } catch (IOException e) {
            noDicom.add(film.name() + ": cannot read it again: " + e.getClass().getSimpleName());
            return 0;
        }
        try {
            DicomAnswer.write(dicom.answer(bytes, film, p), dicomOut, DicomAnswer.base(film.name()));
            return 1;
        } catch (DecodeException e) {
            noDicom.add(film.name() + ": " + e.reason());
            return 0;
        }
    }
}
