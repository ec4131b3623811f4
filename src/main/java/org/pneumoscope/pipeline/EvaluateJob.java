package org.pneumoscope.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.ProcessMemory;
import org.pneumoscope.core.Progress;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.data.PatientIds;
import org.pneumoscope.data.SplitCheck;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.Sample;
import org.pneumoscope.eval.BootstrapConfig;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.eval.CalibrationResult;
import org.pneumoscope.eval.CaseSelection;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.eval.Metrics;
import org.pneumoscope.eval.PredictionsCsv;
import org.pneumoscope.eval.ReliabilityDiagram;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.explain.Overlay;
import org.pneumoscope.report.EpochRecord;
import org.pneumoscope.report.GalleryImage;
import org.pneumoscope.report.ModelCard;
import org.pneumoscope.report.ReaderReference;
import org.pneumoscope.report.ReportBuilder;
import org.pneumoscope.train.Provenance;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.Scoring;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scores a labelled image set with a finished run and writes metrics.json, predictions.csv and a
 * self-contained report.html (curves, confusion, ROC, calibration, Grad-CAM gallery, model card).
 */
public final class EvaluateJob {
    private EvaluateJob() {}

    static final String KERMANY_CITATION = "Kermany, Zhang & Goldbaum (2018), Labeled Optical Coherence Tomography "
            + "(OCT) and Chest X-Ray Images for Classification, Mendeley Data v2, doi:10.17632/rscbjbr9sj.2, CC BY 4.0";

    /** Replicates of the patient bootstrap, and draws of the calibrated-model ECE floor. */
    static final int BOOTSTRAP_DRAWS = 1000;

    /** Bacterial phantoms the pointing game looks at, at the most. */
    static final int POINTING_IMAGES = 60;

    /** {@code shift}: an acquisition shift applied to every image before the model (a stress test; NONE normally). */
    public record Options(String splitName, boolean tta, boolean gallery, boolean phantom, String attribution,
                         Path masksRoot, long bootstrapSeed, AcquisitionShift shift) {
        public Options {
            if (shift == null) shift = AcquisitionShift.NONE;
        }

        public Options(String splitName, boolean tta, boolean gallery, boolean phantom, String attribution,
                       Path masksRoot, long bootstrapSeed) {
            this(splitName, tta, gallery, phantom, attribution, masksRoot, bootstrapSeed, AcquisitionShift.NONE);
        }

        public Options withShift(AcquisitionShift s) {
            return new Options(splitName, tta, gallery, phantom, attribution, masksRoot, bootstrapSeed, s);
        }

        public Options withSeed(long seed) {
            return new Options(splitName, tta, gallery, phantom, attribution, masksRoot, seed, shift);
        }

        /**
         * The options the train, evaluate and experiment commands use for these samples: phantom films (recognised
         * by the generator's file names) get the pointing game from their masks, Kermany films the data's citation.
         */
        public static Options forSamples(String split, boolean tta, boolean gallery, List<Sample> samples, Path data,
                                         long bootstrapSeed) {
            boolean phantom = !samples.isEmpty() && samples.stream().allMatch(x -> x.file().getFileName().toString().startsWith("phantom-"));
            boolean kermany = samples.stream().anyMatch(x -> x.patientId() != null && x.patientId().startsWith("person"));
            String attribution = kermany ? KERMANY_CITATION : null;
            return new Options(split, tta, gallery, phantom, attribution, phantom ? masksRoot(samples, data) : null, bootstrapSeed);
        }

        /** The folder holding {@code masks/}: the data folder (or a manifest's), else two levels above the films. */
        private static Path masksRoot(List<Sample> samples, Path data) {
            Path root = data == null ? null : (Files.isDirectory(data) ? data : data.toAbsolutePath().getParent());
            if (root != null && Files.isDirectory(root.resolve("masks"))) return root;
            if (samples.isEmpty()) return null;
            Path guess = samples.get(0).file().toAbsolutePath().getParent().getParent();
            return guess != null && Files.isDirectory(guess.resolve("masks")) ? guess : null;
        }
    }

    /** {@code peakRssMb}: the process's peak RSS when metrics.json was written (-1 where /proc is absent). */
    public record Outcome(EvaluationResult result, CalibrationResult calibration, Path metrics, Path report,
                          double pointingGame, int pointingN, long peakRssMb) {}

