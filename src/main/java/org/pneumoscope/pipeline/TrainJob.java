package org.pneumoscope.pipeline;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import org.pneumoscope.augment.Recipe;
import org.pneumoscope.augment.Transform;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.DjlSetup;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.ProcessMemory;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Detail;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.Manifest;
import org.pneumoscope.data.PatientIds;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.SplitCheck;
import org.pneumoscope.data.Splitter;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.eval.CalibrationResult;
import org.pneumoscope.eval.Evaluation;
import org.pneumoscope.eval.ShiftReference;
import org.pneumoscope.model.XrayNet;
import org.pneumoscope.train.ImageSource;
import org.pneumoscope.train.Models;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.Scoring;
import org.pneumoscope.train.TrainConfig;
import org.pneumoscope.train.Trainer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A whole training run from a dataset to a finished run folder: scan, patient-grouped split, decode
 * cache, train, pick the best epoch, calibrate on validation, write the model card. Resumable.
 */
public final class TrainJob {
    private TrainJob() {}

    /**
     * {@code regroup}: when a patient has images in two of the chosen splits, move them into one instead of refusing;
     * {@code ids}: how a manifest's patient ids are read.
     */
    public record Options(Path data, Path runDir, TrainConfig config, boolean resume, boolean allowDownload,
                          Path cacheDir, PrintStream out, boolean regroup, PatientIds.Rule ids) {
        public Options {
            if (ids == null) ids = PatientIds.Rule.NAMING;
        }

        public Options(Path data, Path runDir, TrainConfig config, boolean resume, boolean allowDownload,
                       Path cacheDir, PrintStream out) {
            this(data, runDir, config, resume, allowDownload, cacheDir, out, false, PatientIds.Rule.NAMING);
        }
    }

    /** What the leak check found when the split was chosen, kept beside config.yaml and copied into model.json. */
    static final String SPLIT_CHECK = "split_check.json";

    /** {@code peakRssMb}: the process's peak RSS at the end of the job (-1 where /proc is absent). */
    public record Outcome(RunFolder run, TrainConfig config, List<Sample> samples, Trainer.Result result,
                          double temperature, Scoring.Scores valScores, long peakRssMb) {}

    public static Outcome run(Options o) throws IOException {
        DjlSetup.configure();
        RunFolder run = new RunFolder(o.runDir());
        PrintStream out = o.out() == null ? System.out : o.out();
        TrainConfig cfg;
        List<Sample> samples;
        List<Problem> skipped = new ArrayList<>();
        if (o.resume()) {
            if (!Files.isRegularFile(run.config()) || !Files.isRegularFile(run.split()))
                throw new UserException(o.runDir() + " is not a run folder that can be resumed (no config.yaml / split.csv)");
            if (run.complete()) {
                out.println("run " + o.runDir() + " is already complete; nothing to resume");
                return null;
            }
            cfg = TrainConfig.fromMap(TrainConfig.readYaml(run.config()));
            AtomicFiles.removeStale(run.dir()); // temporaries of a writer killed mid-write
            DatasetScan scan = DatasetReader.read(run.split());
            report(scan.problems(), out);
            skipped.addAll(scan.problems());
            samples = scan.samples();
        } else {
            if (Files.exists(run.lastCheckpoint()) || run.complete())
                throw new UserException(o.runDir() + " already holds a run; use --resume to continue it or choose another --out");
            cfg = o.config();
            checkWritable(o.runDir());
            DatasetScan scan = DatasetReader.read(o.data(), o.ids());
            report(scan.problems(), out);
            skipped.addAll(scan.problems());
            scan.requireImages().requireAllClasses();
            samples = scan.samples();
            boolean hasTest = samples.stream().anyMatch(s -> "test".equals(s.split()));
            boolean hasVal = samples.stream().anyMatch(s -> "val".equals(s.split()));
            long smallVal = samples.stream().filter(s -> "val".equals(s.split())).count();
            if (hasTest && hasVal && smallVal >= 30) {
                out.println("using the dataset's own train/val/test split");
            } else {
                samples = Splitter.assign(samples, TrainConfig.splitRatios(cfg.split()), cfg.seed(), false);
                out.printf(Locale.ROOT, "split %s by patient (stratified, seed %d)%s%n", cfg.split(), cfg.seed(),
                        hasVal || hasTest ? "; the dataset's own split was incomplete or tiny, so all images were re-split" : "");
            }
            SplitCheck.Checked checked = SplitCheck.check(samples, o.regroup(), o.ids(), "Add --regroup to move each such "
                    + "patient's images into the split that holds most of them, or re-split the data (pneumoscope dataset split).");
            samples = checked.samples();
            out.println(checked.result().text());
            Files.createDirectories(o.runDir());
            AtomicFiles.writeString(run.config(), cfg.toYaml());
            writeSplitCheck(run, checked.result());
            Manifest.write(run.split(), samples, Manifest.commonRoot(samples));
        }

        ImageCache cache = new ImageCache(o.cacheDir(), Runtime.getRuntime().maxMemory() / 3);
        return trainPrepared(run, cfg, samples, o.resume(), o.allowDownload(), cache, out, skipped);
    }

