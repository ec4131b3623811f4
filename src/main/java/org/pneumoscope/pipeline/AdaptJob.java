package org.pneumoscope.pipeline;

import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Choice;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.Ranks;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.FileListing;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.Sample;
import org.pneumoscope.eval.AccuracyEstimate;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.eval.ShiftReference;
import org.pneumoscope.model.BatchNormStatistics;
import org.pneumoscope.model.Head;
import org.pneumoscope.model.XrayNet;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.Scoring;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code adapt}: re-estimates what a trained network can re-estimate without labels on films from another site or
 * period ({@link SiteAdaptation}: its BatchNorm statistics, their scale and shift, or the head that reads its pooled
 * features) and stores the result as a named site profile beside the run's own weights, which stay as they are, or as
 * a new run folder.
 */
public final class AdaptJob {
    /** What a run folder made by {@code adapt --out} holds about its making, beside the source run's files. */
    public static final String ADAPTATION_CARD = "adaptation.json";
    /** Fewer films give BatchNorm statistics too noisy to trust (each is a mean over the films). */
    public static final int MIN_FILMS = 50;
    /**
     * A film is out of range when its features lie further from the training films' than any validation film's
     * did; when most films are, they are not chest X-rays as the network knows them (other body parts, photographs,
     * blank or scrambled images). Films of another site shift the features, but far less: the proxy's blurry normals,
     * shifted enough to cost 10-20 points of accuracy, stay mostly inside the range (docs/recipe.md, "Site adaptation").
     */
    static final double OUT_OF_RANGE_SHARE = 0.5;

    /**
     * What to adapt and where to put it.
     *
     * @param run      a finished run folder
     * @param data     the new site's films: a folder (searched recursively) or a dataset manifest
     * @param split    only this split of a manifest, or null
     * @param name     the profile name, or null for the films folder's name
     * @param out      instead of a profile, a new run folder (must not exist), or null
     * @param minFilms refuse fewer usable films than this
     * @param method   what is re-estimated
     * @param shift    an acquisition shift every film is rendered under first, spelt as {@code evaluate --shift}'s
     *                 ("blur=1,zoom=1.3"), to study adapting to a known shift; null for the films as they are
     * @param through  the deepest stage whose BatchNorm statistics are re-estimated ("layer2"); deeper ones stay as
     *                 trained. Null for every stage
     */
    public record Options(Path run, Path data, String split, String name, Path out, int minFilms, Method method,
                          String shift, String through) {}

    /** What adapt re-estimates without labels. */
    public enum Method implements Choice {
        /** BatchNorm statistics only (AdaBN). */
        ADABN,
        /** BatchNorm statistics moved by how the new films' differ from the run's own validation films'. */
        RELATIVE,
        /** BatchNorm statistics, then the BatchNorm layers' scale and shift by entropy minimisation (TENT). */
        TENT,
        /** As TENT, with a term that keeps the predicted classes diverse (information maximisation). */
        INFOMAX,
        /**
         * BatchNorm statistics as trained; the pooled features' per-channel mean and SD moved to the validation films'
         * through the linear head ({@link SiteAdaptation#alignPooledFeatures}).
         */
        ALIGN;

        /** Whether only BatchNorm statistics are re-estimated (so --through can choose which). */
        boolean statisticsOnly() { return this == ADABN || this == RELATIVE; }
    }

    /** TENT's passes over the films and Adam's step size: one pass, as the method was published for online use. */
    static final int TENT_PASSES = 1;
    static final double TENT_LR = 1e-3;

    private final Path run, data, out;
    private final String split, name, through;
    private final int minFilms;
    private final Method method;
    private final AcquisitionShift shift;

    private AdaptJob(Options o) {
        run = o.run();
        data = o.data();
        split = o.split();
        name = o.name();
        out = o.out();
        minFilms = o.minFilms();
        method = o.method();
        through = o.through();
        shift = AcquisitionShift.parse(o.shift()); // a bad spelling fails before the model loads
    }