    public static Outcome run(TrainedModel model, List<Sample> samples, Path outDir, Options o, PrintStream out) throws IOException {
        return run(model, samples, outDir, o, out, List.of());
    }

    /**
     * As {@link #run(TrainedModel, List, Path, Options, PrintStream)}; {@code skippedBefore} are the inputs the dataset
     * scan already skipped, listed with the unreadable images in {@code skipped.csv}.
     */
    public static Outcome run(TrainedModel model, List<Sample> samples, Path outDir, Options o, PrintStream out,
                              List<Problem> skippedBefore) throws IOException {
        Files.createDirectories(outDir);
        model.shiftReference(); // a damaged one is refused before the images are scored
        TrainingOverlap overlap = TrainingOverlap.of(model, samples);
        SummaryFormat.warnTrainedOn(overlap, out); // before the long part, and again under the tables
        Readable rd = readable(model, samples, out);
        int skipped = writeSkipped(outDir, skippedBefore, rd.unreadable(), out);
        if (rd.ok().isEmpty()) throw new org.pneumoscope.core.UserException("no readable images to evaluate");
        Scored sc = score(model, rd, o.shift(), o.tta(), out);
        EvaluationSummary.Measured m = measure(model, rd.ok(), sc, o.bootstrapSeed(), o.tta());
        Map<Label, List<GalleryImage>> gallery = o.gallery() ? gallery(model, rd, m.predictions(), o.shift()) : Map.of();
        EvaluationSummary.Pointing pg = pointingGame(model, rd, o.masksRoot());
        // after scoring, Grad-CAM gallery and pointing game, the heavy parts; the report is plain Java
        EvaluationSummary s = new EvaluationSummary(o, model.profile(), m, rd.unreadable().size(), skipped, pg,
                ProcessMemory.peakRssMb(), overlap, provenance(model, rd.ok()));
        Path metrics = writeMetrics(outDir, s);
        writePredictions(outDir, m.predictions());
        Path report = writeReport(outDir, model, s, gallery);
        SummaryFormat.print(s, out);
        return new Outcome(m.result(), m.calibration(), metrics, report, pg.score().hitRate(), pg.score().n(), s.peakRssMb());
    }

    /** The software, the fingerprints of the model's config and of the films scored, and the model's own provenance. */
    static Map<String, Object> provenance(TrainedModel model, List<Sample> scored) {
        Map<String, Object> p = Provenance.of(model.config(), scored).toMap();
        p.put("model", model.card().get("provenance"));
        return p;
    }

    /**
     * evaluate's metrics.json for films scored elsewhere (another process or machine: {@code sc} holds their raw logits,
     * labels and pooled features, in the order of {@code ok}), measured by the same code as {@link #run}; prints the same
     * summary on {@code out} and returns the JSON text. The pointing game needs the films' Grad-CAM maps and is not played.
     */
    public static String metricsOfScored(TrainedModel model, List<Sample> ok, Scored sc, Options o, int unreadable,
                                         PrintStream out) throws IOException {
        if (ok.isEmpty()) throw new org.pneumoscope.core.UserException("no readable labelled films to measure");
        EvaluationSummary.Measured m = measure(model, ok, sc, o.bootstrapSeed(), o.tta());
        EvaluationSummary s = new EvaluationSummary(o, model.profile(), m, unreadable, unreadable,
                EvaluationSummary.Pointing.NONE, ProcessMemory.peakRssMb(), TrainingOverlap.of(model, ok), provenance(model, ok));
        SummaryFormat.print(s, out);
        return RunFolder.JSON.writeValueAsString(SummaryFormat.json(s));
    }

    /**
     * Lists the scan's skipped inputs and the unreadable films in skipped.csv (and says so on {@code out}), or removes
     * the one an earlier evaluation into the same folder left; returns how many inputs were skipped in all.
     */
    static int writeSkipped(Path outDir, List<Problem> skippedBefore, List<Problem> unreadable, PrintStream out) throws IOException {
        List<Problem> skipped = new ArrayList<>(skippedBefore);
        skipped.addAll(unreadable);
        Path csv = outDir.resolve(Problem.SKIPPED_CSV);
        if (skipped.isEmpty()) {
            Files.deleteIfExists(csv);
            return 0;
        }
        Problem.writeCsv(csv, skipped);
        out.printf(Locale.ROOT, "%d input(s) skipped in all; the full list with reasons is in %s%n", skipped.size(), csv);
        return skipped.size();
    }

