package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.TestImages;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class DatasetCommandTest {

    /** Runs the CLI in-process and captures what it prints. */
    record Run(int code, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.commandLine().execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** train/val class folders; patient person5 sits in both splits; one image duplicated across splits; one broken. */
    static Path leakyDataset(Path d) {
        for (int i = 0; i < 6; i++) {
            TestImages.write(d.resolve("train/PNEUMONIA/person" + i + "_bacteria_" + i + ".jpeg"), TestImages.jpeg(TestImages.chest(40, 40, i)));
            TestImages.write(d.resolve("train/PNEUMONIA/person" + (10 + i) + "_virus_" + i + ".jpeg"), TestImages.jpeg(TestImages.chest(40, 40, 10 + i)));
            TestImages.write(d.resolve("train/NORMAL/IM-00" + (20 + i) + "-0001.jpeg"), TestImages.jpeg(TestImages.chest(40, 40, 20 + i)));
        }
        TestImages.write(d.resolve("val/PNEUMONIA/person5_bacteria_99.jpeg"), TestImages.jpeg(TestImages.chest(40, 40, 99)));
        TestImages.write(d.resolve("val/NORMAL/IM-0090-0001.jpeg"), TestImages.jpeg(TestImages.chest(40, 40, 20))); // same bytes as IM-0020
        TestImages.write(d.resolve("val/NORMAL/IM-0091-0001.jpeg"), "<html>oops</html>".getBytes(StandardCharsets.UTF_8));
        return d;
    }

    @Test
    void statsPrintsTheTableLeaksDuplicatesAndFailures(@TempDir Path tmp) {
        Path d = leakyDataset(tmp.resolve("data"));
        Run r = run("dataset", "stats", "--data", d.toString());
        assertEquals(0, r.code(), r.err());
        String o = r.out();
        assertTrue(o.contains("(layout: kermany+splits)"), o);
        assertTrue(o.contains("Images: 21"), o);
        assertTrue(o.matches("(?s).*bacteria\\s+6\\s+1\\s+7\\n.*"), o);
        assertTrue(o.contains("Splits: 18 train / 3 val"), o);
        assertTrue(o.contains("WARNING: 1 PATIENT(S) APPEAR IN MORE THAN ONE SPLIT"), o);
        assertTrue(o.contains("person5: train, val (2 images)"), o);
        assertTrue(o.contains("Duplicate files (identical content): 1 group(s), 2 files"), o);
        assertTrue(o.contains("[ACROSS SPLITS]"), o);
        assertTrue(o.contains("Images that failed to decode: 1"), o);
        assertTrue(o.contains("IM-0091-0001.jpeg: not an image: the file is an HTML page"), o);
        assertTrue(r.err().contains("WARNING"), "the leak is also flagged on stderr");
    }

    @Test
    void statsJson(@TempDir Path tmp) throws Exception {
        Path d = leakyDataset(tmp.resolve("data"));
        Run r = run("dataset", "stats", "--data", d.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(21, j.get("images").asInt());
        assertEquals(6, j.at("/splits/train/bacteria").asInt());
        assertEquals(2, j.at("/splits/val/normal").asInt());
        assertEquals("person5", j.at("/patientsInSeveralSplits/0/patientId").asText());
        assertTrue(j.at("/duplicates/0/crossesSplits").asBoolean());
        assertTrue(j.at("/decodeFailures/0/reason").asText().contains("HTML"));
        assertEquals(20, j.at("/sizes/40x40").asInt());
    }

    /** Kermany folders where normal films are contrasty and pneumonia films flat: exposure gives the label away. */
    @Test
    void statsWarnsWhenExposureAlonePredictsTheLabel(@TempDir Path tmp) throws Exception {
        Path d = tmp.resolve("data");
        org.pneumoscope.augment.AcquisitionShift flat = new org.pneumoscope.augment.AcquisitionShift(1, 0.5, 0);
        for (int i = 0; i < 20; i++) {
            TestImages.write(d.resolve("PNEUMONIA/person" + i + "_bacteria_" + i + ".png"), TestImages.png(flat.apply(TestImages.chest(32, 32, i))));
            TestImages.write(d.resolve("PNEUMONIA/person" + (100 + i) + "_virus_" + i + ".png"), TestImages.png(flat.apply(TestImages.chest(32, 32, 100 + i))));
            TestImages.write(d.resolve("NORMAL/IM-0" + (200 + i) + "-0001.png"), TestImages.png(TestImages.chest(32, 32, 200 + i)));
        }
        Run r = run("dataset", "stats", "--data", d.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Grey levels by class"), r.out());
        assertTrue(r.out().matches("(?s).*AUC normal vs pneumonia\\s+[0-9.]+\\s+1\\.00.*"), "the SD alone separates them:\n" + r.out());
        assertTrue(r.out().contains("WARNING: exposure alone predicts the label (AUC 1.00"), r.out());
        JsonNode j = new ObjectMapper().readTree(run("dataset", "stats", "--data", d.toString(), "--json").out());
        assertEquals(60, j.at("/exposure/images").asInt());
        assertTrue(j.at("/exposure/warning").asBoolean());
        assertEquals(1.0, j.at("/exposure/separabilityAuc/normal_vs_pneumonia/1").asDouble(), 1e-9);
        assertTrue(j.at("/exposure/classMeans/normal/1").asDouble() > 1.5 * j.at("/exposure/classMeans/bacteria/1").asDouble());
    }

    /** Mirror images have the same grey levels: nothing to warn about, every AUC exactly 0.5. */
    @Test
    void statsStaysQuietWhenExposureSaysNothing(@TempDir Path tmp) {
        Path d = tmp.resolve("data");
        org.pneumoscope.core.GreyImage g = TestImages.chest(48, 48, 1);
        for (int i = 0; i < 4; i++) {
            byte[] p = g.pixels().clone();
            if (i % 2 == 1) for (int y = 0; y < 48; y++) for (int x = 0; x < 24; x++) {
                byte t = p[y * 48 + x]; p[y * 48 + x] = p[y * 48 + 47 - x]; p[y * 48 + 47 - x] = t;
            }
            byte[] png = TestImages.png(new org.pneumoscope.core.GreyImage(48, 48, p));
            TestImages.write(d.resolve("PNEUMONIA/person" + i + "_bacteria_" + i + ".png"), png);
            TestImages.write(d.resolve("PNEUMONIA/person" + (10 + i) + "_virus_" + i + ".png"), png);
            TestImages.write(d.resolve("NORMAL/IM-00" + (20 + i) + "-0001.png"), png);
        }
        Run r = run("dataset", "stats", "--data", d.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*AUC bacteria vs virus\\s+0\\.50\\s+0\\.50\\s+0\\.50\\s+0\\.50.*"), r.out());
        assertFalse(r.out().contains("exposure alone predicts"), r.out());
    }

    @Test
    void statsOnNothingStopsWithOneLine(@TempDir Path tmp) {
        Run r = run("dataset", "stats", "--data", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("pneumoscope: no labelled images found in " + tmp), r.err());
        assertEquals(1, r.err().strip().lines().count());
    }

    @Test
    void splitWritesAManifestOtherCommandsRead(@TempDir Path tmp) throws Exception {
        Path d = leakyDataset(tmp.resolve("data"));
        Path out = d.resolve("split.csv");
        Run r = run("dataset", "split", "--data", d.toString(), "--out", out.toString(), "--ratios", "4:1:1",
                "--folds", "3", "--seed", "7");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Wrote " + out), r.out());
        assertTrue(Files.readString(out).startsWith("file,label,patient_id,split,fold\n"));
        DatasetScan back = DatasetReader.read(out);
        assertEquals(21, back.samples().size(), "every listed file, including the one that will not decode");
        Map<String, String> patientSplit = new HashMap<>();
        for (Sample s : back.samples()) {
            String prev = patientSplit.putIfAbsent(s.patientId(), s.split());
            assertTrue(prev == null || prev.equals(s.split()), "patient " + s.patientId() + " crosses splits");
            assertEquals("test".equals(s.split()), back.fold(s).isEmpty(), "folds only outside the test split");
        }
        Run stats = run("dataset", "stats", "--data", out.toString(), "--no-decode");
        assertFalse(stats.out().contains("MORE THAN ONE SPLIT"), stats.out());
    }

    /** Kermany-named files: IM-0101.. normals and person1.. pneumonias, two films for every third patient. */
    static Path numberedDataset(Path d) {
        for (int i = 0; i < 30; i++) {
            int films = i % 3 == 0 ? 2 : 1;
            for (int f = 1; f <= films; f++) {
                TestImages.write(d.resolve(String.format("NORMAL/IM-%04d-%04d.jpeg", 101 + i, f)), TestImages.jpeg(TestImages.chest(32, 32, i)));
                String kind = i % 2 == 0 ? "bacteria" : "virus";
                TestImages.write(d.resolve("PNEUMONIA/person" + (1 + i) + "_" + kind + "_" + f + ".jpeg"), TestImages.jpeg(TestImages.chest(32, 32, 100 + i)));
            }
        }
        return d;
    }

    @Test
    void batchSplitHoldsOutTheFirstPatientsOfEachFamily(@TempDir Path tmp) throws Exception {
        Path d = numberedDataset(tmp.resolve("data"));
        Path out = d.resolve("batch.csv");
        Run r = run("dataset", "split", "--data", d.toString(), "--out", out.toString(), "--strategy", "batch", "--folds", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("strategy batch (early 10 % of each family's patients held out as test), train:val 8:1, seed 42, 3 folds"), r.out());
        // 30 patients per family: 3 held out, numbers 0101..0103 and 1..3
        assertTrue(r.out().matches("(?s).*\\nIM-\\s+30\\s+3\\s+0101\\.\\.0103\\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*\\nperson\\s+30\\s+3\\s+1\\.\\.3\\n.*"), r.out());
        assertTrue(r.out().contains("Patients without a number in their id (never held out): 0"), r.out());
        DatasetScan back = DatasetReader.read(out);
        java.util.Set<String> test = new java.util.TreeSet<>();
        for (Sample s : back.samples()) {
            if ("test".equals(s.split())) test.add(s.patientId());
            assertEquals("test".equals(s.split()), back.fold(s).isEmpty(), "folds only outside the test split");
        }
        assertEquals(java.util.Set.of("IM-0101", "IM-0102", "IM-0103", "person1", "person2", "person3"), test);
        // the printed table counts what was written
        assertTrue(r.out().matches("(?s).*\\ntest\\s+3\\s+1\\s+4\\s+8\\s+6\\n.*"), r.out());

        Run late = run("dataset", "split", "--data", d.toString(), "--out", d.resolve("late.csv").toString(), "--strategy", "batch",
                "--batch-end", "late", "--batch-fraction", "0.2");
        assertEquals(0, late.code(), late.err());
        assertTrue(late.out().matches("(?s).*\\nIM-\\s+30\\s+6\\s+0125\\.\\.0130\\n.*"), late.out());

        Run bad = run("dataset", "split", "--data", d.toString(), "--out", d.resolve("x.csv").toString(), "--strategy", "batches");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--strategy") && bad.err().contains("'batches' is not one of patient, batch"), bad.err());
        Run mixed = run("dataset", "split", "--data", d.toString(), "--out", d.resolve("x.csv").toString(), "--batch-end", "late");
        assertEquals(2, mixed.code());
        assertTrue(mixed.err().contains("apply to --strategy batch only"), mixed.err());
        assertFalse(Files.exists(d.resolve("x.csv")));
    }

    /**
     * --strategy shape: the normal-class patients whose films measure the highest gradient anisotropy (the narrowest-
     * looking chests) are the test split with a share of the others; the printout names the measure.
     */
    @Test
    void shapeSplitHoldsOutTheNarrowestChestedNormals(@TempDir Path tmp) throws Exception {
        org.pneumoscope.data.TexturedFilms.Dataset films = org.pneumoscope.data.TexturedFilms.write(tmp.resolve("data"), 3);
        Path d = films.manifest().getParent(), out = d.resolve("shape.csv");
        Run r = run("dataset", "split", "--data", films.manifest().toString(), "--out", out.toString(), "--strategy", "shape");
        assertEquals(0, r.code(), r.err());
        String o = r.out();
        assertTrue(o.contains("strategy shape (the narrowest-chested 25 % of normal-class patients and a random 15 % of the "
                + "others held out as test)"), o);
        assertTrue(o.contains("Held out as test: 8 of 30 normal-class patients (the narrowest-chested) and "), o);
        assertTrue(o.contains("Chest shape (gradient anisotropy"), o);
        DatasetScan back = DatasetReader.read(out);
        java.util.Set<String> testNormals = new java.util.TreeSet<>();
        Map<String, Double> shapeOf = new HashMap<>();
        for (Sample s : back.samples()) {
            if (!films.level().containsKey(s.patientId()) || films.broken().contains(s.file().toAbsolutePath().normalize())) continue;
            if ("test".equals(s.split())) testNormals.add(s.patientId());
            // one film per normal patient in these films
            shapeOf.put(s.patientId(), org.pneumoscope.pipeline.NormalRankings.SHAPE.measure()
                    .applyAsDouble(org.pneumoscope.data.ImageDecoder.decode(s.file())));
        }
        java.util.List<String> ranked = new java.util.ArrayList<>(shapeOf.keySet());
        ranked.sort(java.util.Comparator.comparingDouble((String id) -> -shapeOf.get(id)).thenComparing(id -> id));
        assertEquals(new java.util.TreeSet<>(ranked.subList(0, 8)), testNormals, "the eight highest, measured here: " + shapeOf);
    }

    /**
     * --strategy texture on films of known sharpness: the eight blurriest of 30 normal-class patients and a share of the
     * others are the test split; the printout gives the cut and the medians, and names the films it could not read.
     */
    @Test
    void textureSplitHoldsOutTheBlurriestNormals(@TempDir Path tmp) throws Exception {
        org.pneumoscope.data.TexturedFilms.Dataset films = org.pneumoscope.data.TexturedFilms.write(tmp.resolve("data"), 3);
        Path d = films.manifest().getParent(), out = d.resolve("texture.csv");
        Run r = run("dataset", "split", "--data", films.manifest().toString(), "--out", out.toString(), "--strategy", "texture",
                "--folds", "3");
        assertEquals(0, r.code(), r.err());
        String o = r.out();
        assertTrue(o.contains("strategy texture (the blurriest 25 % of normal-class patients and a random 15 % of the others held "
                + "out as test), train:val 8:1, seed 42, 3 folds"), o);
        assertTrue(o.contains("Held out as test: 8 of 30 normal-class patients (the blurriest) and "), o);
        assertTrue(o.contains(" of 72 other patients (at random, stratified by class)"), o);
        assertTrue(o.contains("1 normal-class patient(s) have no readable film: not ranked, left in train/val"), o);
        assertTrue(o.matches("(?s).*\n  all films:         bacteria \\d+\\.\\d\\d, virus \\d+\\.\\d\\d, normal \\d+\\.\\d\\d\\n.*"), o);
        assertTrue(o.contains("2 film(s) could not be read and were not measured:"), o);
        for (Path b : films.broken()) assertTrue(o.contains(b.toString()), b + " named in\n" + o);

        DatasetScan back = DatasetReader.read(out);
        java.util.Set<String> testNormals = new java.util.TreeSet<>(), blurriest = new java.util.TreeSet<>();
        Map<String, String> splitOf = new HashMap<>();
        for (Sample s : back.samples()) {
            String prev = splitOf.put(s.patientId(), s.split());
            assertTrue(prev == null || prev.equals(s.split()), s.patientId() + " in two splits");
            if ("test".equals(s.split()) && films.level().containsKey(s.patientId())) testNormals.add(s.patientId());
            assertEquals("test".equals(s.split()), back.fold(s).isEmpty(), "folds only outside the test split");
        }
        films.level().forEach((id, k) -> { if (k <= 8) blurriest.add(id); });
        assertEquals(blurriest, testNormals);
        // levels 1..8 have patient sharpness 4..32; the median over their films, from the films as written
        java.util.List<Double> heldFilms = new java.util.ArrayList<>();
        for (Sample s : back.samples()) {
            Double v = films.films().get(s.file().toAbsolutePath().normalize());
            if (v != null && blurriest.contains(s.patientId())) heldFilms.add(v);
        }
        java.util.Collections.sort(heldFilms);
        int m = heldFilms.size() / 2;
        double median = heldFilms.size() % 2 == 1 ? heldFilms.get(m) : (heldFilms.get(m - 1) + heldFilms.get(m)) / 2;
        assertTrue(o.contains("  held-out normals:  " + String.format(java.util.Locale.ROOT, "%.2f", median)
                + " (cut: patient median <= 32.00, the held-out normal patient nearest the others)"), o);
        assertNotEquals("test", splitOf.get(films.unreadable()));
        assertTrue(splitOf.entrySet().stream().anyMatch(e -> e.getKey().startsWith("person") && "test".equals(e.getValue())),
                "others are tested too");

        Run mixed = run("dataset", "split", "--data", films.manifest().toString(), "--out", d.resolve("x.csv").toString(),
                "--other-fraction", "0.2");
        assertEquals(2, mixed.code());
        assertTrue(mixed.err().contains("apply to --strategy texture or shape only"), mixed.err());
        Run bad = run("dataset", "split", "--data", films.manifest().toString(), "--out", d.resolve("x.csv").toString(),
                "--strategy", "texture", "--texture-fraction", "0.6");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--texture-fraction must be between 0 and 0.5"), bad.err());
        assertFalse(Files.exists(d.resolve("x.csv")));
    }

    @Test
    void splitWritesOutsideTheDataFolderWithAbsolutePathsAndRefusesBadRatios(@TempDir Path tmp) throws Exception {
        Path d = leakyDataset(tmp.resolve("data"));
        Path elsewhere = tmp.resolve("elsewhere/split.csv");
        Run r = run("dataset", "split", "--data", d.toString(), "--out", elsewhere.toString());
        assertEquals(0, r.code(), r.err());
        String second = Files.readAllLines(elsewhere).get(1);
        assertTrue(second.startsWith(d.toAbsolutePath().toString()), "an image outside the manifest's folder is named absolutely: " + second);
        assertEquals(0, run("dataset", "split", "--data", d.toString(), "--out", d.resolve("inside.csv").toString()).code());
        DatasetScan back = DatasetReader.read(elsewhere), inside = DatasetReader.read(d.resolve("inside.csv"));
        assertTrue(back.problems().isEmpty(), back.problems().toString());
        assertFalse(back.samples().isEmpty());
        assertEquals(inside.samples(), back.samples(), "the same split, whichever folder holds the manifest");
        r = run("dataset", "split", "--data", d.toString(), "--out", d.resolve("s.csv").toString(), "--ratios", "8:1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--ratios"), r.err());
    }

    @Test
    void realDataCountsAsInTheManifest() {
        Path data = Path.of(System.getProperty("pneumoscope.shared", "../shared"), "data", "kermany224");
        assumeTrue(Files.isDirectory(data), "real data not present at " + data + "; skipping");
        Run r = run("dataset", "stats", "--data", data.toString(), "--no-decode");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Splits: 5,190 train / 16 val"), r.out());
        assertTrue(r.out().matches("(?s).*bacteria\\s+2,512\\s+8\\s+2,520\\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*virus\\s+1,338\\s+0\\s+1,338\\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*normal\\s+1,340\\s+8\\s+1,348\\n.*"), r.out());
        assertFalse(r.out().contains("MORE THAN ONE SPLIT"));
    }

    @Test
    void benchDecodeReportsBothPathsAndARatio(@TempDir Path tmp) {
        Path d = leakyDataset(tmp.resolve("data"));
        Run r = run("bench", "decode", "--data", d.toString(), "--limit", "8", "--rounds", "1", "--size", "64");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("pneumoscope"), r.out());
        assertTrue(r.out().contains("ImageIO.read + Graphics2D"), r.out());
        assertTrue(r.out().matches("(?s).*ratio \\(pneumoscope/plain\\)\\s+\\d+\\.\\d\\dx\\s+\\d+\\.\\d\\dx.*"), r.out());
        // the whole way to the network's input, against the same reference
        Run t = run("bench", "decode", "--data", d.toString(), "--limit", "8", "--rounds", "1", "--size", "64",
                "--contrast", "equalize", "--channels", "3");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().matches("(?s).*pneumoscope to tensor\\s+\\d+ im/s\\s+\\d+ im/s.*"), t.out());
        assertTrue(t.out().matches("(?s).*ratio \\(tensor/plain\\)\\s+\\d+\\.\\d\\dx\\s+\\d+\\.\\d\\dx.*"), t.out());
        assertTrue(t.out().contains("equalize contrast, normalise to 3 channel(s)"), t.out());
        assertEquals(2, run("bench", "decode", "--data", d.toString(), "--contrast", "sepia").code());
        Run usage = run("bench");
        assertEquals(0, usage.code());
        assertTrue(usage.out().contains("decode"));
    }
}