    /**
     * What adapt did: where it wrote, the films used, the predicted class mix on them before and after, and on how many
     * of them the most probable class changed.
     */
    public record Result(Path written, int films, int batches, double[] mixBefore, double[] mixAfter, int answersChanged,
                         Estimate before) {
        /**
         * The share of films the profile calls normal has fallen below this fraction of the share as trained. Of 177
         * label-free profiles on 23 proxy runs one did so (18 → 10 %), and it was the one that failed: 50 more normals
         * called pneumonia, −10.6 points; no other fell below 0.90 of its share (docs/recipe.md, table L4). On new films
         * the failure to fear is normals called pneumonia, so a profile that calls far fewer films normal is suspect.
         */
        public static final double NORMAL_SHARE_FALL = 0.75;

        public boolean normalShareFell() {
            int n = Label.NORMAL.index();
            return mixAfter[n] < NORMAL_SHARE_FALL * mixBefore[n];
        }
    }

    /** The warning {@code adapt} prints when {@link Result#normalShareFell()}; null otherwise. */
    static String normalShareWarning(Result r) {
        if (!r.normalShareFell()) return null;
        int n = Label.NORMAL.index();
        return String.format(Locale.ROOT, "warning: the profile calls %.0f %% of these films normal where the network as "
                + "trained called %.0f %%. On the proxies the one profile that cut the normal share this much called 55 "
                + "of its 101 normals pneumonia (docs/recipe.md, table L4); do not use it before it is scored on labelled films",
                100 * r.mixAfter()[n], 100 * r.mixBefore()[n]);
    }

    /**
     * The label-free accuracy estimate of the network as trained on the new films, beside its validation accuracy;
     * NaN both when the run's reference holds no labelled films. Adapting paid on the proxies only where it fell far.
     */
    public record Estimate(double accuracy, double validationAccuracy) {
        static final Estimate NONE = new Estimate(Double.NaN, Double.NaN);

        public boolean made() { return !Double.isNaN(accuracy); }
    }

    /** Adapts the run as {@code o} says and returns what was written. */
    public static Result run(Options o, PrintStream log) throws Exception {
        return new AdaptJob(o).adapt(log);
    }

    private Result adapt(PrintStream log) throws Exception {
        if (out != null && name != null) throw new UserException("--name and --out: choose one (a profile, or a new run)", 2);
        if (minFilms < 1) throw new UserException("--min-films must be at least 1", 2);
        RunFolder source = new RunFolder(run);
        Path target = out != null ? out : source.profileDir(name != null ? name : defaultName(data));
        if (Files.exists(target))
            throw new UserException(target + " already exists; adapt never overwrites"
                    + (out == null ? " a profile: choose another --name" : ": choose another --out"), 2);
        try (TrainedModel m = TrainedModel.load(run)) {
            if (method != Method.ALIGN && !SiteAdaptation.hasBatchNorm(m.net()))
                throw new UserException(run + " has no BatchNorm statistics to adapt (its network normalises each film by "
                        + "itself, norm: " + m.config().norm().key() + "); use it on the new films as it is", 2);
            List<String> stages = stagesReestimated(m);
            if (method == Method.RELATIVE) requireRelativeFits(m);
            if (method == Method.ALIGN) requireAlignFits(m);
            Films films = decode(m, listFiles(), shift, log);
            if (films.images().size() < minFilms)
                throw new UserException("adapt needs at least " + minFilms + " usable films from the new site; " + data
                        + " has " + films.images().size() + (films.problems().isEmpty() ? "" : " (" + films.problems().size()
                        + " more could not be read)"));
            boolean tta = m.config().tta();
            Scoring.Outputs before = m.scores(films.images(), tta);
            requireChestXrays(m, before.features(), log);
            Reestimated done = reestimate(m, films.images(), before.features(), stages, log);
            Scoring.Outputs after = m.scores(films.images(), tta);
            float[][] pBefore = m.calibration().probabilities(before.logits());
            float[][] pAfter = m.calibration().probabilities(after.logits());
            Result r = new Result(target, films.images().size(), done.batches(), ShiftReference.classMix(pBefore),
                    ShiftReference.classMix(pAfter), changed(pBefore, pAfter), estimate(m, pBefore));
            write(m, target, card(m, films, r, done.relativeTo(), stages), ShiftReference.of(after.features(), pAfter, tta));
            report(log, r, films, target, out != null);
            return r;
        }
    }

