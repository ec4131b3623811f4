package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.eval.PredictionsCsv;
import org.pneumoscope.synth.PhantomGenerator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The user's path through the CLI on tiny phantom data: train → evaluate → predict → explain. */
class PipelineTest {
    @TempDir static Path dir;
    static Path data, run;
    static String trainOut;

    static CliRun cli(String... args) { return CliRun.of(args); }

    @BeforeAll
    static void trainTinyRun() throws Exception {
        data = dir.resolve("phantoms");
        new PhantomGenerator().generate(data, 90, 64, 5, 2);
        run = dir.resolve("run");
        CliRun r = cli("train", "--data", data.toString(), "--out", run.toString(), "--preset", "demo",
                "--size", "64", "--epochs", "2", "--set", "max_minutes=0");
        trainOut = r.out() + r.err();
        assertEquals(0, r.code(), trainOut);
    }

    @Test
    void trainWritesACompleteRunFolder() throws Exception {
        for (String f : List.of("config.yaml", "split.csv", "metrics.csv", "metrics.json", "train.log", "model.params",
                "model.json", "checkpoints/last.ckpt", "test/metrics.json", "test/predictions.csv", "test/report.html"))
            assertTrue(Files.isRegularFile(run.resolve(f)), "missing " + f + "\n" + trainOut);
        JsonNode card = new ObjectMapper().readTree(run.resolve("model.json").toFile());
        assertTrue(card.path("temperature").asDouble() > 0);
        assertEquals(2, card.path("epochs_run").asInt());
        JsonNode m = new ObjectMapper().readTree(run.resolve("test/metrics.json").toFile());
        int n = m.path("n").asInt();
        int sum = 0;
        for (JsonNode row : m.path("confusion_matrix")) for (JsonNode c : row) sum += c.asInt();
        assertEquals(n, sum, "confusion matrix must count every test image");
        assertTrue(trainOut.contains("report:"), trainOut);
        // split.csv is a manifest the other commands accept, and no patient crosses splits
        String split = Files.readString(run.resolve("split.csv"));
        assertTrue(split.startsWith("#root="), "split.csv names its data folder");
    }

    @Test
    void evaluateMatchesTheRunsOwnTestEvaluation() throws Exception {
        Path out = dir.resolve("eval");
        CliRun r = cli("evaluate", "--run", run.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Macro average"), r.out());
        JsonNode a = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        JsonNode b = new ObjectMapper().readTree(run.resolve("test/metrics.json").toFile());
        assertEquals(b.path("accuracy").asDouble(), a.path("accuracy").asDouble(), 1e-9);
        assertEquals(b.path("confusion_matrix").toString(), a.path("confusion_matrix").toString());
        PredictionsCsv.Predictions p = PredictionsCsv.read(out.resolve("predictions.csv"));
        assertEquals(a.path("n").asInt(), p.labels().length);
        for (float[] row : p.probabilities()) assertEquals(1.0, row[0] + row[1] + row[2], 1e-4);
        assertTrue(a.has("gradcam_pointing_game"), "phantom masks give a pointing-game figure");
        // the calibrated-model ECE floor: from the scored probabilities, printed and in the report with the same figures
        JsonNode floor = a.path("ece_if_calibrated");
        org.pneumoscope.eval.ReliabilityDiagram.Floor again = org.pneumoscope.eval.ReliabilityDiagram.calibratedFloor(
                p.probabilities(), 15, 1000, 42);
        assertEquals(again.mean(), floor.path("mean").asDouble(), 2e-3);
        assertEquals(again.p95(), floor.path("p95").asDouble(), 2e-3);
        String p95 = String.format(java.util.Locale.ROOT, "%.4f", floor.path("p95").asDouble());
        assertTrue(r.out().contains("95 % of 1000 draws <= " + p95 + "): "
                + (a.path("ece_calibrated").asDouble() <= floor.path("p95").asDouble() ? "no evidence" : "miscalibrated")), r.out());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("simulated draws stay at or below "
                + String.format(java.util.Locale.ROOT, "%.3f", floor.path("p95").asDouble())), "report states the floor");
    }

    @Test
    void predictScoresGoodFilesAndListsBadOnes() throws Exception {
        Path mixed = dir.resolve("mixed");
        Files.createDirectories(mixed);
        try (Stream<Path> s = Files.list(data.resolve("virus"))) {
            for (Path p : s.limit(3).toList()) Files.copy(p, mixed.resolve(p.getFileName()));
        }
        Files.writeString(mixed.resolve("notes.jpg"), "this is not an image");
        Files.write(mixed.resolve("empty.png"), new byte[0]);
        Path csv = dir.resolve("preds.csv");
        CliRun r = cli("predict", "--run", run.toString(), mixed.toString(), "--out", csv.toString(), "--cam", dir.resolve("cams").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(4, lines.size(), "header + 3 scored images: " + lines);
        assertTrue(r.err().contains("notes.jpg") && r.err().contains("empty.png"), r.err());
        try (Stream<Path> s = Files.list(dir.resolve("cams"))) {
            assertEquals(3, s.count());
        }
        // the overlays come from the pass that scored the films: the CSV states what a plain pass states
        Path plain = dir.resolve("preds-plain.csv");
        assertEquals(0, cli("predict", "--run", run.toString(), mixed.toString(), "--out", plain.toString()).code());
        List<String> without = Files.readAllLines(plain);
        for (int i = 1; i < lines.size(); i++) {
            String[] a = lines.get(i).split(","), b = without.get(i).split(",");
            assertEquals(b[0] + "," + b[1], a[0] + "," + a[1], "file and class");
            for (int k = 2; k < 5; k++) assertEquals(Double.parseDouble(b[k]), Double.parseDouble(a[k]), 1e-5, lines.get(i));
        }
    }

    @Test
    void explainWritesOverlayMapAndJson() throws Exception {
        Path img;
        try (Stream<Path> s = Files.list(data.resolve("bacteria"))) {
            img = s.findFirst().orElseThrow();
        }
        Path out = dir.resolve("explain");
        CliRun r = cli("explain", "--run", run.toString(), img.toString(), "--out", out.toString(), "--class", "bacteria");
        assertEquals(0, r.code(), r.out() + r.err());
        String base = img.getFileName().toString().replace(".png", "");
        assertTrue(Files.size(out.resolve(base + "_cam.png")) > 100);
        assertTrue(Files.size(out.resolve(base + "_map.png")) > 50);
        JsonNode j = new ObjectMapper().readTree(out.resolve(base + ".json").toFile());
        assertEquals("bacteria", j.path("explained_class").asText());
        double s = 0;
        for (String c : List.of("bacteria", "virus", "normal")) s += j.path("probabilities").path(c).asDouble();
        assertEquals(1.0, s, 1e-4);

        CliRun bad = cli("explain", "--run", run.toString(), img.toString(), "--out", out.toString(), "--layer", "layer9");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("layer4"), "lists valid layers: " + bad.err());
    }

