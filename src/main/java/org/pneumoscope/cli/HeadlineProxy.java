package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.pneumoscope.data.BatchSplit;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.Label;
import org.pneumoscope.data.Sample;
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
 * {@code bench headline --proxy}: the headline's recipe trained a second time, on the batch split of the same data
 * (the lowest-numbered 10 % of each file-name family's patients held out, as {@code dataset split --strategy batch}),
 * in RUN/proxy/, and its held-out-batch figures printed beside the headline's own.
 *
 * <p>Why: the headline's test split is patients of the same batch as training, and a random patient split never
 * shows how the model does on films from another batch; Kermany's own test set, from other lower-numbered patients,
 * showed normals called pneumonia. The held-out batch is the closest proxy the shared data has. Every figure is read
 * back from the proxy run's own evaluation (RUN/proxy/test/metrics.json).
 */
final class HeadlineProxy {
    private final Path data, dir;
    private final TrainConfig cfg;
    private final BatchSplit.Holdout holdout;
    private final List<Sample> samples;

    private HeadlineProxy(Path data, Path dir, TrainConfig cfg, BatchSplit.Holdout holdout, List<Sample> samples) {
        this.data = data;
        this.dir = dir;
        this.cfg = cfg;
        this.holdout = holdout;
        this.samples = samples;
    }

    /**
     * The batch split of {@code data}, made before anything trains: data without patient numbers is refused in
     * seconds rather than after the headline run.
     */
    static HeadlineProxy prepare(Path data, Path runDir, TrainConfig cfg) {
        Path dir = runDir.resolve("proxy");
        RunFolder run = new RunFolder(dir);
        if (run.complete() || Files.exists(run.lastCheckpoint()))
            throw new UserException(dir + " already holds a run; bench headline --proxy trains a fresh one: choose another --out", 2);
        List<Sample> all = DatasetReader.read(data).requireImages().samples();
        BatchSplit.Holdout h = BatchSplit.holdout(all, BatchSplit.DEFAULT_FRACTION, BatchSplit.End.EARLY);
        if (h.patients().isEmpty())
            throw new UserException("--proxy: no patient of " + data + " can be held out as a batch (" + h.withoutNumber()
                    + " patient(s) have no number in their id, and no file-name family has enough patients for 10 %)", 2);
        double[] r = TrainConfig.splitRatios(cfg.split());
        return new HeadlineProxy(data, dir, cfg, h, BatchSplit.assign(all, h, r[0], r[1], cfg.seed()));
    }

    /**
     * Trains and evaluates the proxy run (RUN/proxy/split.csv is the batch split) and returns its block of
     * headline.json; {@code internal} is the headline run's test/metrics.json, for the figure printed beside.
     */
    Map<String, Object> run(JsonNode internal, PrintStream out) throws Exception {
        out.println();
        out.println("proxy run: the same recipe with the early batch of each file-name family held out, in " + dir);
        long t0 = System.nanoTime();
        TrainCommand.Result r = TrainCommand.runOnSplit(data, dir, cfg, samples, out);
        double totalSeconds = (System.nanoTime() - t0) / 1e9;
        JsonNode test = RunFolder.JSON.readTree(r.eval().metrics().toFile());
        JsonNode card = RunFolder.JSON.readTree(new RunFolder(dir).modelJson().toFile());
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("run", dir.toString());
        p.put("split", new RunFolder(dir).split().toString());
        p.put("held_out", heldOut());
        Map<String, Object> wall = new LinkedHashMap<>();
        wall.put("train", r.trainSeconds() / 60);
        wall.put("evaluate", r.evalSeconds() / 60);
        wall.put("total", totalSeconds / 60);
        p.put("wall_minutes", wall);
        p.put("epochs_run", card.path("epochs_run").asInt());
        p.put("best_epoch", card.path("best_epoch").asInt());
        p.put("held_out_batch", figures(test));
        p.put("internal_normal_called_pneumonia", normalCalledPneumonia(internal));
        return p;
    }

    /** Which patients were held out: the share, and per family the count and number range(s). */
    private Map<String, Object> heldOut() {
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

    /** The proxy's test figures as copied from its metrics.json, plus the share of normals called pneumonia. */
    static Map<String, Object> figures(JsonNode test) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("n", test.path("n").asInt());
        t.put("patients", test.path("patients").asInt());
        t.put("accuracy", BenchHeadlineCommand.num(test.path("accuracy")));
        t.put("accuracy_ci95", BenchHeadlineCommand.ci(test.path("ci95").path("accuracy")));
        t.put("macro_f1", BenchHeadlineCommand.num(test.path("macro_f1")));
        Map<String, Object> recall = new LinkedHashMap<>();
        for (String c : Label.ids()) recall.put(c, BenchHeadlineCommand.num(test.path("per_class").path(c).path("recall")));
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
    static String text(Map<String, Object> h) {
        Map<String, Object> p = (Map<String, Object>) h.get("proxy"), t = (Map<String, Object>) h.get("test");
        Map<String, Object> b = (Map<String, Object>) p.get("held_out_batch"), wall = (Map<String, Object>) p.get("wall_minutes");
        StringBuilder sb = new StringBuilder();
        sb.append("== proxy for new films: the same recipe, the early batch held out: ").append(p.get("run")).append(" ==\n");
        sb.append("held out:     ").append(heldOutText((Map<String, Object>) p.get("held_out"))).append('\n');
        sb.append(String.format(Locale.ROOT, "wall:         train %.1f min | evaluate %.1f min | total %.1f min; epochs %d run, best %d%n",
                wall.get("train"), wall.get("evaluate"), wall.get("total"), p.get("epochs_run"), p.get("best_epoch")));
        String row = "%-26s %-32s %s%n";
        sb.append(String.format(Locale.ROOT, row, "", "internal test", "held-out batch (proxy for new films)"));
        sb.append(String.format(Locale.ROOT, row, "accuracy (95% CI)", accuracy(t), accuracy(b)));
        Map<String, Object> ri = (Map<String, Object>) t.get("recall"), rb = (Map<String, Object>) b.get("recall");
        for (String c : Label.ids())
            sb.append(String.format(Locale.ROOT, row, "recall " + c, BenchHeadlineCommand.f4(ri.get(c)), BenchHeadlineCommand.f4(rb.get(c))));
        sb.append(String.format(Locale.ROOT, row, "normal called pneumonia", BenchHeadlineCommand.f4(p.get("internal_normal_called_pneumonia")),
                BenchHeadlineCommand.f4(b.get("normal_called_pneumonia"))));
        sb.append(String.format(Locale.ROOT, row, "images (patients)", t.get("n") + " (" + t.get("patients") + ")",
                b.get("n") + " (" + b.get("patients") + ")"));
        return sb.toString();
    }

    /** "0.8123 (0.7801-0.8412)", the interval as the headline prints it. */
    private static String accuracy(Map<String, Object> t) {
        List<?> ci = (List<?>) t.get("accuracy_ci95");
        return BenchHeadlineCommand.f4(t.get("accuracy")) + " ("
                + (ci == null ? "n/a" : BenchHeadlineCommand.f4(ci.get(0)) + "-" + BenchHeadlineCommand.f4(ci.get(1))) + ")";
    }

    @SuppressWarnings("unchecked")
    private static String heldOutText(Map<String, Object> held) {
        List<String> parts = new ArrayList<>();
        for (Object o : (List<?>) held.get("families")) {
            Map<String, Object> f = (Map<String, Object>) o;
            String name = String.valueOf(f.get("family"));
            parts.add(String.format(Locale.ROOT, "%s %d of %d patients (%s)", name.isEmpty() ? "(digits only)" : name,
                    f.get("held_out"), f.get("patients"), String.join(", ", (List<String>) f.get("numbers"))));
        }
        return String.format(Locale.ROOT, "lowest %.0f %% of each family: %s; %d patient(s) without a number", 100 * (Double) held.get("fraction"),
                String.join("; ", parts), held.get("patients_without_number"));
    }
}