    /**
     * What re-estimating did: the batches of films the BatchNorm statistics were estimated on (none when aligning) and,
     * adapting relatively, the statistics it measured from.
     */
    private record Reestimated(int batches, Reference relativeTo) {}

    /**
     * Re-estimates the network in place as the method says; the statistics of stages not in {@code stages} (when not
     * null) are put back as trained before any scale and shift is fitted.
     */
    private Reestimated reestimate(TrainedModel m, List<GreyImage> films, float[][] features, List<String> stages,
                                   PrintStream log) throws IOException, InterruptedException {
        if (method == Method.ALIGN) {
            align(m, features, log);
            return new Reestimated(0, null);
        }
        BatchNormStatistics trained = stages == null ? null : BatchNormStatistics.of(m.net());
        Reference own = method == Method.RELATIVE ? ownValidation(m, log) : null;
        int batches = own != null ? SiteAdaptation.relative(m, films, own.statistics()) : SiteAdaptation.adaBn(m, films);
        if (stages != null)
            trained.withEntriesOf(BatchNormStatistics.of(m.net()), n -> stages.contains(XrayNet.stageOf(n))).applyTo(m.net());
        if (!method.statisticsOnly()) {
            double h = method == Method.TENT ? SiteAdaptation.tent(m, films, TENT_PASSES, TENT_LR, 42)
                    : SiteAdaptation.infomax(m, films, TENT_PASSES, TENT_LR, 42);
            log.printf(Locale.ROOT, "entropy minimisation of the BatchNorm scale and shift: mean entropy %.3f on the last pass%n", h);
        }
        return new Reestimated(batches, own);
    }

    /** The stages whose statistics are re-estimated up to --through; null without it, for all (the head's too). */
    private List<String> stagesReestimated(TrainedModel m) {
        if (through == null) return null;
        if (!method.statisticsOnly())
            throw new UserException("--through applies to --method adabn and relative; " + method.id()
                    + (method == Method.ALIGN ? " keeps every stage's statistics as trained" : " fits the scale and shift of every stage"), 2);
        List<String> all = m.net().stages();
        int i = all.indexOf(through);
        if (i < 0) throw new UserException("--through " + through + ": not a stage of this network; its stages are "
                + String.join(", ", all), 2);
        return all.subList(0, i + 1);
    }

    /**
     * Aligns the pooled features of {@code features}' films to the validation films' that the run's shift reference
     * holds. Both are mirror-averaged as the run's inference is; a pass without the mirror (Grad-CAM, a request with
     * tta off) reads features the alignment fits only roughly.
     */
    private static void align(TrainedModel m, float[][] features, PrintStream log) throws IOException {
        ShiftReference ref = m.shiftReference().orElseThrow();
        if (features.length < 2)
            throw new UserException("--method align needs at least 2 films to measure their features' spread", 2);
        if (ref.tta() != m.config().tta())
            throw new UserException(m.run().dir() + ": its shift reference was taken " + (ref.tta() ? "with" : "without")
                    + " mirror averaging and the run now predicts " + (m.config().tta() ? "with" : "without")
                    + " it, so their features do not compare; use --method adabn", 2);
        double largest = SiteAdaptation.alignPooledFeatures(m.net(), features, ref.channelMean(), ref.channelSd());
        log.printf(Locale.ROOT, "pooled features aligned to the %d validation films' (%d channels; largest scale %.2f)%n",
                ref.films(), ref.channels(), largest);
    }

    /**
     * Aligning needs the training site's validation features (an adapted run's shift reference describes its own site)
     * and a linear head to carry the alignment.
     */
    private static void requireAlignFits(TrainedModel m) throws IOException {
        RunFolder run = m.run();
        requireNotAdapted(run, "its shift reference holds the site it was adapted to, so align the run it was made from");
        if (m.net().spec().head() != Head.LINEAR)
            throw new UserException("--method align needs a linear head after the pooled features; " + run.dir()
                    + " has the " + m.net().spec().head().id() + " head: use --method adabn", 2);
        if (m.shiftReference().isEmpty())
            throw new UserException(run.dir() + " holds no " + ShiftReference.JSON_FILE + " (runs trained before it existed), "
                    + "so there are no validation features to align to; use --method adabn", 2);
    }