    /**
     * Trains on samples that already carry their train/val/test split (an experiment's cross-validation
     * fold), into {@code runDir}: the same path as {@link #run} after its split step. A fresh run writes
     * config.yaml and split.csv first; {@code resume} continues from the last epoch checkpoint and refuses a
     * folder whose config differs from {@code cfg}. The {@code cache} may be shared between runs.
     */
    public static Outcome runOnSplit(Path runDir, TrainConfig cfg, List<Sample> samples, boolean resume,
                                     boolean allowDownload, ImageCache cache, PrintStream out) throws IOException {
        DjlSetup.configure();
        RunFolder run = new RunFolder(runDir);
        if (resume) {
            if (!Files.isRegularFile(run.config()))
                throw new UserException(runDir + " cannot be resumed: it has no config.yaml");
            TrainConfig stored = TrainConfig.fromMap(TrainConfig.readYaml(run.config()));
            if (!stored.equals(cfg))
                throw new UserException(runDir + " was started with a different config; remove the folder to start it again");
        } else {
            if (Files.exists(run.lastCheckpoint()) || run.complete())
                throw new UserException(runDir + " already holds a run");
            checkWritable(runDir);
            SplitCheck.Result check = SplitCheck.check(samples, false, PatientIds.Rule.NAMING,
                    "A split made for a run must keep each patient in one split.").result();
            Files.createDirectories(runDir);
            AtomicFiles.writeString(run.config(), cfg.toYaml());
            writeSplitCheck(run, check);
            Manifest.write(run.split(), samples, Manifest.commonRoot(samples));
        }
        return trainPrepared(run, cfg, samples, resume, allowDownload, cache, out, new ArrayList<>());
    }

    static void writeSplitCheck(RunFolder run, SplitCheck.Result check) throws IOException {
        AtomicFiles.writeString(run.dir().resolve(SPLIT_CHECK), RunFolder.JSON.writeValueAsString(check.toMap()));
    }

    /** The leak check a run recorded when its split was chosen; null for a run from before the check. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> splitCheck(RunFolder run) throws IOException {
        Path f = run.dir().resolve(SPLIT_CHECK);
        return Files.isRegularFile(f) ? RunFolder.JSON.readValue(f.toFile(), LinkedHashMap.class) : null;
    }

    /**
     * The training images as the recipe makes them before augmentation: decoded once (cached), fitted, grey scale
     * mapped, exactly as {@link TrainedModel#input} sees a film at inference.
     */
    public static ImageSource imageSource(InputRecipe recipe, ImageCache cache) {
        if (recipe.detail() <= 0) return s -> recipe.grey(cache.get(s.file(), recipe));
        // Softening costs a millisecond or two a film, as much as augmenting it: done once a film, not once an epoch,
        // for as many films as SOFTENED_BYTES holds (the rest are softened each time they are read).
        int most = (int) Math.min(Integer.MAX_VALUE, SOFTENED_BYTES / ((long) recipe.size() * recipe.size()));
        Map<Path, GreyImage> softened = new java.util.concurrent.ConcurrentHashMap<>();
        return s -> {
            GreyImage g = softened.get(s.file());
            if (g == null) {
                g = recipe.grey(cache.get(s.file(), recipe));
                if (softened.size() < most) softened.putIfAbsent(s.file(), g);
            }
            return new GreyImage(g.width(), g.height(), g.pixels().clone());
        };
    }