    @Test
    void benchExplainReportsLatencies() {
        CliRun r = cli("bench", "explain", "--run", run.toString(), "--images", "3");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().matches("(?s).*predict\\s+p50 [0-9.]+ ms.*grad-cam p50 [0-9.]+ ms.*"), r.out());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("answer pictures, p50 ms per film:(.*) all ([0-9.]+) \\(p95 ([0-9.]+)\\)").matcher(r.out());
        assertTrue(m.find(), r.out());
        double sum = 0;
        for (String step : org.pneumoscope.bench.LatencyBenchmark.PICTURE_STEPS) {
            java.util.regex.Matcher s = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(step) + " ([0-9.]+);").matcher(m.group(1));
            assertTrue(s.find(), step + " in " + r.out());
            sum += Double.parseDouble(s.group(1));
        }
        assertTrue(Double.parseDouble(m.group(2)) > 0 && Double.parseDouble(m.group(2)) <= Double.parseDouble(m.group(3)), r.out());
        assertTrue(sum > 0, "the steps took time: " + r.out());
        assertTrue(r.out().matches("(?s).*overlay PNG [0-9.]+ KB, layer PNG [0-9.]+ KB.*"), r.out());
    }

    @Test
    void benchTrainReportsLoaderStepAndEndToEndRates() {
        CliRun r = cli("bench", "train", "--preset", "demo", "--size", "64", "--width", "0.25", "--batch", "8", "--steps", "3", "--no-reference");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().matches("(?s).*loader_img_s=[0-9.]+ step_img_s=[0-9.]+ end_to_end_img_s=[0-9.]+ .*native_end_mb=-?[0-9]+.*"), r.out());
    }

    @Test
    void benchTrainComparesWithTheReferenceUnderBothAllocators() throws Exception {
        org.pneumoscope.testing.RequiredTools.assume("torch", Files.isExecutable(Path.of("/usr/bin/python3")), "no /usr/bin/python3: skipped");
        // a stand-in for torch_reference.py whose rate shows which allocator environment it was given
        Path fake = dir.resolve("fake_reference.py");
        Files.writeString(fake, String.join("\n",
                "import os, sys",
                "tuned = os.environ.get('MALLOC_TRIM_THRESHOLD_') == '17179869184' and 'MALLOC_MMAP_THRESHOLD_' in os.environ",
                "steps = sys.argv[sys.argv.index('--steps') + 1]",
                "print('reference model=resnet18 steps=' + steps + ' train_img_s=' + ('1000.0' if tuned else '1.0') + ' infer_img_s=1.0')", ""));
        CliRun r = cli("bench", "train", "--preset", "demo", "--size", "64", "--width", "0.25", "--batch", "8", "--steps", "3",
                "--memory-every", "0", "--reference", fake.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        java.util.regex.Matcher ours = java.util.regex.Pattern.compile("end_to_end_img_s=([0-9.]+)").matcher(r.out());
        assertTrue(ours.find(), r.out());
        double e2e = Double.parseDouble(ours.group(1));
        assertTrue(r.out().contains("steps=6 train_img_s=1.0 infer_img_s=1.0 (glibc's default allocator)"), r.out());
        assertTrue(r.out().contains("train_img_s=1000.0 infer_img_s=1.0 (launcher's allocator settings)"), r.out());
        java.util.regex.Matcher ratios = java.util.regex.Pattern.compile("end_to_end/reference=([0-9.]+)x .*\\((PyTorch with [^)]*)\\)").matcher(r.out());
        assertTrue(ratios.find(), r.out());
        assertEquals("PyTorch with glibc's default allocator", ratios.group(2));
        assertEquals(e2e / 1.0, Double.parseDouble(ratios.group(1)), 0.01 * e2e + 0.01);
        assertTrue(ratios.find(), r.out());
        assertEquals("PyTorch with the launcher's allocator settings", ratios.group(2));
        assertEquals(e2e / 1000.0, Double.parseDouble(ratios.group(1)), 0.01);
    }

    @Test
    void badUsageExitsTwoWithOneLine() {
        CliRun r = cli("train", "--data", "x");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        CliRun u = cli("evaluate", "--bogus");
        assertEquals(2, u.code());
    }

    @Test
    void resumeOfACompleteRunChangesNothing() throws Exception {
        byte[] before = Files.readAllBytes(run.resolve("model.params"));
        CliRun r = cli("train", "--resume", run.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("already complete"), r.out());
        assertArrayEquals(before, Files.readAllBytes(run.resolve("model.params")));
    }
}
