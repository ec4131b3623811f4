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
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.Sample;
import org.pneumoscope.eval.BootstrapConfig;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.eval.CalibrationResult;
import org.pneumoscope.eval.CaseSelection;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.eval.Evaluation;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.eval.EvaluationTables;
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
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.Scoring;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    /** {@code shift}: an acquisition shift applied to every image before the model (a stress test; NONE normally). */
    static final String KERMANY_CITATION = "Kermany, Zhang & Goldbaum (2018), Labeled Optical Coherence Tomography "
            + "(OCT) and Chest X-Ray Images for Classification, Mendeley Data v2, doi:10.17632/rscbjbr9sj.2, CC BY 4.0";

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
        Readable rd = readable(model, samples, out);
        List<Problem> bad = rd.unreadable();
        List<Problem> skipped = new ArrayList<>(skippedBefore);
        skipped.addAll(bad);
        Path skippedCsv = outDir.resolve(Problem.SKIPPED_CSV);
        if (!skipped.isEmpty()) {
            Problem.writeCsv(skippedCsv, skipped);
            out.printf(Locale.ROOT, "%d input(s) skipped in all; the full list with reasons is in %s%n", skipped.size(), skippedCsv);
        } else {
            Files.deleteIfExists(skippedCsv); // left by an earlier evaluation into the same folder
        }
        List<Sample> ok = rd.ok();
        if (ok.isEmpty()) throw new org.pneumoscope.core.UserException("no readable images to evaluate");
        ImageCache cache = rd.cache();
        Scored sc = score(model, rd, o.shift(), o.tta(), out);
        int n = ok.size();
        float[][] logits = sc.logits();
        int[] labels = sc.labels();
        String[] pids = new String[n], names = new String[n];
        for (int i = 0; i < n; i++) {
            pids[i] = ok.get(i).patientId();
            names[i] = ok.get(i).file().toString();
        }
        Calibration cal = model.calibration();
        double t = cal.temperature();
        float[][] probs = cal.probabilities(logits);
        DriftScore.Result drift = driftCheck(model, sc.features(), probs);
        EvaluationResult r = Evaluation.of(labels, probs, pids, names, new BootstrapConfig(1000, o.bootstrapSeed()));
        CalibrationResult calib = CalibrationResult.of(cal, logits, labels);
        double eceBefore = calib.eceBefore();
        // ECE is biased upwards on finite data: what a perfectly calibrated model would score here
        ReliabilityDiagram.Floor floor = ReliabilityDiagram.calibratedFloor(probs, Metrics.ECE_BINS, 1000, o.bootstrapSeed());

        ObjectNode json = r.toJsonNode();
        json.put("split", o.splitName());
        json.put("temperature", t);
        json.put("calibration_method", cal.method());
        if (cal.shiftsClasses()) {
            com.fasterxml.jackson.databind.node.ArrayNode cb = json.putArray("class_bias");
            for (double v : cal.bias()) cb.add(v);
        }
        json.put("ece_uncalibrated", eceBefore);
        json.put("ece_calibrated", r.ece());
        ObjectNode fj = json.putObject("ece_if_calibrated");
        fj.put("mean", floor.mean());
        fj.put("p95", floor.p95());
        fj.put("draws", floor.draws());
        fj.put("seed", floor.seed());
        json.put("tta", o.tta());
        if (model.profile() != null) json.put("profile", model.profile());
        json.put("shift", o.shift().describe());
        json.put("unreadable_files", bad.size());
        json.put("skipped_inputs", skipped.size());
        json.put("radiologist_reference_accuracy", ReaderReference.KAIST_2020.rate());
        // "shift" names the --shift stress test above; the alarm's check of these films is "shift_alarm"
        json.set("shift_alarm", RunFolder.JSON.valueToTree(drift.toMap()));

        // Grad-CAM gallery: for each class the most confident correct and most confident wrong image
        ReportBuilder rb = new ReportBuilder();
        PointingGame.Score pg = PointingGame.Score.NONE;
        if (o.gallery()) {
            for (Label l : Label.values()) {
                List<GalleryImage> g = new ArrayList<>();
                int right = CaseSelection.mostConfidentCorrect(labels, probs, l.index());
                int wrong = CaseSelection.mostConfidentWrong(labels, probs, l.index());
                if (right >= 0) g.add(cam(model, cache, ok.get(right), probs[right], "most confident correct", o.shift()));
                if (wrong >= 0) g.add(cam(model, cache, ok.get(wrong), probs[wrong], "most confident wrong", o.shift()));
                rb.gradCam(l.id(), g);
            }
        }
        if (o.masksRoot() != null) {
            pg = PointingGame.score(model, ok, o.masksRoot(), cache, 60);
            if (pg.n() > 0) {
                ObjectNode pgj = json.putObject("gradcam_pointing_game");
                pgj.put("layer", model.net().lastFeatureLayer());
                pg.writeTo(pgj);
                pgj.put("tolerance_px", PointingGame.tolerance(model.config().size()));
                // the last stage's map is 4×4 at 128 px: also score the finer layer3 map (8×8)
                if (model.net().camLayers().contains("layer3")) {
                    PointingGame.Score p3 = PointingGame.score(model, ok, o.masksRoot(), cache, 60, "layer3");
                    p3.writeTo(json.putObject("gradcam_pointing_game_layer3"));
                    out.printf(Locale.ROOT, "Grad-CAM on layer3: %.1f %% hits (%.1f %% by chance), %.1f %% of the map's energy inside masks covering %.1f %% of the image%n",
                            100 * p3.hitRate(), 100 * p3.chanceHitRate(), 100 * p3.energyInMask(), 100 * p3.maskAreaFraction());
                }
            }
        }
        // after scoring, Grad-CAM gallery and pointing game, the heavy parts; the report is plain Java
        long peak = ProcessMemory.peakRssMb();
        if (peak >= 0) json.put("peak_rss_mb", peak); else json.putNull("peak_rss_mb");
        Path metrics = outDir.resolve("metrics.json");
        AtomicFiles.writeString(metrics, RunFolder.JSON.writeValueAsString(json));
        PredictionsCsv.write(outDir.resolve("predictions.csv"), names, labels, probs, pids);

        Map<String, Object> card = model.card();
        rb.title("Pneumoscope evaluation")
                .subtitle(String.format(Locale.ROOT, "%s@%d · %s split · %d images · %s%s",
                        model.config().model(), model.config().size(), o.splitName(), n, model.run().dir().getFileName(),
                        o.shift().isNone() ? "" : " · acquisition shifted: " + o.shift().describe()))
                .runConfig(model.config().toMap())
                .datasetCounts(datasetCounts(card))
                .trainingHistory(history(model.run()))
                .evaluation(r)
                .evaluationSplit(o.splitName())
                .calibration(calib)
                .calibrationFloor(floor)
                .readerReference(ReaderReference.KAIST_2020)
                .phantomData(o.phantom())
                .shiftAlarm(drift)
                .modelCard(ModelCard.standard(model.config().model() + "@" + model.config().size() + " (" + model.config().head() + " head)",
                        o.attribution() != null ? o.attribution() : (o.phantom() ? "Pneumoscope phantom chest X-rays" : "user-supplied chest X-rays"),
                        o.phantom()));
        if (o.attribution() != null) rb.attribution(o.attribution());
        Path report = rb.write(outDir.resolve("report.html"));
        if (!o.shift().isNone()) out.println("every image re-rendered before the model: " + o.shift().describe());
        out.println(EvaluationTables.text(r));
        out.printf(Locale.ROOT, "ECE (15 bins): %.4f before calibration, %.4f after (%s)%n", eceBefore, r.ece(),
                cal.describe(List.of(Label.ids())));
        out.printf(Locale.ROOT, "  a perfectly calibrated model with these confidences would score %.4f on %d images (95 %% of %d draws <= %.4f): %s%n",
                floor.mean(), n, floor.draws(), floor.p95(),
                floor.consistent(r.ece()) ? "no evidence of miscalibration" : "miscalibrated beyond chance");
        if (pg.n() > 0) {
            out.printf(Locale.ROOT, "Grad-CAM pointing game on %d bacterial phantoms (layer4): %.1f %% hits (%.1f %% by chance), %.1f %% of the map's energy inside masks covering %.1f %% of the image%n",
                    pg.n(), 100 * pg.hitRate(), 100 * pg.chanceHitRate(), 100 * pg.energyInMask(), 100 * pg.maskAreaFraction());
        }
        out.println(drift.line());
        out.println("peak RSS after evaluation: " + ProcessMemory.mb(peak));
        return new Outcome(r, calib, metrics, report, pg.hitRate(), pg.n(), peak);
    }

    /**
     * The shift alarm's check of a set of films against the model's reference, or the no-reference result (its
     * message says so) for a run trained before the alarm existed.
     */
    public static DriftScore.Result driftCheck(TrainedModel model, float[][] features, float[][] probabilities) throws IOException {
        return model.shiftReference().map(r -> new DriftScore(r).check(features, probabilities))
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
        return new GalleryImage(Overlay.render(g, c, 0.45), cap);
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