    /** The run's label-free accuracy estimate on the films as trained (before adapting), when its reference allows one. */
    private static Estimate estimate(TrainedModel m, float[][] probabilities) throws IOException {
        Optional<ShiftReference> ref = m.shiftReference();
        AccuracyEstimate e = ref.isEmpty() ? null : ref.get().accuracyEstimate(m.calibration());
        return e == null ? Estimate.NONE : new Estimate(e.estimate(probabilities), e.validationAccuracy());
    }

    /** The films folder's own name, or the manifest's without its extension, made into a valid profile name. */
    static String defaultName(Path data) {
        Path abs = data.toAbsolutePath().normalize();
        String n = abs.getFileName() == null ? "site" : abs.getFileName().toString();
        if (Files.isRegularFile(abs)) n = n.replaceAll("\\.[^.]*$", "");
        n = n.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^\\.+", "");
        return n.isEmpty() ? "site" : n.length() > 64 ? n.substring(0, 64) : n;
    }

    /** Decoded films at the model's size, and the files that could not be used, with reasons. */
    record Films(List<Path> files, List<GreyImage> images, List<String> problems) {}

    private static Films decode(TrainedModel m, Films listed, AcquisitionShift shift, PrintStream log)
            throws InterruptedException {
        List<Path> files = listed.files();
        List<String> problems = new ArrayList<>(listed.problems());
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        try {
            List<Future<GreyImage>> decoded = new ArrayList<>();
            // refused as predict refuses; a shift is rendered on the fitted film, as evaluate --shift renders it, because
            // its blur and zoom are measured in the network's pixels
            for (Path f : files) decoded.add(pool.submit(() -> shift.apply(usable(f, m))));
            List<Path> ok = new ArrayList<>();
            List<GreyImage> images = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                try {
                    images.add(decoded.get(i).get());
                    ok.add(files.get(i));
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    problems.add(files.get(i) + ": " + (c instanceof DecodeException d ? d.reason() : String.valueOf(c)));
                }
            }
            Problem.listLines(log, "file(s) skipped:", problems);
            return new Films(ok, images, problems);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The film at the model's size, refused as every door refuses an unusable one. */
    private static GreyImage usable(Path f, TrainedModel m) throws IOException {
        GreyImage g = ImageDecoder.decode(f);
        InputRecipe.checkUsable(g, f.toString());
        return m.recipe().fit(g);
    }

    /**
     * The files of a manifest (its --split only, when given) or of a folder, with the problems met listing them (no
     * images yet); labels are not needed.
     */
    private Films listFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        if (!Files.exists(data)) throw new UserException("--data " + data + " does not exist");
        boolean manifest = Files.isRegularFile(data) && data.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv");
        if (!manifest) {
            if (split != null) throw new UserException("--split needs a manifest (a CSV) as --data", 2);
            FileListing.collect(List.of(data), files, problems);
            return new Films(files, List.of(), problems);
        }
        return manifestFiles(DatasetReader.read(data), split, problems);
    }

    private static Films manifestFiles(DatasetScan scan, String split, List<String> problems) {
        List<Path> files = new ArrayList<>();
        for (Sample x : split == null ? scan.samples() : scan.inSplit(split)) files.add(x.file());
        for (Problem p : scan.problems()) problems.add(p.toString());
        return new Films(files, List.of(), problems);
    }

    /** The statistics relative adapting measures the new films against, and where they came from. */
    record Reference(BatchNormStatistics statistics, String source) {}

