package org.pneumoscope.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.ProcessMemory;
import org.pneumoscope.core.UserException;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.pipeline.EvaluateRun;
import org.pneumoscope.pipeline.TrainRun;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The headline run (docs/recipe.md): exactly what {@code train --data DIR --out RUN} does, then one block with wall
 * times, memory, the test figures and a PASS/FAIL line per target, also written to RUN/headline.json. Every figure is
 * read back from the run's own files.
 */
public final class Headline {
    private Headline() {}

    /** The targets of the headline run (docs/recipe.md). */
    static final double MIN_ACCURACY = 0.90, MIN_RECALL = 0.85, MAX_ECE = 0.05, MAX_TRAIN_MINUTES = 30;

    /** One target: {@code value} against {@code limit}; an undefined value fails. {@code detail} may be null. */
    record Target(String key, String text, double value, double limit, boolean atLeast, String detail) {
        boolean pass() { return !Double.isNaN(value) && (atLeast ? value >= limit : value <= limit); }
    }

    /**
     * Trains and evaluates one fresh run in {@code runDir} and prints its headline block; with {@code proxy}, then
     * trains the same recipe on a texture split of the same data in RUN/proxy and prints its figures beside.
     */
    public static void run(Path data, Path runDir, String preset, TrainConfig cfg, boolean proxy, PrintStream out) throws Exception {
        RunFolder run = new RunFolder(runDir);
        // train refuses an existing run without --resume; a headline never resumes (its wall time would not be one run's)
        if (run.complete() || Files.exists(run.lastCheckpoint()))
            throw new UserException(runDir + " already holds a" + (run.complete() ? " finished" : "n unfinished")
                    + " run; bench headline measures one fresh run, so it neither trains over it nor resumes it: choose another --out"
                    + (run.complete() ? " (its figures are in " + run.testDir().resolve("metrics.json") + ")"
                    : " (or finish it with pneumoscope train --resume " + runDir + ")"), 2);
        HeadlineProxy prox = proxy ? HeadlineProxy.prepare(data, runDir, cfg) : null;
        long t0 = System.nanoTime();
        TrainRun.Result r = TrainRun.run(data, runDir, cfg, false, false, null, true, out);
        double totalSeconds = (System.nanoTime() - t0) / 1e9;
        if (r.eval() == null) throw new UserException("the split of " + data + " has no test images, so there is no headline figure", 1);
        out.println("report: " + r.eval().report());
        out.println(r.peakLine());

        JsonNode test = RunFolder.JSON.readTree(r.eval().metrics().toFile());
        JsonNode card = RunFolder.JSON.readTree(run.modelJson().toFile());
        Map<String, Object> h = headline(runDir, preset, cfg, r, totalSeconds, test, card);
        h.put("framed", framed(runDir));
        AtomicFiles.writeString(runDir.resolve("headline.json"), RunFolder.JSON.writeValueAsString(h));
        out.print(text(h));
        out.println("headline: " + runDir.resolve("headline.json"));
        if (prox != null) {
            // headline.json already holds the headline run: a failed proxy run does not take it away
            h.put("proxy", prox.run(test, out));
            AtomicFiles.writeString(runDir.resolve("headline.json"), RunFolder.JSON.writeValueAsString(h));
            out.print(HeadlineProxy.text(h));
            out.println("headline: " + runDir.resolve("headline.json") + " (with \"proxy\")");
        }
    }

    /** The stress test of framing, as {@code evaluate --shift} spells it, and the folder its evaluations are kept in. */
    static final String FRAMED = "zoom=1.3", FRAMED_DIR = "test-zoom1.3";

