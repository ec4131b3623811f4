package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.bench.HeadlineProxy;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.TextureSplit;
import org.pneumoscope.synth.PhantomGenerator;
import org.pneumoscope.train.TrainConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** bench headline on tiny phantoms: the cpu preset shrunk to seconds; figures must be the run's own. */
class BenchHeadlineCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void reportsTheRunsOwnFiguresAndRefusesToTrainOverIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("phantoms"), run = dir.resolve("run");
        new PhantomGenerator().generate(data, 90, 64, 5, 2);
        String[] args = {"bench", "headline", "--data", data.toString(), "--out", run.toString(), "--preset", "cpu",
                "--size", "64", "--width", "0.25", "--batch", "16", "--epochs", "1", "--set", "max_minutes=0"};
        CliRun r = CliRun.of(args);
        String out = r.out();
        assertEquals(0, r.code(), out + r.err());

        JsonNode test = JSON.readTree(run.resolve("test/metrics.json").toFile());
        JsonNode card = JSON.readTree(run.resolve("model.json").toFile());
        JsonNode h = JSON.readTree(run.resolve("headline.json").toFile());
        assertTrue(Files.list(run).noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporaries left");

        // headline.json holds the run's own figures
        assertEquals(test.path("accuracy").asDouble(), h.path("test").path("accuracy").asDouble(), 0);
        assertEquals(test.path("ci95").path("accuracy").toString(), h.path("test").path("accuracy_ci95").toString());
        assertEquals(test.path("macro_f1").asDouble(), h.path("test").path("macro_f1").asDouble(), 0);
        for (String c : List.of("bacteria", "virus", "normal"))
            assertEquals(test.path("per_class").path(c).path("recall").asDouble(), h.path("test").path("recall").path(c).asDouble(), 0, c);
        assertEquals(test.path("ece_uncalibrated").asDouble(), h.path("test").path("ece_uncalibrated").asDouble(), 0);
        assertEquals(test.path("ece_calibrated").asDouble(), h.path("test").path("ece_calibrated").asDouble(), 0);
        assertEquals(card.path("epochs_run").asInt(), h.path("epochs_run").asInt());
        assertEquals(1, h.path("epochs_run").asInt());
        assertEquals("cpu", h.path("preset").asText());
        // the config line says how classes were balanced (oversampling changes what an epoch is)
        String balance = org.pneumoscope.train.TrainConfig.fromMap(org.pneumoscope.train.TrainConfig.readYaml(run.resolve("config.yaml"))).balance().id();
        assertTrue(h.path("config").asText().contains("balance " + balance + ","), h.path("config").asText());
        // peak RSS: the evaluation's figure, and a real one where /proc exists
        assertEquals(test.path("peak_rss_mb").toString(), h.path("peak_rss_mb").toString());
        if (Files.isReadable(Path.of("/proc/self/status"))) {
            assertTrue(test.path("peak_rss_mb").asLong() > 0, test.toString());
            assertTrue(card.path("peak_rss_mb").asLong() > 0, card.toString());
            assertTrue(JSON.readTree(run.resolve("metrics.json").toFile()).path("peak_rss_mb").asLong() > 0);
            assertTrue(Files.readString(run.resolve("train.log")).contains("peak RSS after training: "));
        }
        double wallTrain = h.path("wall_minutes").path("train").asDouble(), wallEval = h.path("wall_minutes").path("evaluate").asDouble();
        assertTrue(wallTrain > 0 && wallEval > 0 && h.path("wall_minutes").path("total").asDouble() >= wallTrain + wallEval - 1e-9, h.toString());

        // the framing stress test: the test films framed 1.3 times tighter, kept in their own folder
        JsonNode framed = JSON.readTree(run.resolve("test-zoom1.3/zoom=1.3/metrics.json").toFile()), f = h.path("framed");
        assertEquals("zoom=1.3", f.path("shift").asText());
        assertEquals(framed.path("accuracy").asDouble(), f.path("accuracy").asDouble(), 0);
        assertEquals(framed.path("per_class").path("normal").path("recall").asDouble(), f.path("recall").path("normal").asDouble(), 0);
        JsonNode normalRow = framed.path("confusion_matrix").path(2);
        assertEquals(test.path("per_class").path("normal").path("support").asInt(), f.path("normals").asInt(), "the same films, reframed");
        assertEquals(normalRow.get(0).asInt() + normalRow.get(1).asInt(), f.path("normals_called_pneumonia").asInt());
        assertTrue(out.contains("framed 1.3x:  accuracy " + f4(framed.path("accuracy"))), out);
        assertTrue(out.contains(f.path("normals_called_pneumonia").asInt() + " of " + f.path("normals").asInt()
                + " normals called pneumonia (evaluate --shift zoom=1.3)"), out);

        // the printed block shows the same figures
        assertTrue(out.contains("accuracy:     " + f4(test.path("accuracy")) + " (95% CI " + f4(test.path("ci95").path("accuracy").get(0))
                + "-" + f4(test.path("ci95").path("accuracy").get(1)) + ")"), out);
        assertTrue(out.contains("macro-F1:     " + f4(test.path("macro_f1"))), out);
        assertTrue(out.contains("recall:       bacteria " + f4(test.path("per_class").path("bacteria").path("recall"))
                + " virus " + f4(test.path("per_class").path("virus").path("recall"))
                + " normal " + f4(test.path("per_class").path("normal").path("recall"))), out);
        assertTrue(out.contains("ECE (15 bins): " + f4(test.path("ece_uncalibrated")) + " before calibration, "
                + f4(test.path("ece_calibrated")) + " after (T = " + String.format(java.util.Locale.ROOT, "%.3f", test.path("temperature").asDouble())), out);
        // the preset asks for class offsets; a validation split this small gets the temperature alone, and says which
        assertTrue(h.path("config").asText().endsWith("calibration bias-corrected"), h.path("config").asText());
        assertEquals(test.path("calibration_method").asText(), h.path("test").path("calibration_method").asText());
        assertEquals(test.path("class_bias").isMissingNode(), h.path("test").path("class_bias").isMissingNode());
        assertTrue(out.contains("epochs:       1 run (at most 1)"), out);
        assertTrue(out.contains("peak RSS:     " + (test.path("peak_rss_mb").isNumber() ? test.path("peak_rss_mb").asLong() + " MB" : "n/a")), out);
        assertTrue(out.matches("(?s).*wall:         train [0-9.]+ min \\| evaluate [0-9.]+ min \\| total [0-9.]+ min.*"), out);

        // one PASS/FAIL line per target, agreeing with the figures
        Matcher m = Pattern.compile("(?m)^  (PASS|FAIL)  (.+?) {2,}").matcher(out);
        int lines = 0;
        for (JsonNode g : h.path("targets")) {
            assertTrue(m.find(), "target line " + g + "\n" + out);
            assertEquals(g.path("pass").asBoolean() ? "PASS" : "FAIL", m.group(1), g.toString());
            lines++;
        }
        assertEquals(4, lines);
        assertFalse(m.find(), "exactly four target lines\n" + out);
        boolean accPass = test.path("accuracy").asDouble() >= 0.90;
        assertEquals(accPass, h.path("targets").get(0).path("pass").asBoolean());
        double minRecall = 1;
        for (String c : List.of("bacteria", "virus", "normal")) minRecall = Math.min(minRecall, test.path("per_class").path(c).path("recall").asDouble());
        assertEquals(minRecall >= 0.85, h.path("targets").get(1).path("pass").asBoolean());
        assertEquals(test.path("ece_calibrated").asDouble() <= 0.05, h.path("targets").get(2).path("pass").asBoolean());
        // what a calibrated model would score on the same test set, from the evaluation, beside the ECE target
        JsonNode floor = test.path("ece_if_calibrated");
        assertEquals(1000, floor.path("draws").asInt());
        assertTrue(floor.path("mean").asDouble() > 0 && floor.path("p95").asDouble() >= floor.path("mean").asDouble(), floor.toString());
        assertEquals(floor.path("p95").asDouble(), h.path("test").path("ece_if_calibrated_p95").asDouble(), 0);
        assertTrue(out.contains("a perfectly calibrated model would score " + f4(floor.path("mean")) + " here, 95 % <= "
                + f4(floor.path("p95"))), out);

        // a second headline into the same folder refuses and leaves the finished run alone
        FileTime before = Files.getLastModifiedTime(run.resolve("model.params"));
        String headline = Files.readString(run.resolve("headline.json"));
        CliRun again = CliRun.of(args);
        assertEquals(2, again.code(), again.out() + again.err());
        assertTrue(again.err().contains("already holds a finished run") && again.err().contains("choose another --out"), again.err());
        assertEquals(before, Files.getLastModifiedTime(run.resolve("model.params")));
        assertEquals(headline, Files.readString(run.resolve("headline.json")));
    }

    /**
     * --proxy: after the headline run, the same recipe on the texture split (RUN/proxy/split.csv holds out the
     * blurriest quarter of the normal-class patients and 15 % of the others), its figures read from its own evaluation
     * and printed beside the internal ones.
     */
    @Test
    void proxyTrainsTheSameRecipeWithTheBlurriestNormalsHeldOutAndReportsItsOwnFigures(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("phantoms"), run = dir.resolve("run");
        new PhantomGenerator().generate(data, 90, 64, 5, 2);
        CliRun r = CliRun.of("bench", "headline", "--data", data.toString(), "--out", run.toString(), "--preset", "cpu",
                "--size", "64", "--width", "0.25", "--batch", "16", "--epochs", "1", "--set", "max_minutes=0", "--proxy");
        String out = r.out();
        assertEquals(0, r.code(), out + r.err());
        JsonNode h = JSON.readTree(run.resolve("headline.json").toFile());
        JsonNode internal = JSON.readTree(run.resolve("test/metrics.json").toFile());
        JsonNode own = JSON.readTree(run.resolve("proxy/test/metrics.json").toFile());
        assertEquals(internal.path("accuracy").asDouble(), h.path("test").path("accuracy").asDouble(), 0, "the headline is unchanged");

        // the proxy run's split: the texture holdout of the same data with the run's seed
        List<Sample> all = DatasetReader.read(data).samples();
        long seed = TrainConfig.fromMap(TrainConfig.readYaml(run.resolve("proxy/config.yaml"))).seed();
        TextureSplit.Holdout expected = TextureSplit.holdout(all, 0.25, 0.15, seed, 2);
        java.util.TreeSet<String> test = new java.util.TreeSet<>();
        DatasetScan split = DatasetReader.read(run.resolve("proxy/split.csv"));
        for (Sample s : split.samples()) if ("test".equals(s.split())) test.add(s.patientId());
        assertEquals(new java.util.TreeSet<>(expected.patients()), test);
        assertTrue(expected.normalsHeldOut() > 0 && expected.othersHeldOut() > 0, expected.toString());
        assertEquals(split.inSplit("test").size(), own.path("n").asInt(), "scored on the held-out patients");
        // no held-out normal patient is sharper than a normal patient kept for training (patient: median of 1-2 films)
        TextureSplit.Measured m = TextureSplit.measure(all, 2);
        java.util.Map<String, List<Double>> normal = new java.util.HashMap<>();
        for (int i = 0; i < all.size(); i++)
            if (all.get(i).label() == Label.NORMAL) normal.computeIfAbsent(all.get(i).patientId(), x -> new java.util.ArrayList<>()).add(m.sharpness()[i]);
        double heldMax = Double.NEGATIVE_INFINITY, keptMin = Double.POSITIVE_INFINITY;
        for (var e : normal.entrySet()) {
            double median = e.getValue().stream().mapToDouble(Double::doubleValue).average().orElseThrow(); // mean = median of <= 2
            if (test.contains(e.getKey())) heldMax = Math.max(heldMax, median);
            else keptMin = Math.min(keptMin, median);
        }
        assertTrue(heldMax <= keptMin, heldMax + " > " + keptMin);

        // its figures are its own evaluation's
        JsonNode p = h.path("proxy"), b = p.path("held_out_test");
        assertEquals("texture", p.path("strategy").asText());
        assertEquals(run.resolve("proxy").toString(), p.path("run").asText());
        assertEquals(own.path("accuracy").asDouble(), b.path("accuracy").asDouble(), 0);
        assertEquals(own.path("ci95").path("accuracy").toString(), b.path("accuracy_ci95").toString());
        for (String c : List.of("bacteria", "virus", "normal"))
            assertEquals(own.path("per_class").path(c).path("recall").asDouble(), b.path("recall").path(c).asDouble(), 0, c);
        assertEquals(normalsCalledPneumonia(own), b.path("normal_called_pneumonia").asDouble(), 1e-12);
        assertEquals(normalsCalledPneumonia(internal), p.path("internal_normal_called_pneumonia").asDouble(), 1e-12);
        assertEquals(expected.normalsHeldOut(), p.path("held_out").path("normals_held_out").asInt());
        assertEquals(expected.cut(), p.path("held_out").path("sharpness_cut").asDouble(), 0);

        // printed beside the internal figures
        assertTrue(out.contains("== proxy for new films: the same recipe, the blurriest normals (and a share of the others) held out: "
                + run.resolve("proxy")), out);
        assertTrue(out.matches("(?s).*\\n {26} internal test {20}held-out blurry normals \\(proxy for new films\\)\\n.*"), out);
        assertTrue(out.matches("(?s).*\\naccuracy \\(95% CI\\)\\s+" + Pattern.quote(f4(internal.path("accuracy"))) + " \\("
                + Pattern.quote(f4(internal.path("ci95").path("accuracy").get(0))) + "-" + Pattern.quote(f4(internal.path("ci95").path("accuracy").get(1)))
                + "\\)\\s+" + Pattern.quote(f4(own.path("accuracy"))) + " \\(" + Pattern.quote(f4(own.path("ci95").path("accuracy").get(0))) + "-"
                + Pattern.quote(f4(own.path("ci95").path("accuracy").get(1))) + "\\)\\n.*"), out);
        assertTrue(out.matches("(?s).*\\nrecall normal\\s+" + f4(internal.path("per_class").path("normal").path("recall")) + "\\s+"
                + f4(own.path("per_class").path("normal").path("recall")) + "\\n.*"), out);
        assertTrue(out.matches("(?s).*\\nnormal called pneumonia\\s+" + String.format(Locale.ROOT, "%.4f", normalsCalledPneumonia(internal))
                + "\\s+" + String.format(Locale.ROOT, "%.4f", normalsCalledPneumonia(own)) + "\\n.*"), out);
        assertTrue(CliRun.of("bench", "headline", "--help").out().contains("Doubles the time"));
    }

    /**
     * The proxy's code path takes any proxy strategy: the batch split holds out the lowest-numbered 10 % and is named
     * as such in the printed block (no training: the split and the text only).
     */
    @Test
    void theBatchSplitStillServesAsProxy(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("phantoms");
        new PhantomGenerator().generate(data, 60, 64, 5, 2);
        TrainConfig cfg = org.pneumoscope.train.Presets.resolve("cpu", java.util.Map.of());
        HeadlineProxy batch = HeadlineProxy.prepare(data, dir.resolve("run"), cfg, org.pneumoscope.data.SplitStrategy.BATCH);
        java.util.TreeSet<String> patients = new java.util.TreeSet<>(), test = new java.util.TreeSet<>();
        for (Sample s : batch.samples()) {
            patients.add(s.patientId()); // zero-padded, so name order is number order
            if ("test".equals(s.split())) test.add(s.patientId());
        }
        assertEquals(new java.util.TreeSet<>(patients.stream().limit(Math.round(0.10 * patients.size())).toList()), test);
        java.util.Set<String> texture = new java.util.HashSet<>();
        for (Sample s : HeadlineProxy.prepare(data, dir.resolve("run"), cfg).samples()) if ("test".equals(s.split())) texture.add(s.patientId());
        assertEquals(TextureSplit.holdout(DatasetReader.read(data).samples(), 0.25, 0.15, cfg.seed(), 2).patients(), texture,
                "texture unless told otherwise");

        java.util.Map<String, Object> figures = java.util.Map.of("n", 6, "patients", 5, "accuracy", 0.5, "accuracy_ci95", List.of(0.2, 0.8),
                "recall", java.util.Map.of("bacteria", 0.5, "virus", 0.5, "normal", 0.5), "normal_called_pneumonia", 0.5);
        java.util.Map<String, Object> held = java.util.Map.of("fraction", 0.1, "patients_without_number", 0, "families",
                List.of(java.util.Map.of("family", "ph", "held_out", 5, "patients", 48, "numbers", List.of("00001..00005"))));
        java.util.Map<String, Object> proxy = new java.util.HashMap<>(java.util.Map.of("run", "R/proxy", "strategy", "batch", "held_out", held,
                "wall_minutes", java.util.Map.of("train", 1.0, "evaluate", 0.5, "total", 1.5), "epochs_run", 1, "best_epoch", 1,
                "held_out_test", figures));
        proxy.put("internal_normal_called_pneumonia", 0.1);
        String text = HeadlineProxy.text(java.util.Map.of("proxy", proxy, "test", figures));
        assertTrue(text.contains("== proxy for new films: the same recipe, the early batch of each file-name family held out: R/proxy =="), text);
        assertTrue(text.contains("held out:     the lowest 10 % of each family: ph 5 of 48 patients (00001..00005)"), text);
        assertTrue(text.matches("(?s).*\\n {26} internal test {20}held-out batch \\(proxy for new films\\)\\n.*"), text);
    }

    /** Normal films predicted bacterial or viral, over all normal films, from the confusion matrix. */
    static double normalsCalledPneumonia(JsonNode metrics) {
        JsonNode row = metrics.path("confusion_matrix").get(2);
        return (row.get(0).asInt() + row.get(1).asInt()) / (double) (row.get(0).asInt() + row.get(1).asInt() + row.get(2).asInt());
    }

    @Test
    void processMemoryReadsProcWhereItExists() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")));
        long rss = org.pneumoscope.core.ProcessMemory.rssMb(), peak = org.pneumoscope.core.ProcessMemory.peakRssMb();
        assertTrue(rss > 0 && peak >= rss, rss + " / " + peak);
    }

    static String f4(JsonNode n) { return String.format(Locale.ROOT, "%.4f", n.asDouble()); }
}
