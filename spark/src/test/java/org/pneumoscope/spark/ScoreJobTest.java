package org.pneumoscope.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.Film;
import org.pneumoscope.api.Prediction;
import org.pneumoscope.api.TinyRun;
import org.pneumoscope.cli.CliRun;
import org.pneumoscope.core.UserException;
import org.pneumoscope.synth.ImageFiles;
import org.pneumoscope.synth.PhantomGenerator;
import org.pneumoscope.core.GreyImage;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spark job on local[2] over phantom films and a corpus of bad files: one row per file, the same probabilities as
 * predict and the Java API, errors named by kind, resume, labels and metrics.json.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScoreJobTest {
    @TempDir static Path dir;
    static Path run, phantoms, mixed;
    static SparkSession spark;
    static List<Path> films;

    @BeforeAll
    static void setUp() throws Exception {
        run = TinyRun.make(dir.resolve("run"), Map.of("contrast", "equalize"), true);
        phantoms = dir.resolve("phantoms");
        new PhantomGenerator().generate(phantoms, 12, 96, 5, 1);
        try (Stream<Path> s = Files.walk(phantoms)) {
            films = s.filter(p -> p.toString().endsWith(".png") && !p.toString().contains("masks")).sorted().toList();
        }
        assertEquals(12, films.size(), "phantom films");
        mixed = dir.resolve("mixed");
        Files.createDirectories(mixed.resolve("sub dir"));
        for (int i = 0; i < 8; i++)
            Files.copy(films.get(i), mixed.resolve(i % 2 == 0 ? "sub dir" : ".").resolve(films.get(i).getFileName()));
        badCorpus(mixed.resolve("bad"));
        Files.writeString(mixed.resolve("notes.csv"), "not,a,film\n");
        Files.copy(films.get(11), mixed.resolve("_draft.png")); // a name Spark's file sources never read
        spark = Sessions.open("local[2]");
    }

    /** Files no door accepts, one per way of failing, and one too big to read (sparse: it takes no disk). */
    static void badCorpus(Path bad) throws Exception {
        Files.createDirectories(bad);
        Files.write(bad.resolve("empty.png"), new byte[0]);
        Files.writeString(bad.resolve("report.png"), "<html>this is a web page, not an X-ray</html>");
        byte[] png = Files.readAllBytes(films.get(0));
        Files.write(bad.resolve("cut.png"), java.util.Arrays.copyOf(png, 30));
        ImageFiles.writePng(new GreyImage(8, 8, new byte[64]), bad.resolve("tiny.png"));
        try (RandomAccessFile f = new RandomAccessFile(bad.resolve("huge.dcm").toFile(), "rw")) {
            f.setLength((1L << 30) + 1);
        }
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) spark.stop();
    }

    static ScoreJob.Outcome score(String input, String out, boolean summary) throws Exception {
        ScoreJob.Options o = new ScoreJob.Options(run.toString(), null, input, out, null, 0, 4, summary, 42);
        return ScoreJob.run(spark, o, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    static Map<String, Row> table(Path out) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : spark.read().parquet(out.resolve(ScoreJob.TABLE).toString()).collectAsList())
            assertNull(m.put(Path.of(java.net.URI.create(r.getString(0).replace(" ", "%20"))).toString(), r), "one row per file");
        return m;
    }

    @Test
    @Order(1)
    void everyFileGetsOneRowWithThePredictProbabilitiesOrItsError() throws Exception {
        Path out = dir.resolve("out-mixed");
        ScoreJob.Outcome o = score(mixed.toString(), out.toString(), true);
        Map<String, Row> rows = table(out);
        List<Path> files;
        try (Stream<Path> s = Files.walk(mixed)) {
            files = s.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".csv")).sorted().toList();
        }
        assertEquals(14, files.size());
        assertEquals(files.stream().map(Path::toString).collect(Collectors.toSet()), rows.keySet(), "exactly the input files");
        assertEquals(14, o.written());
        assertEquals(6, o.errors());

        Path csv = dir.resolve("predict.csv");
        CliRun cli = CliRun.of("predict", "--run", run.toString(), "--out", csv.toString(), mixed.toString());
        Map<String, float[]> cliProbs = new HashMap<>();
        for (String line : Files.readAllLines(csv).subList(1, Files.readAllLines(csv).size())) {
            String[] f = line.split(",(?=[^,]*,[^,]*,[^,]*,[^,]*$)");
            String[] p = f[1].split(",");
            cliProbs.put(f[0], new float[]{Float.parseFloat(p[1]), Float.parseFloat(p[2]), Float.parseFloat(p[3])});
        }
        assertEquals(9, cliProbs.size(), "predict scored the 8 films and the '_' one: " + cli.all());
        try (Classifier c = Classifier.load(run)) {
            for (Path f : files) {
                Row r = rows.get(f.toString());
                if (f.startsWith(mixed.resolve("bad")) || f.getFileName().toString().startsWith("_")) continue;
                assertNull(r.getAs("error"), f + ": " + r.getAs("error"));
                Prediction p = c.predict(Film.read(f));
                float[] q = p.probabilities();
                float[] got = {r.getAs("p_bacteria"), r.getAs("p_virus"), r.getAs("p_normal")};
                for (int k = 0; k < 3; k++) {
                    assertEquals(q[k], got[k], 1e-6, f + " class " + k + " (Java API)");
                    assertEquals(cliProbs.get(f.toString())[k], got[k], 1e-6, f + " class " + k + " (predict)");
                }
                assertEquals(p.label().id(), r.getAs("predicted_label"));
                assertEquals(sha256(Files.readAllBytes(f)), r.getAs("sha256"));
                assertEquals(3, r.getList(r.fieldIndex("logits")).size());
                assertFalse(r.getList(r.fieldIndex("features")).isEmpty());
                assertNotNull(r.getAs("model_hash"));
                assertTrue(((String) r.getAs("calibration")).startsWith("temperature"), (String) r.getAs("calibration"));
            }
        }
        Path bad = mixed.resolve("bad");
        assertError(rows, bad.resolve("empty.png"), "EMPTY", "empty file");
        assertError(rows, bad.resolve("report.png"), "NOT_AN_IMAGE", "");
        assertError(rows, bad.resolve("cut.png"), "TRUNCATED", "truncated PNG");
        assertError(rows, bad.resolve("tiny.png"), "UNUSABLE", "");
        assertError(rows, bad.resolve("huge.dcm"), "TOO_LARGE", "file too large");
        assertNull(rows.get(bad.resolve("huge.dcm").toString()).getAs("sha256"), "never read");
        assertError(rows, mixed.resolve("_draft.png"), "SKIPPED", "names starting with '_'");
        String summary = Files.readString(out.resolve("summary.csv"));
        assertTrue(summary.contains(",error:EMPTY,1"), summary);
        assertFalse(Files.exists(out.resolve("metrics.json")), "no labels, no metrics");
    }

    static void assertError(Map<String, Row> rows, Path f, String kind, String words) {
        Row r = rows.get(f.toString());
        assertEquals(kind, r.getAs("error_kind"), f + ": " + r.getAs("error"));
        assertTrue(((String) r.getAs("error")).contains(words), (String) r.getAs("error"));
        assertNull(r.getAs("p_normal"));
    }

    @Test
    @Order(2)
    void aRerunSkipsWhatThisModelScoredAndReadsOnlyNewFiles() throws Exception {
        Path out = dir.resolve("out-mixed");
        ScoreJob.Outcome again = score(mixed.toString(), out.toString(), false);
        assertEquals(14, again.skipped());
        assertEquals(0, again.written());
        Files.copy(films.get(8), mixed.resolve(films.get(8).getFileName()));
        Files.copy(films.get(9), mixed.resolve("sub dir").resolve(films.get(9).getFileName()));
        ScoreJob.Outcome more = score(mixed.toString(), out.toString(), false);
        assertEquals(14, more.skipped());
        assertEquals(2, more.written());
        assertEquals(16, table(out).size(), "still one row per file");
    }

    @Test
    @Order(3)
    void aLabelledManifestGivesEvaluatesMetricsAndNamesMissingFiles() throws Exception {
        Path manifest = dir.resolve("labelled.csv");
        List<String> lines = Files.readAllLines(phantoms.resolve("manifest.csv"));
        StringBuilder sb = new StringBuilder(lines.get(0)).append('\n');
        for (String l : lines.subList(1, lines.size())) sb.append("phantoms/").append(l).append('\n');
        sb.append("phantoms/gone.png,normal,p999\n");
        Files.writeString(manifest, sb.toString());
        Path out = dir.resolve("out-labelled");
        ScoreJob.Outcome o = score(manifest.toString(), out.toString(), false);
        assertEquals(13, o.written());
        Map<String, Row> rows = table(out);
        Row gone = rows.get(phantoms.resolve("gone.png").toString());
        assertEquals("UNREADABLE", gone.getAs("error_kind"));
        assertEquals("file not found", gone.getAs("error"));
        assertEquals("p999", gone.getAs("patient_id"));
        long labelled = rows.values().stream().filter(r -> r.getAs("label") != null).count();
        assertEquals(13, labelled);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        for (String key : List.of("accuracy", "macro_f1", "ece_calibrated", "shift_alarm", "temperature"))
            assertTrue(json.has(key), key + " in " + json);
        assertEquals(1, json.get("unreadable_files").asInt());
        assertTrue(json.get("accuracy").asDouble() >= 0 && json.get("accuracy").asDouble() <= 1);
    }

    @Test
    @Order(4)
    void aMissingInputIsRefusedBeforeAnyJob() {
        Path out = dir.resolve("out-none");
        UserException e = assertThrows(UserException.class, () -> score(dir.resolve("no-such").toString(), out.toString(), false));
        assertTrue(e.getMessage().contains("no-such") && e.getMessage().contains("does not exist"), e.getMessage());
        assertFalse(Files.exists(out.resolve(ScoreJob.TABLE)));
    }

    @Test
    @Order(5)
    void aManifestThePipelineWroteIsReadWithEveryName() throws Exception {
        List<org.pneumoscope.data.Sample> samples = new java.util.ArrayList<>();
        List<String> names = org.pneumoscope.CsvRoundTripTest.AWKWARD;
        for (int i = 0; i < names.size(); i++) {
            // half beside the manifest (relative paths), half outside its folder (absolute paths)
            Path f = dir.resolve(i % 2 == 0 ? "awkward/list" : "awkward/elsewhere").resolve(names.get(i));
            Files.createDirectories(f.getParent());
            Files.copy(films.get(i % films.size()), f);
            samples.add(new org.pneumoscope.data.Sample(f, org.pneumoscope.core.Label.of(i % 3), "p" + i, null));
        }
        Path csv = dir.resolve("awkward/list/manifest.csv");
        org.pneumoscope.data.Manifest.write(csv, samples, csv.getParent());
        ScoreInput in = ScoreInput.open(spark, csv.toString());
        Map<String, String> labels = new HashMap<>();
        for (Row r : in.table().collectAsList())
            labels.put(new org.apache.hadoop.fs.Path(r.getString(0)).toUri().getPath(), r.getString(1));
        Map<String, String> expected = new HashMap<>();
        for (org.pneumoscope.data.Sample x : samples) expected.put(x.file().toString(), x.label().id());
        assertEquals(expected, labels);
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