    /** Memory the softened training films may take (5,000 films at 128 px take 82 MB). */
    static final long SOFTENED_BYTES = 512L << 20;

    /**
     * {@code recipe} with the detail target measured on the training films ({@link Detail#target} of their levels at
     * the recipe's size, after the grey-scale mapping) when the config says {@code detail: match}; else as it is. The
     * target depends only on the films, so a resumed run measures the same one. {@code out} (may be null) hears it.
     */
    static InputRecipe detailTarget(InputRecipe recipe, TrainConfig cfg, List<Sample> train, ImageCache cache,
                                    PrintStream out) throws IOException {
        if (cfg.detail() != Detail.Mode.MATCH) return recipe;
        double[] levels = new double[train.size()];
        for (int i = 0; i < levels.length; i++)
            levels[i] = Detail.level(recipe.contrast().apply(cache.get(train.get(i).file(), recipe)));
        double target = Detail.target(levels);
        if (out != null)
            out.printf(Locale.ROOT, "detail: films softened to level %.2f at %d px, which %.0f %% of the %d training films fall below%n",
                    target, recipe.size(), 100 * Detail.TARGET_QUANTILE, levels.length);
        return recipe.withDetail(target);
    }

    private static Outcome trainPrepared(RunFolder run, TrainConfig cfg, List<Sample> samples, boolean resume,
                                         boolean allowDownload, ImageCache cache, PrintStream out,
                                         List<Problem> skipped) throws IOException {
        ResizeMode mode = cfg.resizeMode();
        List<Path> files = new ArrayList<>();
        for (Sample s : samples) files.add(s.file());
        int threads = Runtime.getRuntime().availableProcessors();
        long t0 = System.nanoTime();
        List<Problem> bad = cache.warm(files, cfg.size(), mode, threads, null);
        out.printf(Locale.ROOT, "decoded %d images at %d px in %.1f s%n", files.size() - bad.size(), cfg.size(), (System.nanoTime() - t0) / 1e9);
        if (!bad.isEmpty()) {
            report(bad, out);
            java.util.Set<Path> badFiles = new java.util.HashSet<>();
            for (Problem p : bad) badFiles.add(p.file());
            samples = samples.stream().filter(s -> !badFiles.contains(s.file())).toList();
            skipped.addAll(bad);
        }
        Path skippedCsv = run.dir().resolve(Problem.SKIPPED_CSV);
        if (!skipped.isEmpty()) {
            Problem.writeCsv(skippedCsv, skipped);
            out.printf(Locale.ROOT, "%d input(s) skipped in all; the full list with reasons is in %s%n", skipped.size(), skippedCsv);
        } else {
            Files.deleteIfExists(skippedCsv); // a resumed run whose inputs were repaired
        }
        List<Sample> train = inSplit(samples, "train"), val = inSplit(samples, "val"), test = inSplit(samples, "test");
        out.printf(Locale.ROOT, "images: train %s | val %s | test %s%n", counts(train), counts(val), counts(test));
        if (train.isEmpty()) throw new UserException("no training images after the split");

        // the grey image inference sees (InputRecipe.grey), so augmentation varies what the deployed network reads
        InputRecipe recipe = detailTarget(cfg.input(), cfg, train, cache, out);
        ImageSource images = imageSource(recipe, cache);
        Transform aug = cfg.augment() == Recipe.NONE ? null : cfg.augment().transform();
        Trainer.Result result;
        try (PrintStream log = tee(out, run.log())) {
            InputRecipe small = cfg.earlySize() > 0 ? detailTarget(cfg.input().withSize(cfg.earlySize()), cfg, train, cache, null) : null;
            ImageSource early = small != null ? imageSource(small, cache) : null;
            result = Trainer.train(new Trainer.Request(cfg, run, train, val, images, aug, resume, allowDownload, log, early));
        }
        return finish(run, cfg, recipe, samples, result, images, out);
    }

