package org.pneumoscope.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.cli.CliRun;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.BadInputCorpus;
import org.pneumoscope.data.Csv;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.serve.MultipartBody;
import org.pneumoscope.serve.PneumoscopeServer;
import org.pneumoscope.serve.ServerConfig;
import org.pneumoscope.synth.PhantomGenerator;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The bad-input corpus ({@link BadInputCorpus}: damaged, misnamed, absurd, bomb-like and tricky-but-valid files, scan
 * oddities and broken manifests), mixed into a folder of good phantoms, through every entry point: {@code dataset
 * stats}, {@code train}, {@code predict}, {@code evaluate} and {@code POST /api/predict}. Each bad input must get a
 * specific reason naming the file (the server: the right status and a JSON {@code {error, detail}}), the good inputs
 * must be used, and every run must finish. The decoder also runs over the corpus in a child JVM limited to 512 MB.
 *
 * <p>The outcomes are collected in a table, printed and written to {@code target/reliability-table.md}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReliabilityCorpusTest {
    @TempDir static Path dir;
    static Path data, normal, run;
    static List<BadInputCorpus.Entry> corpus;
    static BadInputCorpus.ManifestCorpus manifests;
    static String trainOutput;
    static final ObjectMapper JSON = new ObjectMapper();

    /** Entry name (or manifest case) → entry point → outcome, for the closing table. */
    static final Map<String, Map<String, String>> TABLE = new LinkedHashMap<>();
    static final List<String> COLUMNS = List.of("expected", "decoder (512 MB JVM)", "dataset stats", "train", "predict",
            "evaluate", "POST /api/predict");

    static CliRun cli(String... args) { return CliRun.of(args); }

    /** The table's name for an entry (the name that is not valid UTF-8 is spelled with its byte). */
    static String row(BadInputCorpus.Entry e) {
        return e.name().contains("\uFFFD") ? e.name().replace("\uFFFD", "\\xE9") + " (name not UTF-8)" : e.name();
    }

    static void cell(String row, String column, String outcome) {
        String v = outcome.replace('\n', ' ').replace("|", "\\|");
        if (v.length() > 140) v = v.substring(0, 137) + "...";
        TABLE.computeIfAbsent(row, k -> new LinkedHashMap<>()).put(column, v);
    }

    @BeforeAll
    static void buildDataAndTrainOnce() throws Exception {
        data = dir.resolve("data");
        // Good phantoms in class folders (their manifest and masks moved away, so the folders are what is read) ...
        new PhantomGenerator().generate(data, 60, 64, 17, 2);
        Files.delete(data.resolve("manifest.csv"));
        Files.move(data.resolve("masks"), dir.resolve("phantom-masks"));
        // ... and the corpus mixed into the normal folder.
        normal = data.resolve("normal");
        corpus = BadInputCorpus.write(normal);
        List<Map.Entry<String, Label>> good = new ArrayList<>();
        for (Label l : Label.values())
            try (Stream<Path> s = Files.list(data.resolve(l.id()))) {
                s.filter(p -> p.getFileName().toString().startsWith("phantom-")).sorted().limit(4)
                        .forEach(p -> good.add(Map.entry(l.id() + "/" + p.getFileName(), l)));
            }
        manifests = BadInputCorpus.writeManifests(data, good);
        for (BadInputCorpus.Entry e : corpus)
            cell(row(e), "expected", e.good() ? "usable image" : (e.kind() == null ? "skipped by the scan" : e.kind().name().toLowerCase(Locale.ROOT))
                    + (e.reason() == null ? "" : ": \"" + e.reason() + "\""));
        for (BadInputCorpus.ManifestCase c : manifests.cases())
            cell("manifest: " + c.what(), "expected", "line " + c.line() + ": \"" + c.reason() + "\"");
        cell("manifest: no label column", "expected", "refused: \"" + manifests.missingColumnsReason() + "\"");
        for (String r : new ArrayList<>(TABLE.keySet()))
            if (r.startsWith("manifest:")) {
                cell(r, COLUMNS.get(1), "n/a (a manifest line)");
                cell(r, "predict", "n/a (predict takes image files and folders)");
                cell(r, "POST /api/predict", "n/a (uploads are images)");
            }
        for (BadInputCorpus.Entry e : corpus)
            if (e.scanLevel()) cell(row(e), COLUMNS.get(1), "n/a (the scan skips it before decoding)");

        run = dir.resolve("run");
        long t0 = System.nanoTime();
        CliRun r = cli("train", "--data", data.toString(), "--out", run.toString(), "--preset", "demo", "--model", "resnet18",
                "--width", "0.25", "--size", "64", "--epochs", "1", "--batch", "16", "--no-eval", "--set", "max_minutes=0");
        trainOutput = r.all();
        System.out.printf(Locale.ROOT, "tiny training run on the mixed folder: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertEquals(0, r.code(), "training must finish past the bad files:\n" + trainOutput);
    }

    /** Reasons by file from a {@code file,reason} CSV (skipped.csv). */
    static Map<String, List<String>> skippedCsv(Path csv) throws Exception {
        assertTrue(Files.isRegularFile(csv), csv + " lists the skipped inputs");
        Map<String, List<String>> m = new TreeMap<>();
        List<Csv.Row> rows = Csv.read(csv);
        assertEquals(List.of("file", "reason"), rows.get(0).fields());
        for (Csv.Row r : rows.subList(1, rows.size())) m.computeIfAbsent(r.get(0), k -> new ArrayList<>()).add(r.get(1));
        return m;
    }

    /** Every bad entry has exactly one reason under its own path, containing the expected fragment; good ones none. */
    static void checkReasons(String column, Map<String, List<String>> byFile, java.util.function.Predicate<BadInputCorpus.Entry> applies) {
        for (BadInputCorpus.Entry e : corpus) {
            if (!applies.test(e)) continue;
            List<String> got = byFile.getOrDefault(e.path().toString(), List.of());
            if (e.good()) {
                assertTrue(got.isEmpty(), column + ": " + e.name() + " is a good image but was skipped: " + got);
                cell(row(e), column, "used");
            } else {
                assertEquals(1, got.size(), column + ": " + e.name() + " must be reported once under its own path; all: " + byFile.keySet());
                assertTrue(got.get(0).contains(e.reason()), column + ": " + e.name() + ": '" + got.get(0) + "' should say '" + e.reason() + "'");
                cell(row(e), column, "skipped: " + got.get(0));
            }
        }
    }

    @Test
    @Order(1)
    void decoderStaysWithin512MbForEveryEntry() throws Exception {
        List<String> list = new ArrayList<>();
        for (BadInputCorpus.Entry e : corpus)
            if (!e.scanLevel()) list.add((e.good() ? "GOOD" : e.kind().name()) + "\t" + e.path());
        Path listFile = dir.resolve("decode-list.txt");
        Files.write(listFile, list, StandardCharsets.UTF_8);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), DecodeCorpusMain.class.getName(),
                listFile.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM finished");
        double maxPeak = 0, maxMs = 0;
        for (String line : out.lines().toList()) {
            String[] f = line.split("\t");
            if (f.length != 4) continue;
            double ms = Double.parseDouble(f[2]), peak = Double.parseDouble(f[3]);
            maxPeak = Math.max(maxPeak, peak);
            maxMs = Math.max(maxMs, ms);
            cell(f[0], COLUMNS.get(1), f[1] + String.format(Locale.ROOT, " (%.0f ms, heap peak %.0f MB)", ms, peak));
            assertTrue(ms < 10_000, f[0] + " took " + ms + " ms: a hang");
        }
        System.out.printf(Locale.ROOT, "decoder in a 512 MB JVM: %d files, slowest %.0f ms, highest heap peak %.0f MB%n", list.size(), maxMs, maxPeak);
        assertEquals(0, p.exitValue(), "every entry decodes or is refused as expected within -Xmx512m:\n" + out);
        assertEquals(list.size(), out.lines().filter(l -> l.split("\t").length == 4).count(), out);
    }

    @Test
    @Order(2)
    void datasetStatsNamesEveryBadInputAndCountsTheGoodOnes() throws Exception {
        CliRun r = cli("dataset", "stats", "--data", data.toString(), "--json");
        assertEquals(0, r.code(), r.all());
        JsonNode j = JSON.readTree(r.out());
        Map<String, List<String>> byFile = new TreeMap<>();
        for (String section : List.of("decodeFailures", "skipped"))
            for (JsonNode p : j.path(section)) byFile.computeIfAbsent(p.path("file").asText(), k -> new ArrayList<>()).add(p.path("reason").asText());
        checkReasons("dataset stats", byFile, e -> true);
        long goodInCorpus = corpus.stream().filter(e -> e.good() && !e.scanLevel()).count();
        assertTrue(j.path("images").asInt() >= 60 + goodInCorpus, "phantoms and good corpus files are counted: " + j.path("images"));

        CliRun m = cli("dataset", "stats", "--data", manifests.csv().toString(), "--json");
        assertEquals(0, m.code(), m.all());
        JsonNode mj = JSON.readTree(m.out());
        checkManifestCases("dataset stats", mj.path("skipped"));
        assertEquals(manifests.goodRows(), mj.path("images").asInt(), "the good lines are read");

        CliRun none = cli("dataset", "stats", "--data", manifests.missingColumns().toString());
        checkMissingColumns("dataset stats", none);
    }

    /** Each bad manifest line is reported once, with its line number and reason. */
    static void checkManifestCases(String column, JsonNode skipped) {
        List<String> reasons = new ArrayList<>();
        for (JsonNode p : skipped) reasons.add(p.path("file").asText() + ": " + p.path("reason").asText());
        checkManifestCases(column, reasons);
    }

    static void checkManifestCases(String column, List<String> reasons) {
        for (BadInputCorpus.ManifestCase c : manifests.cases()) {
            List<String> mine = reasons.stream().filter(x -> x.contains("manifest line " + c.line() + ":")).toList();
            assertEquals(1, mine.size(), column + ": manifest line " + c.line() + " (" + c.what() + ") once: " + reasons);
            assertTrue(mine.get(0).contains(c.reason()), column + ": " + mine.get(0) + " should say " + c.reason());
            cell("manifest: " + c.what(), column, "skipped: " + mine.get(0).substring(mine.get(0).indexOf("manifest line")));
        }
    }

    static void checkMissingColumns(String column, CliRun r) {
        assertEquals(1, r.code(), r.all());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), "one line: " + line);
        assertTrue(line.contains(manifests.missingColumns().toString()) && line.contains(manifests.missingColumnsReason()), line);
        cell("manifest: no label column", column, "exit 1: " + line.replace(dir.toString(), "…"));
    }

    @Test
    @Order(3)
    void trainSkipsEveryBadInputWithItsReasonAndUsesTheGoodOnes() throws Exception {
        assertTrue(run.resolve("model.json").toFile().isFile(), "the run finished: " + trainOutput);
        Map<String, List<String>> byFile = skippedCsv(run.resolve("skipped.csv"));
        checkReasons("train", byFile, e -> true);
        // the console shows the first twenty, each naming its file, and points at the full list
        assertTrue(trainOutput.contains("the full list with reasons is in " + run.resolve("skipped.csv")), trainOutput);
        long named = corpus.stream().filter(e -> !e.good() && trainOutput.contains(e.path() + ": ")).count();
        assertTrue(named >= Math.min(20, corpus.stream().filter(e -> !e.good()).count()), "console names the files: " + trainOutput);
        // good corpus files went into the run's split
        String split = Files.readString(run.resolve("split.csv"));
        for (BadInputCorpus.Entry e : corpus)
            if (e.good() && !e.scanLevel()) assertTrue(split.contains("normal/" + e.name() + ","), e.name() + " used for training");
        // the broken manifest: every bad line skipped with its line number, a (tiny) run on the good lines
        Path run2 = dir.resolve("run-manifest");
        CliRun rm = cli("train", "--data", manifests.csv().toString(), "--out", run2.toString(), "--preset", "demo", "--model", "resnet18",
                "--width", "0.25", "--size", "64", "--epochs", "1", "--batch", "8", "--no-eval", "--set", "max_minutes=0");
        assertEquals(0, rm.code(), rm.all());
        List<String> reasons = new ArrayList<>();
        skippedCsv(run2.resolve("skipped.csv")).forEach((f, rs) -> rs.forEach(x -> reasons.add(f + ": " + x)));
        checkManifestCases("train", reasons);
        List<String> split2 = Files.readAllLines(run2.resolve("split.csv"));
        assertEquals(manifests.goodRows() + 2, split2.size(), "#root line, header and the good lines only: " + split2);

        CliRun none = cli("train", "--data", manifests.missingColumns().toString(), "--out", dir.resolve("run-none").toString(),
                "--preset", "demo", "--epochs", "1");
        checkMissingColumns("train", none);
        assertFalse(Files.exists(dir.resolve("run-none/model.json")));
    }

    @Test
    @Order(4)
    void predictScoresTheGoodFilesAndNamesEveryBadOne() throws Exception {
        Path csv = dir.resolve("predictions.csv");
        CliRun r = cli("predict", "--run", run.toString(), "--out", csv.toString(), normal.toString());
        assertEquals(0, r.code(), r.all());
        String preds = Files.readString(csv);
        Map<String, List<String>> byFile = new TreeMap<>();
        for (String line : r.err().lines().toList()) {
            String l = line.strip();
            for (BadInputCorpus.Entry e : corpus)
                if (l.startsWith(e.path() + ": ")) byFile.computeIfAbsent(e.path().toString(), k -> new ArrayList<>()).add(l.substring(e.path().toString().length() + 2));
        }
        for (BadInputCorpus.Entry e : corpus) {
            List<String> got = byFile.getOrDefault(e.path().toString(), List.of());
            if (e.scanLevel() && e.kind() != null) {
                // a folder named x.jpg: predict was given the folder above it, so it looks inside
                assertTrue(got.isEmpty(), e.name() + ": " + got);
                assertTrue(preds.contains(e.path().resolve("inside.jpg").toString()), "the image inside " + e.name() + " is scored");
                cell(row(e), "predict", "a folder: the image inside it is scored");
            } else if (e.good() && !got.isEmpty()) {
                // decodes, but too small, too thin or blank to be a chest film: refused as the server refuses it
                assertEquals(1, got.size(), e.name() + " once in: " + r.err());
                assertTrue(got.get(0).contains(" px") || got.get(0).contains("blank"), e.name() + ": " + got.get(0));
                assertFalse(preds.contains(e.path() + ","), e.name() + " must not be scored");
                cell(row(e), "predict", "unusable: " + got.get(0));
            } else if (e.good()) {
                assertTrue(preds.contains(e.path() + ","), e.name() + " scored:\n" + preds);
                cell(row(e), "predict", "scored");
            } else {
                assertEquals(1, got.size(), e.name() + " once in: " + r.err());
                assertTrue(got.get(0).contains(e.reason()), e.name() + ": " + got.get(0));
                assertFalse(preds.contains(e.path() + ","), e.name() + " must not be scored");
                cell(row(e), "predict", "skipped: " + got.get(0));
            }
        }
        assertTrue(r.out().contains("scored "), r.out());
    }

    @Test
    @Order(5)
    void evaluateListsEveryBadInputAndReportsOnTheGoodOnes() throws Exception {
        Path out = dir.resolve("eval");
        CliRun r = cli("evaluate", "--run", run.toString(), "--data", data.toString(), "--out", out.toString(), "--no-gallery");
        assertEquals(0, r.code(), r.all());
        checkReasons("evaluate", skippedCsv(out.resolve("skipped.csv")), e -> true);
        JsonNode metrics = JSON.readTree(out.resolve("metrics.json").toFile());
        long goodInCorpus = corpus.stream().filter(e -> e.good() && !e.scanLevel()).count();
        assertEquals(60 + goodInCorpus, metrics.path("n").asInt(), "every good image is evaluated");
        assertTrue(Files.size(out.resolve("report.html")) > 10_000);
        assertNoTemporaries(out);

        Path out2 = dir.resolve("eval-manifest");
        CliRun m = cli("evaluate", "--run", run.toString(), "--data", manifests.csv().toString(), "--out", out2.toString(), "--no-gallery");
        assertEquals(0, m.code(), m.all());
        List<String> reasons = new ArrayList<>();
        skippedCsv(out2.resolve("skipped.csv")).forEach((f, rs) -> rs.forEach(x -> reasons.add(f + ": " + x)));
        checkManifestCases("evaluate", reasons);
        assertEquals(manifests.goodRows(), JSON.readTree(out2.resolve("metrics.json").toFile()).path("n").asInt());
        assertNoTemporaries(out2);

        CliRun none = cli("evaluate", "--run", run.toString(), "--data", manifests.missingColumns().toString(), "--out", dir.resolve("eval-none").toString());
        checkMissingColumns("evaluate", none);
    }

    static void assertNoTemporaries(Path folder) throws Exception {
        try (Stream<Path> s = Files.walk(folder)) {
            List<Path> tmp = s.filter(p -> p.getFileName().toString().endsWith(".tmp") || p.getFileName().toString().startsWith(".")).toList();
            assertTrue(tmp.isEmpty(), "temporary files left: " + tmp);
        }
    }

    /** What the server must answer for an entry, from the decoder's kind (good images: 200, or 422 when too small). */
    static int expectedStatus(BadInputCorpus.Entry e) {
        if (e.good() || e.kind() == null) return 200; // kind null: skipped by a scan for its name, its bytes are a good JPEG
        switch (e.kind()) {
            case TOO_LARGE: return 413;
            case UNSUPPORTED: return 415;
            default: return 400;
        }
    }

    @Test
    @Order(6)
    void serverAnswersEachBadUploadWithItsStatusAndJsonError() throws Exception {
        try (TrainedModel model = TrainedModel.load(run);
             PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(run).host("127.0.0.1").port(0).workers(1).build(), model)) {
            HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
            double slowest = 0;
            for (BadInputCorpus.Entry e : corpus) {
                if (Files.isDirectory(e.path())) {
                    cell(row(e), "POST /api/predict", "n/a (a folder, nothing to upload)");
                    continue;
                }
                byte[] bytes = Files.readAllBytes(e.path());
                // the client's file name travels as raw bytes: the odd one is sent exactly as it is on disk
                byte[] body = multipart(rawName(e), bytes);
                HttpRequest req = HttpRequest.newBuilder(URI.create(s.url() + "api/predict?cam=false")).timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                long t0 = System.nanoTime();
                HttpResponse<String> r = c.send(req, HttpResponse.BodyHandlers.ofString());
                double ms = (System.nanoTime() - t0) / 1e6;
                slowest = Math.max(slowest, ms);
                assertTrue(ms < 10_000, e.name() + " took " + ms + " ms");
                JsonNode j = JSON.readTree(r.body());
                int want = expectedStatus(e);
                if (!org.pneumoscope.data.DatasetReader.representableName(e.path())) {
                    // its name goes out as raw Latin-1 bytes; the server never uses the client's file name, so the
                    // film is judged on its bytes alone, as the same film named in UTF-8 is
                    assertEquals(200, r.statusCode(), r.body());
                    byte[] fixed = multipart("caf\u00e9.jpg".getBytes(StandardCharsets.UTF_8), bytes);
                    HttpResponse<String> again = c.send(HttpRequest.newBuilder(URI.create(s.url() + "api/predict?cam=false"))
                            .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(fixed)).build(), HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, again.statusCode(), "the same image named in UTF-8 is accepted: " + again.body());
                    assertEquals(j.path("probabilities"), JSON.readTree(again.body()).path("probabilities"),
                            "the file name does not change the answer");
                    cell(row(e), "POST /api/predict", "name as Latin-1 bytes: 200; named in UTF-8: 200, same probabilities");
                    continue;
                }
                if (want == 200 && r.statusCode() == 422) {
                    // decodes, but too small, too thin or blank to be a chest film: refused as unusable, saying which
                    assertEquals("unusable_image", j.path("error").asText(), r.body());
                    String d = j.path("detail").asText();
                    assertTrue(d.contains(" px") || d.contains("blank"), r.body());
                } else {
                    assertEquals(want, r.statusCode(), e.name() + ": " + r.body());
                }
                if (r.statusCode() == 200) {
                    assertTrue(j.path("probabilities").isObject(), r.body());
                    cell(row(e), "POST /api/predict", String.format(Locale.ROOT, "200 %s (%.0f ms)", j.path("label").asText(), ms));
                } else {
                    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
                    assertFalse(j.path("error").asText().isBlank(), r.body());
                    assertFalse(j.path("detail").asText().isBlank(), r.body());
                    if (!e.good() && e.kind() != DecodeException.Kind.EMPTY)
                        assertTrue(j.path("detail").asText().contains(e.reason()), e.name() + ": " + r.body());
                    assertFalse(r.body().contains(e.name()), "the upload's name is never echoed: " + r.body());
                    cell(row(e), "POST /api/predict", String.format(Locale.ROOT, "%d {\"error\":\"%s\", \"detail\":\"%s\"} (%.0f ms)",
                            r.statusCode(), j.path("error").asText(), j.path("detail").asText(), ms));
                }
            }
            // and afterwards a real prediction is still right
            Path phantom;
            try (Stream<Path> st = Files.list(data.resolve("virus"))) {
                phantom = st.filter(p -> p.getFileName().toString().startsWith("phantom-")).sorted().findFirst().orElseThrow();
            }
            MultipartBody mb = MultipartBody.image(Files.readAllBytes(phantom));
            HttpResponse<String> ok = c.send(HttpRequest.newBuilder(URI.create(s.url() + "api/predict")).header("Content-Type", mb.contentType())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(mb.bytes())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            float[] want = model.probabilities(List.of(org.pneumoscope.pipeline.EvaluateJob.load(phantom, model)), false)[0];
            assertEquals(want[Label.VIRUS.index()], JSON.readTree(ok.body()).path("probabilities").path("virus").asDouble(), 1e-4);
            System.out.printf(Locale.ROOT, "server: %d uploads from the corpus, slowest %.0f ms%n", corpus.size(), slowest);
        }
    }

    static final String BOUNDARY = "----pneumoscopeReliability7d1c";

    /** The file name as its bytes on disk (for the name that is not valid UTF-8), else as UTF-8. */
    static byte[] rawName(BadInputCorpus.Entry e) {
        if (!org.pneumoscope.data.DatasetReader.representableName(e.path())) return "caf\u00e9.jpg".getBytes(StandardCharsets.ISO_8859_1);
        return e.name().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] multipart(byte[] filename, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(filename);
        out.writeBytes("\"\r\nContent-Type: application/octet-stream\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(content);
        out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    @AfterAll
    static void writeTable() throws Exception {
        StringBuilder md = new StringBuilder("# Bad-input corpus through every entry point\n\n");
        md.append("Generated by ReliabilityCorpusTest: the corpus mixed into 60 good phantoms; every run finished.\n\n");
        md.append("| input | ").append(String.join(" | ", COLUMNS)).append(" |\n|");
        for (int i = 0; i <= COLUMNS.size(); i++) md.append("---|");
        md.append('\n');
        TABLE.forEach((row, cells) -> {
            md.append("| ").append(row.replace("|", "\\|"));
            for (String c : COLUMNS) md.append(" | ").append(cells.getOrDefault(c, "—"));
            md.append(" |\n");
        });
        String text = md.toString().replace(dir.toString() + "/", "");
        Path build = Path.of(System.getProperty("pneumoscope.build", "target"));
        Files.createDirectories(build);
        Files.writeString(build.resolve("reliability-table.md"), text);
        System.out.println(text);
    }
}