    /** Calibrates the scores and measures them: metrics with patient-bootstrap intervals, calibration, ECE floor, shift alarm. */
    static EvaluationSummary.Measured measure(TrainedModel model, List<Sample> ok, Scored sc, long bootstrapSeed, boolean tta)
            throws IOException {
        int n = ok.size();
        String[] pids = new String[n], names = new String[n];
        for (int i = 0; i < n; i++) {
            pids[i] = ok.get(i).patientId();
            names[i] = ok.get(i).file().toString();
        }
        Calibration cal = model.calibration();
        float[][] probs = cal.probabilities(sc.logits());
        PredictionsCsv.Predictions p = new PredictionsCsv.Predictions(names, sc.labels(), probs, pids);
        DriftScore.Result drift = driftCheck(model, sc.features(), probs, tta);
        EvaluationResult r = p.evaluate(new BootstrapConfig(BOOTSTRAP_DRAWS, bootstrapSeed));
        CalibrationResult calib = CalibrationResult.of(cal, sc.logits(), sc.labels());
        // ECE is biased upwards on finite data: what a perfectly calibrated model would score here
        ReliabilityDiagram.Floor floor = ReliabilityDiagram.calibratedFloor(probs, Metrics.ECE_BINS, BOOTSTRAP_DRAWS, bootstrapSeed);
        return new EvaluationSummary.Measured(p, r, calib, floor, drift);
    }

    /** The Grad-CAM gallery: for each class (in label order) its most confident correct and most confident wrong film. */
    static Map<Label, List<GalleryImage>> gallery(TrainedModel model, Readable rd, PredictionsCsv.Predictions p,
                                                  AcquisitionShift shift) throws IOException {
        Map<Label, List<GalleryImage>> out = new EnumMap<>(Label.class);
        int[] labels = p.labels();
        float[][] probs = p.probabilities();
        for (Label l : Label.values()) {
            List<GalleryImage> g = new ArrayList<>();
            int right = CaseSelection.mostConfidentCorrect(labels, probs, l.index());
            int wrong = CaseSelection.mostConfidentWrong(labels, probs, l.index());
            if (right >= 0) g.add(cam(model, rd.cache(), rd.ok().get(right), probs[right], "most confident correct", shift));
            if (wrong >= 0) g.add(cam(model, rd.cache(), rd.ok().get(wrong), probs[wrong], "most confident wrong", shift));
            out.put(l, g);
        }
        return out;
    }

    /**
     * The Grad-CAM pointing game on the bacterial films that have a lesion mask under {@code masksRoot} (none: not
     * played). The last stage's map is 4×4 at 128 px, so where the network has a layer3 its finer map (8×8) is scored too.
     */
    static EvaluationSummary.Pointing pointingGame(TrainedModel model, Readable rd, Path masksRoot) {
        if (masksRoot == null) return EvaluationSummary.Pointing.NONE;
        PointingGame.Score last = PointingGame.score(model, rd.ok(), masksRoot, rd.cache(), POINTING_IMAGES);
        if (last.n() == 0) return EvaluationSummary.Pointing.NONE;
        PointingGame.Score layer3 = model.net().camLayers().contains("layer3")
                ? PointingGame.score(model, rd.ok(), masksRoot, rd.cache(), POINTING_IMAGES, "layer3") : null;
        return new EvaluationSummary.Pointing(model.net().lastFeatureLayer(), last,
                PointingGame.tolerance(model.config().size()), layer3);
    }

    static Path writeMetrics(Path outDir, EvaluationSummary s) throws IOException {
        ObjectNode json = SummaryFormat.json(s);
        Path metrics = outDir.resolve("metrics.json");
        AtomicFiles.writeString(metrics, RunFolder.JSON.writeValueAsString(json));
        return metrics;
    }