    /**
     * The configured method, or {@code temperature} when some class has too few validation images for its offset to
     * mean anything (said in one line).
     */
    public static Calibration.Method calibrationMethod(Calibration.Method m, int[] labels, PrintStream out) {
        if (m != Calibration.Method.BIAS_CORRECTED) return m;
        int[] c = new int[Label.COUNT];
        for (int y : labels) c[y]++;
        for (Label l : Label.values()) {
            if (c[l.index()] < MIN_PER_CLASS_FOR_OFFSETS) {
                out.printf(Locale.ROOT, "calibration: only %d %s image(s) to calibrate on (class offsets need %d of each class); "
                        + "fitting the temperature alone%n", c[l.index()], l.id(), MIN_PER_CLASS_FOR_OFFSETS);
                return Calibration.Method.TEMPERATURE;
            }
        }
        return m;
    }

    /** A class needs this many validation images before its offset is fitted (else temperature alone). */
    static final int MIN_PER_CLASS_FOR_OFFSETS = 10;

    /** Best weights become the model; its calibration is fitted on validation logits of those weights. */
    static Outcome finish(RunFolder run, TrainConfig cfg, InputRecipe recipe, List<Sample> samples, Trainer.Result result,
                          ImageSource images, PrintStream out) throws IOException {
        List<Sample> val = inSplit(samples, "val");
        Calibration cal = Calibration.identity();
        Scoring.Scores valScores;
        float[][] valFeatures;
        CalibrationResult calib = null;
        try (XrayNet net = XrayNet.open(run.bestParams()); NDManager m = NDManager.newBaseManager()) {
            Scoring.Scored scored = Scoring.scoreWithFeatures(net, new ParameterStore(m, false), m, val, images, cfg, cfg.tta());
            valScores = scored.scores();
            valFeatures = scored.features();
            writeValidationStatistics(run, net, val, images, recipe, cfg.tta());
            if (val.size() >= Calibration.MIN_IMAGES) {
                cal = Calibration.fit(calibrationMethod(cfg.calibration(), valScores.labels(), out),
                        valScores.logits(), valScores.labels());
                calib = CalibrationResult.of(cal, valScores.logits(), valScores.labels());
            }
        }
        writeShiftReference(run, valFeatures, valScores, cal, cfg.tta());
        double temperature = cal.temperature();
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("format", "pneumoscope-model/1");
        card.put("classes", List.of(Label.ids()));
        card.put("created", Instant.now().toString());
        card.put("provenance", result.provenance().toMap());
        card.put("config", cfg.toMap());
        card.put("input", recipe.toMap());
        card.put("temperature", temperature);
        card.put("calibration_method", cal.method().id());
        if (cal.shiftsClasses()) card.put("class_bias", cal.bias());
        card.put("best_epoch", result.bestEpoch());
        card.put("epochs_run", result.history().size());
        card.put("train_seconds", result.seconds());
        // after calibration: covers the whole training job of this process (a resumed run: since the resume)
        long peak = ProcessMemory.peakRssMb();
        card.put("peak_rss_mb", ProcessMemory.orNull(peak));
        if (result.stopReason() != null) card.put("stop_reason", result.stopReason());
        Map<String, Object> data = new LinkedHashMap<>();
        for (String split : List.of("train", "val", "test")) {
            int[] c = Trainer.counts(inSplit(samples, split));
            Map<String, Object> m = new LinkedHashMap<>();
            for (Label l : Label.values()) m.put(l.id(), c[l.index()]);
            data.put(split, m);
        }
        card.put("data", data);
        Map<String, Object> check = splitCheck(run);
        if (check != null) card.put("split_check", check);
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("n", val.size());
        v.put("accuracy", RunFolder.finite(valScores.accuracy()));
        v.put("loss", RunFolder.finite(valScores.loss()));
        // before calibration (fitted on these same images, so it would flatter them): what experiments rank cells by
        v.put("macro_f1", RunFolder.finite(Evaluation.macroF1(valScores.labels(), valScores.logits())));
        Map<String, Object> recall = new LinkedHashMap<>();
        for (Label l : Label.values()) recall.put(l.id(), RunFolder.finite(valScores.recall()[l.index()]));
        v.put("recall", recall);
        card.put("validation", v);
        if (calib != null) card.put("calibration", RunFolder.JSON.convertValue(calib.toJsonNode(), Map.class));
        AtomicFiles.write(run.modelParams(), os -> Files.copy(run.bestParams(), os));
        // model.json last: its presence marks the run complete
        AtomicFiles.writeString(run.modelJson(), RunFolder.JSON.writeValueAsString(card));
        out.printf(Locale.ROOT, "best epoch %d of %d: val accuracy %.4f, val loss %.4f; calibration %s; %s; peak RSS %s%n",
                result.bestEpoch(), result.history().size(), valScores.accuracy(), valScores.loss(),
                cal.describe(List.of(Label.ids())),
                org.pneumoscope.core.Progress.clock(result.seconds()), ProcessMemory.mb(peak));
        return new Outcome(run, cfg, samples, result, temperature, valScores, peak);
    }

