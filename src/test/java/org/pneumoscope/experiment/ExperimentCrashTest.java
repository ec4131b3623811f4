package org.pneumoscope.experiment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.synth.PhantomGenerator;
import org.pneumoscope.train.CrashSafetyTest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * kill -9 an `experiment run` child process at random moments, rerun the same command until it finishes, and
 * check the results table equals an uninterrupted run's and every file parses.
 */
class ExperimentCrashTest {

    static final String SPEC = "name: crash\npreset: demo\nbase: {model: resnet18, width: 0.25, size: 64, head: linear, "
            + "batch: 12, epochs: 2, lr: 3.0e-3, schedule: constant, augment: light, balance: none}\n"
            + "grid:\n  augment_copies: [0, 1]\nfolds: 2\ntest_fraction: 0.15\nseed: 5\n";

    static String[] args(Path spec, Path data, Path out) {
        return new String[] {"experiment", "run", spec.toString(), "--data", data.toString(), "--out", out.toString(),
                "--no-probe", "--no-gallery", "--parallel", "1"};
    }

    @Test
    void killedExperimentResumesToTheSameTable(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        new PhantomGenerator().generate(data, 60, 64, 13, 2);
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, SPEC);

        Path ref = dir.resolve("ref");
        String[] r = ExperimentTest.cli(args(spec, data, ref));
        assertEquals("0", r[0], r[1] + r[2]);

        Path out = dir.resolve("cut");
        Path log = dir.resolve("child.log");
        Random rnd = new Random(9);
        int kills = 0;
        Process p = CrashSafetyTest.child(log, args(spec, data, out));
        for (int attempt = 0; attempt < 6; attempt++) {
            Thread.sleep(1500 + rnd.nextInt(4000));
            if (!p.isAlive()) break;
            p.destroyForcibly().waitFor();   // SIGKILL
            kills++;
            Files.deleteIfExists(out.resolve(".lock"));   // a lock left by a killed process is stale
            p = CrashSafetyTest.child(log, args(spec, data, out));
        }
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "the rerun finishes");
        assertEquals(0, p.exitValue(), Files.readString(log));
        assertTrue(kills >= 1, "at least one kill happened");

        List<String> a = Files.readAllLines(ref.resolve("results.csv")), b = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(a.size(), b.size(), Files.readString(log));
        // everything but wall time must match the uninterrupted run
        for (int i = 0; i < a.size(); i++) assertEquals(dropWall(a.get(0), a.get(i)), dropWall(b.get(0), b.get(i)), "row " + i);
        try (var s = Files.walk(out)) {
            assertTrue(s.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temp file left");
        }
    }

    static String dropWall(String header, String row) {
        List<String> h = List.of(header.split(","));
        String[] c = row.split(",", -1);
        int w = h.indexOf("wall_seconds");
        if (w >= 0 && w < c.length) c[w] = "";
        return String.join(",", c);
    }
}