    /**
     * The run's own validation films' BatchNorm statistics: as training stored them, or, for a run trained before
     * training stored them, re-estimated from those films where the run's split still finds them.
     */
    private static Reference ownValidation(TrainedModel m, PrintStream log) throws IOException, InterruptedException {
        RunFolder run = m.run();
        if (Files.isRegularFile(run.validationStatistics())) return new Reference(stored(m), "stored at training");
        String missing = run.dir() + " holds no " + run.validationStatistics().getFileName();
        Films listed = manifestFiles(DatasetReader.read(run.split()), "val", new ArrayList<>());
        if (listed.files().isEmpty())
            throw new UserException(missing + ": it was trained without validation films, so there is nothing to adapt "
                    + "relative to; use --method adabn", 2);
        missing += " (runs trained before it existed)";
        Films val = decode(m, listed, AcquisitionShift.NONE, log);
        if (val.images().size() < MIN_FILMS)
            throw new UserException(missing + ", and only " + val.images().size() + " of its validation films could be "
                    + "read to re-estimate them from (at least " + MIN_FILMS + " are needed); use --method adabn", 2);
        BatchNormStatistics own = SiteAdaptation.statisticsOf(m, val.images());
        log.println("note: " + missing + "; re-estimated them from its " + val.images().size() + " validation films");
        return new Reference(own, "re-estimated from " + val.images().size() + " validation films");
    }

    /**
     * Relative adapting needs the statistics as trained beside the validation films' (an adapted run holds other
     * statistics), and every BatchNorm listed by name (a TorchScript backbone keeps its own out of reach), and a
     * split to re-estimate the reference from when the run stores none.
     */
    private static void requireRelativeFits(TrainedModel m) {
        RunFolder run = m.run();
        requireNotAdapted(run, "adapt the run it was made from with --method relative, or use --method adabn");
        if (!m.net().spec().arch().resnet())
            throw new UserException("--method relative needs this project's own ResNet; " + run.dir()
                    + " has a TorchScript backbone: use --method adabn", 2);
        if (!Files.isRegularFile(run.validationStatistics()) && !Files.isRegularFile(run.split()))
            throw new UserException(run.dir() + " holds no " + run.validationStatistics().getFileName() + " (runs "
                    + "trained before it existed) and no split.csv to find its validation films by; use --method adabn", 2);
    }

    /** Refuses a run made by {@code adapt --out}, whose references no longer describe its own statistics; {@code what} says what to do. */
    private static void requireNotAdapted(RunFolder run, String what) {
        if (Files.isRegularFile(run.dir().resolve(ADAPTATION_CARD)))
            throw new UserException(run.dir() + " is an adapted run (" + ADAPTATION_CARD + "); " + what, 2);
    }

    /** The stored reference, refused with its file named when it is damaged or belongs to another network. */
    private static BatchNormStatistics stored(TrainedModel m) {
        Path f = m.run().validationStatistics();
        try {
            BatchNormStatistics s = BatchNormStatistics.read(f);
            s.requireFits(m.net());
            return s;
        } catch (IOException | RuntimeException e) {
            throw new UserException(f + ": " + e.getMessage() + "; delete it to re-estimate it from the validation films "
                    + "split.csv lists, or use --method adabn", 2);
        }
    }

    /**
     * Refuses films most of which lie outside the range of the training site's validation films (see
     * {@link #OUT_OF_RANGE_SHARE}); without a shift reference (runs trained before it existed) says it cannot check.
     */
    private void requireChestXrays(TrainedModel m, float[][] features, PrintStream log) throws IOException {
        Optional<ShiftReference> ref = m.shiftReference();
        if (ref.isEmpty()) {
            log.println("note: " + run + " has no shift reference, so adapt cannot check that these are chest X-rays");
            return;
        }
        DriftScore d = new DriftScore(ref.get());
        double limit = d.typicalLimit(1.0);
        int outside = 0;
        for (float[] f : features) if (d.atypicality(f) > limit) outside++;
        double share = outside / (double) features.length;
        log.printf(Locale.ROOT, "films outside the range of the training site's validation films: %d of %d (%.0f %%)%n",
                outside, features.length, 100 * share);
        if (share > OUT_OF_RANGE_SHARE)
            throw new UserException(String.format(Locale.ROOT, "%s: %d of %d films (%.0f %%) lie outside the range of the "
                            + "training films, so they do not look like chest X-rays to this network (other body parts, photographs, "
                            + "blank or scrambled images?); adapt refuses them", data, outside, features.length, 100 * share));
    }