    static void writePredictions(Path outDir, PredictionsCsv.Predictions p) throws IOException {
        PredictionsCsv.write(outDir.resolve("predictions.csv"), p.files(), p.labels(), p.probabilities(), p.patientIds());
    }

    /** report.html: the run's configuration, data and training history beside this evaluation's figures and gallery. */
    static Path writeReport(Path outDir, TrainedModel model, EvaluationSummary s, Map<Label, List<GalleryImage>> gallery)
            throws IOException {
        Options o = s.options();
        EvaluationSummary.Measured m = s.measured();
        ReportBuilder rb = new ReportBuilder();
        gallery.forEach((l, g) -> rb.gradCam(l.id(), g));
        rb.title("Pneumoscope evaluation")
                .subtitle(String.format(Locale.ROOT, "%s@%d · %s split · %d images · %s%s",
                        model.config().model(), model.config().size(), o.splitName(), m.n(), model.run().dir().getFileName(),
                        o.shift().isNone() ? "" : " · acquisition shifted: " + o.shift().describe()))
                .runConfig(model.config().toMap())
                .datasetCounts(datasetCounts(model.card()))
                .splitCheck(splitCheckText(model.card()))
                .trainingHistory(history(model.run()))
                .evaluation(m.result())
                .evaluationSplit(o.splitName())
                .calibration(m.calibration())
                .calibrationFloor(m.calibratedFloor())
                .readerReference(ReaderReference.KAIST_2020)
                .phantomData(o.phantom())
                .trainedOnWarning(s.overlap().warning())
                .shiftAlarm(m.shiftAlarm())
                .modelCard(ModelCard.standard(model.config().model() + "@" + model.config().size() + " (" + model.config().head() + " head)",
                        o.attribution() != null ? o.attribution() : (o.phantom() ? "Pneumoscope phantom chest X-rays" : "user-supplied chest X-rays"),
                        o.phantom()));
        if (o.attribution() != null) rb.attribution(o.attribution());
        return rb.write(outDir.resolve("report.html"));
    }

    /**
     * The shift alarm's check of a set of films against the model's reference, or the no-reference result (its
     * message says so) for a run trained before the alarm existed.
     */
    public static DriftScore.Result driftCheck(TrainedModel model, float[][] features, float[][] probabilities, boolean tta)
            throws IOException {
        boolean[] mirrored = new boolean[features.length];
        java.util.Arrays.fill(mirrored, tta);
        return driftCheck(model, features, probabilities, mirrored);
    }

    /** As above, for films scored with mirror averaging or not one by one ({@code mirrored[i]}). */
    public static DriftScore.Result driftCheck(TrainedModel model, float[][] features, float[][] probabilities, boolean[] mirrored)
            throws IOException {
        return model.driftScore().map(d -> d.check(features, probabilities, mirrored))
                .orElseGet(() -> DriftScore.Result.noReference(probabilities));
    }

    /** The images that decoded, in their cache, and the ones that did not (already listed on {@code out}). */
    public record Readable(ImageCache cache, List<Sample> ok, List<Problem> unreadable) {}

    /** Decodes every sample once at the model's size; unreadable files are listed on {@code out} and left out. */
    public static Readable readable(TrainedModel model, List<Sample> samples, PrintStream out) {
        ImageCache cache = new ImageCache(null, Runtime.getRuntime().maxMemory() / 4);
        List<Path> files = new ArrayList<>();
        for (Sample s : samples) files.add(s.file());
        List<Problem> bad = cache.warm(files, model.recipe().size(), model.recipe().resize(), Runtime.getRuntime().availableProcessors(), null);
        Problem.list(out, "unreadable file(s) skipped:", bad);
        java.util.Set<Path> badSet = new java.util.HashSet<>();
        bad.forEach(p -> badSet.add(p.file()));
        return new Readable(cache, samples.stream().filter(s -> !badSet.contains(s.file())).toList(), bad);
    }

    /** Raw logits, labels and pooled features of the readable images, in their order. */
    public record Scored(float[][] logits, int[] labels, float[][] features) {}

