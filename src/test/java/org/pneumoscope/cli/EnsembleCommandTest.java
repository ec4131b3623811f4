package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.eval.PredictionsCsv;
import org.pneumoscope.train.RunFolder;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** `ensemble`: averaging two members' predictions fixes images each gets wrong alone; mismatched test sets are refused. */
class EnsembleCommandTest {
    static final String[] FILES = {"b1.png", "b2.png", "v1.png", "v2.png", "n1.png", "n2.png"};
    static final int[] LABELS = {0, 0, 1, 1, 2, 2};
    static final String[] PIDS = {"p1", "p2", "p3", "p4", "p5", "p6"};
    // A is wrong on b2 and v2, B on b1 and n2; the mean is wrong only on v2 (0.525 bacteria against 0.400 virus)
    static final float[][] A = {{.9f, .05f, .05f}, {.4f, .55f, .05f}, {.1f, .8f, .1f}, {.6f, .3f, .1f}, {.1f, .1f, .8f}, {.1f, .1f, .8f}};
    static final float[][] B = {{.2f, .7f, .1f}, {.8f, .1f, .1f}, {.3f, .6f, .1f}, {.45f, .5f, .05f}, {.1f, .2f, .7f}, {.5f, .1f, .4f}};

    static Path run(Path dir, String name, float[][] p, boolean reversed) throws Exception {
        return run(dir, name, p, reversed, "");
    }

    static Path run(Path dir, String name, float[][] p, boolean reversed, String prefix) throws Exception {
        Path run = dir.resolve(name);
        Files.createDirectories(run.resolve("test"));
        int n = FILES.length;
        String[] f = new String[n], pid = new String[n];
        int[] l = new int[n];
        float[][] q = new float[n][];
        for (int i = 0; i < n; i++) {
            int j = reversed ? n - 1 - i : i; // row order must not matter
            f[i] = prefix + FILES[j]; l[i] = LABELS[j]; q[i] = p[j]; pid[i] = PIDS[j];
        }
        PredictionsCsv.write(run.resolve("test").resolve("predictions.csv"), f, l, q, pid);
        return run;
    }

    @Test
    void theMeanOfTwoMembersIsScoredBesideEachMember(@TempDir Path dir) throws Exception {
        // each run wrote the paths it was given: relative in one, absolute in the other
        Path a = run(dir, "a", A, false, "../data/test/"), b = run(dir, "b", B, true, "/srv/data/test/"), out = dir.resolve("ens");
        CliRun r = CliRun.of("ensemble", a.toString(), b.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.all());
        JsonNode m = RunFolder.JSON.readTree(out.resolve("metrics.json").toFile());
        assertEquals(5 / 6.0, m.get("accuracy").asDouble(), 1e-9);
        assertEquals(4 / 6.0, m.get("members").get(0).get("accuracy").asDouble(), 1e-9);
        assertEquals(4 / 6.0, m.get("members").get(1).get("accuracy").asDouble(), 1e-9);
        assertEquals(6, m.get("n").asInt());
        assertEquals(org.pneumoscope.core.BuildInfo.version(), m.path("provenance").path("pneumoscope_version").asText(),
                "the ensemble names the software that made it");
        PredictionsCsv.Predictions p = PredictionsCsv.read(out.resolve("predictions.csv"));
        assertEquals("../data/test/b1.png", p.files()[0]);
        assertArrayEquals(new float[] {.55f, .375f, .075f}, p.probabilities()[0], 1e-5f);
        assertArrayEquals(new float[] {.525f, .4f, .075f}, p.probabilities()[3], 1e-5f);
        assertTrue(r.out().contains("accuracy 0.667"), r.out());
    }

    @Test
    void membersScoredOnDifferentImagesAreRefusedByName(@TempDir Path dir) throws Exception {
        Path a = run(dir, "a", A, false);
        Path c = dir.resolve("c");
        Files.createDirectories(c.resolve("test"));
        String[] f = FILES.clone();
        f[4] = "other.png";
        PredictionsCsv.write(c.resolve("test").resolve("predictions.csv"), f, LABELS, B, PIDS);
        CliRun r = CliRun.of("ensemble", a.toString(), c.toString(), "--out", dir.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("other.png") && r.err().contains(c.toString()), r.err());

        Path d = dir.resolve("d");
        Files.createDirectories(d.resolve("test"));
        int[] l = LABELS.clone();
        l[0] = 1;
        PredictionsCsv.write(d.resolve("test").resolve("predictions.csv"), FILES, l, B, PIDS);
        r = CliRun.of("ensemble", a.toString(), d.toString(), "--out", dir.resolve("y").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("b1.png is labelled virus"), r.err());

        r = CliRun.of("ensemble", a.toString(), dir.resolve("missing").toString(), "--out", dir.resolve("z").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("missing: no such file"), r.err());
        assertFalse(Files.exists(dir.resolve("x").resolve("metrics.json")));

        Path e = dir.resolve("e");
        Files.createDirectories(e.resolve("test"));
        String[] twice = FILES.clone();
        twice[1] = "data//b1.png"; // the same image as data/b1.png written another way
        twice[0] = "data/b1.png";
        PredictionsCsv.write(e.resolve("test").resolve("predictions.csv"), twice, LABELS, A, PIDS);
        r = CliRun.of("ensemble", e.toString(), a.toString(), "--out", dir.resolve("w").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("data//b1.png appears twice"), r.err());
    }

    @Test
    void imagesAreMatchedByAsMuchOfTheirPathAsTellsThemApart() {
        assertEquals(1, org.pneumoscope.eval.Ensemble.uniqueDepth(new String[] {"../d/NORMAL/a.png", "../d/PNEUMONIA/b.png"}));
        String[] sameName = {"/d/NORMAL/a.png", "/d/PNEUMONIA/a.png"};
        assertEquals(2, org.pneumoscope.eval.Ensemble.uniqueDepth(sameName), "same file name in two class folders");
        assertEquals("PNEUMONIA/a.png", org.pneumoscope.eval.Ensemble.tail("C:\\d\\PNEUMONIA\\a.png", 2));
        assertEquals(-1, org.pneumoscope.eval.Ensemble.uniqueDepth(new String[] {"/d/a.png", "/d/a.png"}));
    }
}