    private Map<String, Object> card(TrainedModel m, Films films, Result r, Reference own, List<String> stages) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("format", "pneumoscope-site-profile/1");
        c.put("method", method.id());
        if (own != null) c.put("relative_to", own.source());
        if (stages != null) c.put("stages", stages);
        if (method == Method.ALIGN) c.put("aligned_to", "the pooled features of the run's validation films");
        c.put("run", m.run().dir().toAbsolutePath().normalize().toString());
        c.put("data", data.toAbsolutePath().normalize().toString() + (split == null ? "" : " (" + split + ")"));
        if (!shift.isNone()) c.put("shift", shift.label());
        c.put("films", films.images().size());
        c.put("skipped", films.problems().size());
        if (method != Method.ALIGN) c.put("batches", r.batches());
        c.put("tta", m.config().tta());
        c.put("created", Instant.now().toString());
        c.put("predicted_mix_before", mix(r.mixBefore()));
        c.put("predicted_mix_after", mix(r.mixAfter()));
        c.put("answers_changed", r.answersChanged());
        if (r.before().made()) {
            c.put("estimated_accuracy_before", r.before().accuracy());
            c.put("run_validation_accuracy", r.before().validationAccuracy());
        }
        return c;
    }

    /** Films whose most probable class differs between the two sets of probabilities. */
    public static int changed(float[][] before, float[][] after) {
        int n = 0;
        for (int i = 0; i < before.length; i++) if (Ranks.argmax(before[i]) != Ranks.argmax(after[i])) n++;
        return n;
    }

    private static Map<String, Object> mix(double[] m) {
        Map<String, Object> x = new LinkedHashMap<>();
        for (int i = 0; i < m.length; i++) x.put(Label.of(i).id(), Math.round(m[i] * 10000) / 10000.0);
        return x;
    }

    /** The profile (or new run) folder appears whole or not at all, so --profile never loads a half-written one. */
    private void write(TrainedModel m, Path target, Map<String, Object> card, ShiftReference reference) throws IOException {
        AtomicFiles.writeFolder(target, tmp -> {
            m.net().save(tmp.resolve("model.params"));
            reference.write(tmp);
            if (out != null) {
                RunFolder src = m.run();
                // not the validation films' statistics: they pair with the statistics as trained, which this run no
                // longer holds, so relative adapting refuses an adapted run (ownValidation)
                for (Path f : List.of(src.modelJson(), src.config(), src.split()))
                    if (Files.isRegularFile(f)) AtomicFiles.write(tmp.resolve(f.getFileName()), o -> Files.copy(f, o));
            }
            AtomicFiles.writeString(tmp.resolve(out != null ? ADAPTATION_CARD : TrainedModel.PROFILE_CARD),
                    RunFolder.JSON.writeValueAsString(card));
        });
    }

    private void report(PrintStream log, Result r, Films films, Path target, boolean out) {
        log.printf(Locale.ROOT, "adapted on %d films%s (%s%d skipped)%n", r.films(),
                shift.isNone() ? "" : " rendered under " + shift.label(),
                method == Method.ALIGN ? "" : r.batches() + " batches; ", films.problems().size());
        log.println("predicted on these films before: " + DriftScore.Result.mix(r.mixBefore()));
        log.println("predicted on these films after:  " + DriftScore.Result.mix(r.mixAfter()));
        String fell = normalShareWarning(r);
        if (fell != null) log.println(fell);
        if (r.before().made())
            log.printf(Locale.ROOT, "label-free accuracy estimate of the network as trained on these films: %.0f %% (validation "
                    + "films %.0f %%; rough). On the proxies adapting paid where this fell about 10 points or more below it, "
                    + "did little where it fell less, and cost accuracy where it rose (docs/recipe.md, table Q1)%n",
                    100 * r.before().accuracy(), 100 * r.before().validationAccuracy());
        log.printf(Locale.ROOT, "answers changed: %d of %d films (%.1f %%). Score the %s on labelled films from this site "
                + "(%s) before relying on it: on films of another period adapting has gained and has also cost accuracy "
                + "(docs/recipe.md, table L3)%n", r.answersChanged(), r.films(), 100.0 * r.answersChanged() / r.films(),
                out ? "new run" : "profile", (out ? "evaluate --run " + target : "evaluate --profile " + target.getFileName())
                        + (shift.isNone() ? "" : " --shift " + shift.label()));
        log.println("written: " + target);
    }
}