    /**
     * The validation films' statistics for the shift alarm, with the final calibration's probabilities. Written before
     * model.json, whose presence marks the run complete, so every complete run has one; without validation films
     * there is nothing to compare with and no reference is written (a stale one from an earlier attempt is removed).
     * The films' logits and labels go with it, for the label-free accuracy estimate.
     */
    static void writeShiftReference(RunFolder run, float[][] features, Scoring.Scores val, Calibration cal, boolean tta)
            throws IOException {
        if (features.length == 0) {
            Files.deleteIfExists(run.dir().resolve(ShiftReference.JSON_FILE));
            Files.deleteIfExists(run.dir().resolve(ShiftReference.FEATURES_FILE));
            return;
        }
        ShiftReference.of(features, cal.probabilities(val.logits()), tta)
                .withValidation(val.logits(), val.labels())
                .write(run.dir());
    }

    /**
     * The BatchNorm statistics of the validation films, for adapting relative to them ({@link SiteAdaptation#relative});
     * with too few validation films or no BatchNorm layers there are none, and a stale file from an earlier attempt is removed.
     */
    static void writeValidationStatistics(RunFolder run, XrayNet net, List<Sample> val, ImageSource images,
                                          InputRecipe recipe, boolean tta) throws IOException {
        Files.deleteIfExists(run.validationStatistics());
        // fewer films give statistics adapt would not trust either (AdaptJob.MIN_FILMS)
        if (val.size() < AdaptJob.MIN_FILMS || !SiteAdaptation.hasBatchNorm(net)) return;
        Models.statisticsOf(net, val, images, recipe, SiteAdaptation.BATCH, tta).write(run.validationStatistics());
    }

    public static List<Sample> inSplit(List<Sample> s, String split) {
        return s.stream().filter(x -> split.equals(x.split())).toList();
    }

    static String counts(List<Sample> s) {
        int[] c = Trainer.counts(s);
        return String.format(Locale.ROOT, "%d (%d bacteria, %d virus, %d normal)", s.size(), c[0], c[1], c[2]);
    }

    static void report(List<Problem> problems, PrintStream out) { Problem.list(out, "file(s) skipped:", problems); }

    /** Refuses an output folder that cannot be written or a disk too full for a run, before any training. */
    static void checkWritable(Path dir) {
        try {
            Path probe = dir.toAbsolutePath();
            while (probe != null && !Files.exists(probe)) probe = probe.getParent();
            if (probe == null || !Files.isWritable(probe)) throw new UserException("cannot write the run folder " + dir + " (not writable)");
            long free = Files.getFileStore(probe).getUsableSpace();
            if (free < 512L << 20) throw new UserException(String.format(Locale.ROOT,
                    "only %d MB free under %s; a run needs at least 512 MB for checkpoints", free >> 20, probe));
        } catch (IOException e) {
            throw new UserException("cannot check the run folder " + dir + ": " + e.getMessage());
        }
    }

    static PrintStream tee(PrintStream console, Path file) throws IOException {
        OutputStream f = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return new PrintStream(new OutputStream() {
            @Override public void write(int b) throws IOException { console.write(b); f.write(b); }
            @Override public void write(byte[] b, int off, int len) throws IOException { console.write(b, off, len); f.write(b, off, len); }
            @Override public void flush() throws IOException { console.flush(); f.flush(); }
            @Override public void close() throws IOException { console.flush(); f.close(); }
        }, true, java.nio.charset.StandardCharsets.UTF_8);
    }
}