    /** The model's raw logits and pooled features for every readable image (re-rendered by {@code shift} first), 64 at a time. */
    public static Scored score(TrainedModel model, Readable rd, AcquisitionShift shift, boolean tta, PrintStream out) throws IOException {
        List<Sample> ok = rd.ok();
        int n = ok.size();
        float[][] logits = new float[n][], features = new float[n][];
        int[] labels = new int[n];
        Progress bar = new Progress(System.console() != null ? System.err : out, System.console() != null, "scoring", n);
        int batch = 64;
        for (int from = 0; from < n; from += batch) {
            int to = Math.min(n, from + batch);
            List<GreyImage> imgs = new ArrayList<>();
            for (int i = from; i < to; i++) imgs.add(shift.apply(get(rd.cache(), ok.get(i), model)));
            Scoring.Outputs z = model.scores(imgs, tta);
            for (int i = from; i < to; i++) {
                logits[i] = z.logits()[i - from];
                features[i] = z.features()[i - from];
                labels[i] = ok.get(i).label().index();
            }
            bar.update(to, to, "");
        }
        return new Scored(logits, labels, features);
    }

    static GreyImage get(ImageCache cache, Sample s, TrainedModel m) throws IOException {
        try {
            return cache.get(s.file(), m.recipe());
        } catch (DecodeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    static GalleryImage cam(TrainedModel model, ImageCache cache, Sample s, float[] p, String what,
                            AcquisitionShift shift) throws IOException {
        GreyImage g = shift.apply(get(cache, s, model));
        CamResult c = model.explain(g, null, null);
        int pred = Metrics.argmax(p);
        String cap = String.format(Locale.ROOT, "%s: true %s, predicted %s (p %.2f) — %s", what, s.label().id(),
                Label.of(pred).id(), p[pred], s.file().getFileName());
        return new GalleryImage(Overlay.render(g, c), cap);
    }

    /** The leak check's sentence from the model card; a run from before the check says it was not checked. */
    static String splitCheckText(Map<String, Object> card) {
        if (!(card.get("split_check") instanceof Map<?, ?> m) || !(m.get("patients") instanceof Number p))
            return "This run was split before the leak check existed: whether a patient appears in two splits was not "
                    + "checked (pneumoscope dataset stats --data RUN/split.csv lists any).";
        int regrouped = m.get("regrouped") instanceof Number r ? r.intValue() : 0;
        PatientIds.Rule ids = "verbatim".equals(m.get("patient_ids")) ? PatientIds.Rule.VERBATIM : PatientIds.Rule.NAMING;
        return new SplitCheck.Result(p.intValue(), regrouped, ids).text();
    }

    static Map<String, int[]> datasetCounts(Map<String, Object> card) {
        Map<String, int[]> m = new LinkedHashMap<>();
        Object d = card.get("data");
        if (!(d instanceof Map)) return m;
        for (Map.Entry<?, ?> e : ((Map<?, ?>) d).entrySet()) {
            if (!(e.getValue() instanceof Map)) continue;
            Map<?, ?> c = (Map<?, ?>) e.getValue();
            int[] v = new int[Label.COUNT];
            for (Label l : Label.values()) v[l.index()] = c.get(l.id()) instanceof Number ? ((Number) c.get(l.id())).intValue() : 0;
            m.put(String.valueOf(e.getKey()), v);
        }
        return m;
    }

    static List<EpochRecord> history(RunFolder run) {
        List<EpochRecord> l = new ArrayList<>();
        try {
            JsonNode root = RunFolder.JSON.readTree(run.metricsJson().toFile());
            for (JsonNode e : root.path("epochs")) {
                double[] rec = new double[Label.COUNT];
                for (Label lb : Label.values()) rec[lb.index()] = num(e.path("val_recall").path(lb.id()));
                l.add(new EpochRecord(e.path("epoch").asInt(), num(e.path("train_loss")), num(e.path("train_acc")),
                        num(e.path("val_loss")), num(e.path("val_acc")), num(e.path("lr")), num(e.path("img_per_s")), rec));
            }
        } catch (IOException e) {
            return List.of();
        }
        return l;
    }

    private static double num(JsonNode n) { return n.isNumber() ? n.asDouble() : Double.NaN; }

    /** Decodes a file at the model size outside any cache (for predict/explain of arbitrary images). */
    public static GreyImage load(Path file, TrainedModel m) throws DecodeException {
        return m.recipe().fit(ImageDecoder.decode(file));
    }
}
