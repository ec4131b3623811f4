package org.pneumoscope.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.BatchSplit;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.data.TextureSplit;
import org.pneumoscope.pipeline.TrainRun;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench headline --proxy}: the headline's recipe trained a second time, on a proxy split of the same data, in
 * RUN/proxy/, and its held-out figures printed beside the headline's own. The proxy split is {@code dataset split
 * --strategy texture} by default (the blurriest 25 % of the normal-class patients and a random 15 % of the others held
 * out) or {@code --strategy batch} (the lowest-numbered 10 % of each file-name family's patients).
 *
 * <p>Why: the headline's test split is patients of the same batch as training, and a random patient split never
 * shows how the model does on films from another batch; a sequestered set showed normals called pneumonia. The
 * early batch did not reproduce that (normal recall stayed high on it); the blurriest normals do test the shortcut
 * the data offers (its normals are sharper than its pneumonias). Every figure is read back from the proxy run's own
 * evaluation (RUN/proxy/test/metrics.json).
 */
public final class HeadlineProxy {
    private final Path data, dir;
    private final TrainConfig cfg;
    private final SplitStrategy strategy;
    private final Map<String, Object> heldOut;
    private final List<Sample> samples;

    private HeadlineProxy(Path data, Path dir, TrainConfig cfg, SplitStrategy strategy, Map<String, Object> heldOut,
                          List<Sample> samples) {
        this.data = data;
        this.dir = dir;
        this.cfg = cfg;
        this.strategy = strategy;
        this.heldOut = heldOut;
        this.samples = samples;
    }

    /** The texture split: the proxy that reproduces the shift seen on a sequestered set. */
    public static HeadlineProxy prepare(Path data, Path runDir, TrainConfig cfg) {
        return prepare(data, runDir, cfg, SplitStrategy.TEXTURE);
    }

    /**
     * The {@code strategy} split of {@code data} (texture or batch), made before anything trains: data it cannot
     * split is refused in seconds rather than after the headline run.
     */
    public static HeadlineProxy prepare(Path data, Path runDir, TrainConfig cfg, SplitStrategy strategy) {
        Path dir = runDir.resolve("proxy");
        RunFolder run = new RunFolder(dir);
        if (run.complete() || Files.exists(run.lastCheckpoint()))
            throw new UserException(dir + " already holds a run; bench headline --proxy trains a fresh one: choose another --out", 2);
        List<Sample> all = DatasetReader.read(data).requireImages().samples();
        double[] r = TrainConfig.splitRatios(cfg.split());
        return switch (strategy) {
            case BATCH -> {
                BatchSplit.Holdout h = BatchSplit.holdout(all, BatchSplit.DEFAULT_FRACTION, BatchSplit.End.EARLY);
                if (h.patients().isEmpty())
                    throw new UserException("--proxy: no patient of " + data + " can be held out as a batch (" + h.withoutNumber()
                            + " patient(s) have no number in their id, and no file-name family has enough patients for 10 %)", 2);
                yield new HeadlineProxy(data, dir, cfg, strategy, heldOut(h), BatchSplit.assign(all, h, r[0], r[1], cfg.seed()));
            }
            case TEXTURE -> {
                TextureSplit.Holdout h = TextureSplit.holdout(all, TextureSplit.DEFAULT_TEXTURE_FRACTION,
                        TextureSplit.DEFAULT_OTHER_FRACTION, cfg.seed(), Runtime.getRuntime().availableProcessors());
                if (h.normalsHeldOut() == 0)
                    throw new UserException("--proxy: no normal-class patient of " + data + " can be held out (" + h.normalPatients()
                            + " with a readable film, too few for 25 %)", 2);
                yield new HeadlineProxy(data, dir, cfg, strategy, heldOut(h), TextureSplit.assign(all, h, r[0], r[1], cfg.seed()));
            }
            case SHAPE -> throw new UserException("--proxy shape is not offered by bench headline: write the split with "
                    + "dataset split --strategy shape and train on it with train --data", 2);
            case PATIENT -> throw new IllegalArgumentException("a patient split is the headline's own, not a proxy for new films");
        };
    }

    /** The samples with the proxy split, as RUN/proxy/split.csv will hold them. */
    public List<Sample> samples() { return samples; }

    /**
     * Trains and evaluates the proxy run (RUN/proxy/split.csv is the proxy split) and returns its block of
     * headline.json; {@code internal} is the headline run's test/metrics.json, for the figure printed beside.
     */
    public Map<String, Object> run(JsonNode internal, PrintStream out) throws Exception {
        out.println();
        out.println("proxy run: the same recipe with " + shortText(strategy) + " held out, in " + dir);
        long t0 = System.nanoTime();
        TrainRun.Result r = TrainRun.runOnSplit(data, dir, cfg, samples, out);
        double totalSeconds = (System.nanoTime() - t0) / 1e9;
        JsonNode test = RunFolder.JSON.readTree(r.eval().metrics().toFile());
        JsonNode card = RunFolder.JSON.readTree(new RunFolder(dir).modelJson().toFile());
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("run", dir.toString());
        p.put("split", new RunFolder(dir).split().toString());
        p.put("strategy", strategy.id());
        p.put("held_out", heldOut);
        Map<String, Object> wall = new LinkedHashMap<>();
        wall.put("train", r.trainSeconds() / 60);
        wall.put("evaluate", r.evalSeconds() / 60);
        wall.put("total", totalSeconds / 60);
        p.put("wall_minutes", wall);
        p.put("epochs_run", card.path("epochs_run").asInt());
        p.put("best_epoch", card.path("best_epoch").asInt());
        p.put("held_out_test", figures(test));
        p.put("internal_normal_called_pneumonia", normalCalledPneumonia(internal));
        return p;
    }

    /** Which patients the batch split held out: the share, and per family the count and number range(s). */
    private static Map<String, Object> heldOut(BatchSplit.Holdout holdout) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fraction", holdout.fraction());
        m.put("end", holdout.end().id());
        List<Map<String, Object>> fams = new ArrayList<>();
        for (BatchSplit.Family f : holdout.families()) {
            Map<String, Object> fm = new LinkedHashMap<>();
            fm.put("family", f.name());
            fm.put("patients", f.patients());
            fm.put("held_out", f.heldOut());
            fm.put("numbers", f.ranges().stream().map(BatchSplit.Range::toString).toList());
            fams.add(fm);
        }
        m.put("families", fams);
        m.put("patients_without_number", holdout.withoutNumber());
        return m;
    }

    /** Which patients the texture split held out, and the sharpness figures that say how blurry they are. */
    private static Map<String, Object> heldOut(TextureSplit.Holdout h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("texture_fraction", h.textureFraction());
        m.put("other_fraction", h.otherFraction());
        m.put("normal_patients", h.normalPatients());
        m.put("normals_held_out", h.normalsHeldOut());
        m.put("other_patients", h.otherPatients());
        m.put("others_held_out", h.othersHeldOut());
        m.put("sharpness_cut", h.cut());
        Map<String, Object> med = new LinkedHashMap<>();
        for (Label l : Label.values()) med.put(l.id(), h.classMedians().get(l));
        m.put("median_sharpness", med);
        m.put("held_out_normals_median_sharpness", h.heldOutNormalMedian());
        m.put("other_normals_median_sharpness", h.keptNormalMedian());
        m.put("unreadable_films", h.problems().size());
        return m;
    }

    /** The proxy's test figures as copied from its metrics.json, plus the share of normals called pneumonia. */
    static Map<String, Object> figures(JsonNode test) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("n", test.path("n").asInt());
        t.put("patients", test.path("patients").asInt());
        t.put("accuracy", Headline.num(test.path("accuracy")));
        t.put("accuracy_ci95", Headline.ci(test.path("ci95").path("accuracy")));
        t.put("macro_f1", Headline.num(test.path("macro_f1")));
        Map<String, Object> recall = new LinkedHashMap<>();
        for (String c : Label.ids()) recall.put(c, Headline.num(test.path("per_class").path(c).path("recall")));
        t.put("recall", recall);
        t.put("normal_called_pneumonia", normalCalledPneumonia(test));
        return t;
    }

    /**
     * Share of the normal films called bacterial or viral pneumonia, from the confusion matrix (rows true, columns
     * predicted); null without normal films. The shift seen on Kermany's own test set shows up here first.
     */
    static Double normalCalledPneumonia(JsonNode test) {
        JsonNode row = test.path("confusion_matrix").path(Label.NORMAL.index());
        if (!row.isArray()) return null;
        int normals = 0;
        for (JsonNode c : row) normals += c.asInt();
        if (normals == 0) return null;
        return (row.path(Label.BACTERIA.index()).asInt() + row.path(Label.VIRUS.index()).asInt()) / (double) normals;
    }

    /** The block printed after the headline's: the proxy's figures beside the internal test split's. */
    @SuppressWarnings("unchecked")
    public static String text(Map<String, Object> h) {
        Map<String, Object> p = (Map<String, Object>) h.get("proxy"), t = (Map<String, Object>) h.get("test");
        Map<String, Object> b = (Map<String, Object>) p.get("held_out_test"), wall = (Map<String, Object>) p.get("wall_minutes");
        Map<String, Object> held = (Map<String, Object>) p.get("held_out");
        SplitStrategy strategy = SplitStrategy.parse(String.valueOf(p.get("strategy")));
        StringBuilder sb = new StringBuilder();
        sb.append("== proxy for new films: the same recipe, ").append(shortText(strategy)).append(" held out: ")
                .append(p.get("run")).append(" ==\n");
        sb.append("held out:     ").append(strategy == SplitStrategy.BATCH ? batchText(held) : textureText(held)).append('\n');
        sb.append(String.format(Locale.ROOT, "wall:         train %.1f min | evaluate %.1f min | total %.1f min; epochs %d run, best %d%n",
                wall.get("train"), wall.get("evaluate"), wall.get("total"), p.get("epochs_run"), p.get("best_epoch")));
        String row = "%-26s %-32s %s%n";
        sb.append(String.format(Locale.ROOT, row, "", "internal test", strategy.heldOutName()));
        sb.append(String.format(Locale.ROOT, row, "accuracy (95% CI)", accuracy(t), accuracy(b)));
        Map<String, Object> ri = (Map<String, Object>) t.get("recall"), rb = (Map<String, Object>) b.get("recall");
        for (String c : Label.ids())
            sb.append(String.format(Locale.ROOT, row, "recall " + c, Headline.f4(ri.get(c)), Headline.f4(rb.get(c))));
        sb.append(String.format(Locale.ROOT, row, "normal called pneumonia", Headline.f4(p.get("internal_normal_called_pneumonia")),
                Headline.f4(b.get("normal_called_pneumonia"))));
        sb.append(String.format(Locale.ROOT, row, "images (patients)", t.get("n") + " (" + t.get("patients") + ")",
                b.get("n") + " (" + b.get("patients") + ")"));
        return sb.toString();
    }

    /** "0.8123 (0.7801-0.8412)", the interval as the headline prints it. */
    private static String accuracy(Map<String, Object> t) {
        List<?> ci = (List<?>) t.get("accuracy_ci95");
        return Headline.f4(t.get("accuracy")) + " ("
                + (ci == null ? "n/a" : Headline.f4(ci.get(0)) + "-" + Headline.f4(ci.get(1))) + ")";
    }

    /** What a proxy split holds out, in a few words. */
    private static String shortText(SplitStrategy strategy) {
        return strategy == SplitStrategy.BATCH ? "the early batch of each file-name family"
                : "the blurriest normals (and a share of the others)";
    }

    /** What a texture split held out, in one line, from the "held_out" block. */
    private static String textureText(Map<String, Object> held) {
        return String.format(Locale.ROOT, "the blurriest %.0f %% of normal-class patients, %,d of %,d (patient sharpness <= %.2f; "
                        + "their films' median %.2f, the other normals' %.2f), and a random %.0f %% of the others, %,d of %,d",
                100 * (Double) held.get("texture_fraction"), held.get("normals_held_out"), held.get("normal_patients"),
                held.get("sharpness_cut"), held.get("held_out_normals_median_sharpness"), held.get("other_normals_median_sharpness"),
                100 * (Double) held.get("other_fraction"), held.get("others_held_out"), held.get("other_patients"));
    }

    /** What a batch split held out, in one line, from the "held_out" block. */
    @SuppressWarnings("unchecked")
    private static String batchText(Map<String, Object> held) {
        List<String> parts = new ArrayList<>();
        for (Object o : (List<?>) held.get("families")) {
            Map<String, Object> f = (Map<String, Object>) o;
            String name = String.valueOf(f.get("family"));
            parts.add(String.format(Locale.ROOT, "%s %d of %d patients (%s)", name.isEmpty() ? "(digits only)" : name,
                    f.get("held_out"), f.get("patients"), String.join(", ", (List<String>) f.get("numbers"))));
        }
        return String.format(Locale.ROOT, "the lowest %.0f %% of each family: %s; %d patient(s) without a number", 100 * (Double) held.get("fraction"),
                String.join("; ", parts), held.get("patients_without_number"));
    }
}