    /**
     * The run's test films framed 1.3 times tighter ({@code evaluate --sweep zoom=1.3} into RUN/test-zoom1.3): the
     * training normals are framed wider than its pneumonia films, and a network that learnt it calls tightly framed
     * normals pneumonia, the failure seen on normals collected apart from the training films.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> framed(Path runDir) throws Exception {
        Path dir = runDir.resolve(FRAMED_DIR);
        EvaluateRun.run(new EvaluateRun.Options(runDir, null, null, null, dir, null, false, null, FRAMED, 42),
                new PrintStream(OutputStream.nullOutputStream()));
        // the sweep's own row for the shift (its first row is the films as they are)
        JsonNode row = RunFolder.JSON.readTree(dir.resolve("robustness.json").toFile()).path("rows").path(1);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("shift", row.path("shift").asText());
        f.put("accuracy", num(row.path("accuracy")));
        f.put("recall", RunFolder.JSON.convertValue(row.path("recall"), Map.class));
        f.put("normals", row.path("normals").asInt());
        f.put("normals_called_pneumonia", row.path("normals_called_pneumonia").asInt());
        return f;
    }

    /** The headline figures as written to headline.json; test figures are copied from test/metrics.json as they are. */
    static Map<String, Object> headline(Path runDir, String preset, TrainConfig cfg, TrainRun.Result r, double totalSeconds,
                                        JsonNode test, JsonNode card) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("format", "pneumoscope-headline/1");
        h.put("run", runDir.toString());
        h.put("preset", preset);
        h.put("config", config(cfg));
        Map<String, Object> wall = new LinkedHashMap<>();
        wall.put("train", r.trainSeconds() / 60);
        wall.put("evaluate", r.evalSeconds() / 60);
        wall.put("total", totalSeconds / 60);
        h.put("wall_minutes", wall);
        h.put("train_loop_minutes", card.path("train_seconds").asDouble() / 60);
        h.put("epochs_run", card.path("epochs_run").asInt());
        h.put("epochs_max", cfg.epochs()); // the time budget plans how many of these run
        h.put("best_epoch", card.path("best_epoch").asInt());
        if (card.has("stop_reason")) h.put("stop_reason", card.path("stop_reason").asText());
        h.put("peak_rss_mb", ProcessMemory.orNull(r.eval().peakRssMb()));
        h.put("peak_rss_mb_after_training", ProcessMemory.orNull(r.train().peakRssMb()));
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("n", test.path("n").asInt());
        t.put("patients", test.path("patients").asInt());
        t.put("accuracy", num(test.path("accuracy")));
        t.put("accuracy_ci95", ci(test.path("ci95").path("accuracy")));
        t.put("macro_f1", num(test.path("macro_f1")));
        Map<String, Object> recall = new LinkedHashMap<>();
        for (String c : Label.ids()) recall.put(c, num(test.path("per_class").path(c).path("recall")));
        t.put("recall", recall);
        t.put("ece_uncalibrated", num(test.path("ece_uncalibrated")));
        t.put("ece_calibrated", num(test.path("ece_calibrated")));
        t.put("temperature", num(test.path("temperature")));
        t.put("calibration_method", test.path("calibration_method").isTextual() ? test.path("calibration_method").asText() : null);
        if (test.path("class_bias").isArray()) {
            List<Double> b = new ArrayList<>();
            test.path("class_bias").forEach(x -> b.add(x.asDouble()));
            t.put("class_bias", b);
        }
        t.put("ece_if_calibrated_mean", num(test.path("ece_if_calibrated").path("mean")));
        t.put("ece_if_calibrated_p95", num(test.path("ece_if_calibrated").path("p95")));
        h.put("test", t);
        List<Map<String, Object>> targets = new ArrayList<>();
        boolean all = true;
        for (Target g : targets(r.trainSeconds() / 60, test)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", g.key());
            m.put("text", g.text());
            m.put("value", Double.isNaN(g.value()) ? null : g.value());
            m.put("limit", g.limit());
            if (g.detail() != null) m.put("detail", g.detail());
            m.put("pass", g.pass());
            targets.add(m);
            all &= g.pass();
        }
        h.put("targets", targets);
        h.put("all_pass", all);
        return h;
    }

    static List<Target> targets(double trainMinutes, JsonNode test) {
        double acc = dbl(test.path("accuracy"));
        double minRecall = Double.POSITIVE_INFINITY;
        String worst = "";
        for (String c : Label.ids()) {
            double v = dbl(test.path("per_class").path(c).path("recall"));
            if (Double.isNaN(v) || v < minRecall) { minRecall = v; worst = c; }
            if (Double.isNaN(v)) break;
        }
        double ece = dbl(test.path("ece_calibrated"));
        JsonNode floor = test.path("ece_if_calibrated");
        // the target stays 0.05; the detail says how much of any ECE a calibrated model would show on this test set
        String eceDetail = floor.isMissingNode() ? null : String.format(Locale.ROOT,
                "a perfectly calibrated model would score %.4f here, 95 %% <= %.4f", dbl(floor.path("mean")), dbl(floor.path("p95")));
        return List.of(
                new Target("accuracy", "test accuracy >= 0.90", acc, MIN_ACCURACY, true, null),
                new Target("min_recall", "every class recall >= 0.85", minRecall, MIN_RECALL, true, "lowest: " + worst),
                new Target("ece_calibrated", "ECE after calibration <= 0.05", ece, MAX_ECE, false, eceDetail),
                new Target("train_minutes", "training wall <= 30 min", trainMinutes, MAX_TRAIN_MINUTES, false, null));
    }

    /** The block printed at the end, from the figures of headline.json. */
    @SuppressWarnings("unchecked")
    static String text(Map<String, Object> h) {
        Map<String, Object> wall = (Map<String, Object>) h.get("wall_minutes"), t = (Map<String, Object>) h.get("test");
        Map<String, Object> recall = (Map<String, Object>) t.get("recall");
        StringBuilder sb = new StringBuilder();
        sb.append("== headline run: ").append(h.get("run")).append(" ==\n");
        sb.append("config:       preset ").append(h.get("preset")).append(": ").append(h.get("config")).append('\n');
        sb.append(String.format(Locale.ROOT, "wall:         train %.1f min | evaluate %.1f min | total %.1f min%n",
                wall.get("train"), wall.get("evaluate"), wall.get("total")));
        sb.append(String.format(Locale.ROOT, "epochs:       %d run (at most %d), best %d%s%n", h.get("epochs_run"), h.get("epochs_max"),
                h.get("best_epoch"), h.containsKey("stop_reason") ? " (" + h.get("stop_reason") + ")" : ""));
        sb.append("peak RSS:     ").append(h.get("peak_rss_mb") == null ? "n/a" : h.get("peak_rss_mb") + " MB").append('\n');
        List<?> ci = (List<?>) t.get("accuracy_ci95");
        sb.append(String.format(Locale.ROOT, "accuracy:     %s (95%% CI %s), %d images of %d patients%n", f4(t.get("accuracy")),
                ci == null ? "n/a" : f4(ci.get(0)) + "-" + f4(ci.get(1)), t.get("n"), t.get("patients")));
        sb.append("macro-F1:     ").append(f4(t.get("macro_f1"))).append('\n');
        sb.append("recall:      ");
        for (Map.Entry<String, Object> e : recall.entrySet()) sb.append(' ').append(e.getKey()).append(' ').append(f4(e.getValue()));
        sb.append('\n');
        sb.append(String.format(Locale.ROOT, "ECE (15 bins): %s before calibration, %s after (%s)%n",
                f4(t.get("ece_uncalibrated")), f4(t.get("ece_calibrated")), calibration(t)));
        if (h.get("framed") instanceof Map<?, ?> f) sb.append(framedLine((Map<String, Object>) f));
        sb.append("targets:\n");
        for (Object o : (List<?>) h.get("targets")) {
            Map<String, Object> g = (Map<String, Object>) o;
            Object v = g.get("value");
            String shown = g.get("target").equals("train_minutes") ? String.format(Locale.ROOT, "%.1f min", (Double) v) : f4(v);
            if (g.containsKey("detail")) shown += " (" + g.get("detail") + ")";
            sb.append(String.format(Locale.ROOT, "  %s  %-30s %s%n", (Boolean) g.get("pass") ? "PASS" : "FAIL", g.get("text"), shown));
        }
        sb.append((Boolean) h.get("all_pass") ? "all targets met\n" : "not all targets met\n");
        return sb.toString();
    }

    /** "framed 1.3x:  accuracy ..., recall ...; k of n normals called pneumonia (evaluate --shift zoom=1.3)". */
    @SuppressWarnings("unchecked")
    static String framedLine(Map<String, Object> f) {
        StringBuilder sb = new StringBuilder("framed 1.3x:  accuracy ").append(f4(f.get("accuracy"))).append(", recall");
        for (Map.Entry<String, Object> e : ((Map<String, Object>) f.get("recall")).entrySet())
            sb.append(' ').append(e.getKey()).append(' ').append(f4(e.getValue()));
        return sb.append(String.format(Locale.ROOT, "; %s of %s normals called pneumonia (evaluate --shift %s)%n",
                f.get("normals_called_pneumonia"), f.get("normals"), f.get("shift"))).toString();
    }

    static String config(TrainConfig c) {
        return String.format(Locale.ROOT, "%s width %.2f @%d px, batch %d, epochs %d, max_minutes %.0f, augment %s, balance %s, mixup %s, contrast %s, tta %s, calibration %s",
                c.model(), c.width(), c.size(), c.batch(), c.epochs(), c.maxMinutes(), c.augment(), c.balance(), c.mixup(), c.contrast().id(), c.tta(),
                c.calibration());
    }

    /** "T = 0.925" or "T = 0.925, class offsets bacteria +0.310 ...", as evaluate prints it. */
    @SuppressWarnings("unchecked")
    static String calibration(Map<String, Object> test) {
        if (!(test.get("temperature") instanceof Double temp)) return "T = n/a";
        List<Double> b = (List<Double>) test.get("class_bias");
        Object method = test.get("calibration_method");
        Calibration c = b == null || method == null
                ? Calibration.ofTemperature(temp)
                : new Calibration(Calibration.parse(String.valueOf(method), "headline.json test.calibration_method"), temp, b.stream().mapToDouble(Double::doubleValue).toArray());
        return c.describe(List.of(Label.ids()));
    }

    static Double num(JsonNode n) { return n.isNumber() ? n.asDouble() : null; }

    private static double dbl(JsonNode n) { return n.isNumber() ? n.asDouble() : Double.NaN; }

    static List<Double> ci(JsonNode n) { return n.isArray() && n.size() == 2 ? List.of(n.get(0).asDouble(), n.get(1).asDouble()) : null; }

    static String f4(Object v) {
        return v instanceof Number x && Double.isFinite(x.doubleValue()) ? String.format(Locale.ROOT, "%.4f", x.doubleValue()) : "n/a";
    }
}
