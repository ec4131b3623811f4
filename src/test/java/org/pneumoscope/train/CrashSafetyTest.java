package org.pneumoscope.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.pipeline.TrainJob;
import org.pneumoscope.synth.PhantomGenerator;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * kill -9 a training child process at random moments (also mid-checkpoint), resume, and check the run
 * completes with the same per-epoch figures as an uninterrupted run and no torn file.
 */
public class CrashSafetyTest {

    static Map<String, Object> cfg() {
        Map<String, Object> m = new HashMap<>();
        m.put("model", "resnet18"); m.put("width", 0.25); m.put("size", 64); m.put("head", "linear");
        m.put("batch", 16); m.put("epochs", 12); m.put("lr", 2e-3); m.put("optimizer", "adamw");
        m.put("schedule", "cosine"); m.put("augment", "light"); m.put("l2", 0); m.put("max_minutes", 0);
        return m;
    }

    public static Process child(Path log, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.pneumoscope.cli.Main");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        String cache = System.getProperty("DJL_CACHE_DIR");
        if (cache != null) pb.environment().put("DJL_CACHE_DIR", cache);
        pb.environment().put("PYTORCH_FLAVOR", "cpu");
        return pb.start();
    }

    @Test
    void killedTrainingResumesToTheSameResult(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        new PhantomGenerator().generate(data, 72, 64, 11, 2);
        Path preset = dir.resolve("tiny.yaml");
        StringBuilder y = new StringBuilder();
        cfg().forEach((k, v) -> y.append(k).append(": ").append(v).append('\n'));
        Files.writeString(preset, y.toString());

        // reference: uninterrupted, in process
        Path ref = dir.resolve("ref");
        TrainJob.Outcome full = TrainJob.run(new TrainJob.Options(data, ref, Presets.resolve(preset.toString(), Map.of()),
                false, false, null, new PrintStream(java.io.OutputStream.nullOutputStream())));

        Path run = dir.resolve("run");
        Path log = dir.resolve("child.log");
        Random rnd = new Random(3);
        RunFolder rf = new RunFolder(run);
        int kills = 0;
        Process p = child(log, "train", "--data", data.toString(), "--out", run.toString(), "--preset", preset.toString(), "--no-eval");
        for (int attempt = 0; attempt < 12 && !rf.complete(); attempt++) {
            // wait for some progress, then kill -9 at a random moment
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            int doneBefore = epochsDone(rf);
            long waitFrom = System.nanoTime();
            while (p.isAlive() && epochsDone(rf) == doneBefore && System.nanoTime() < deadline) Thread.sleep(50);
            // a random moment within about one more epoch (what the wait just took, at most 1.5 s): on a fast machine a
            // fixed 1.5 s window outlasted the whole tiny run, and no kill happened
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - waitFrom);
            Thread.sleep(rnd.nextInt((int) Math.max(50, Math.min(1500, waited))));
            if (p.isAlive()) {
                int atKill = epochsDone(rf);
                p.destroyForcibly().waitFor();   // SIGKILL
                kills++;
                assertCheckpointReadable(rf);
                p = Files.exists(rf.config()) && Files.exists(rf.split())
                        ? child(log, "train", "--resume", run.toString(), "--no-eval")
                        : child(log, "train", "--data", data.toString(), "--out", run.toString(), "--preset", preset.toString(), "--no-eval");
                assertTrue(epochsDone(rf) >= atKill, "a kill never loses a completed epoch");
            } else {
                break;
            }
        }
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "resumed run finishes");
        assertEquals(0, p.exitValue(), Files.readString(log));
        assertTrue(kills >= 1, "at least one kill happened");
        assertTrue(rf.complete(), "run completes after kills:\n" + Files.readString(log));

        // the same per-epoch figures as the uninterrupted run, and every file parses
        List<String> a = Files.readAllLines(new RunFolder(ref).metricsCsv()), b = Files.readAllLines(rf.metricsCsv());
        assertEquals(a.size(), b.size());
        for (int i = 1; i < a.size(); i++) {
            String[] x = a.get(i).split(","), z = b.get(i).split(",");
            for (int c = 1; c <= 4; c++)
                assertEquals(Double.parseDouble(x[c]), Double.parseDouble(z[c]), 1e-5, "epoch " + i + " column " + c);
        }
        assertEquals(full.result().bestEpoch(), RunFolder.JSON.readTree(rf.modelJson().toFile()).path("best_epoch").asInt());
        RunFolder.JSON.readTree(rf.metricsJson().toFile());
        try (var net = org.pneumoscope.model.XrayNet.open(rf.modelParams())) {
            assertTrue(net.parameterCount() > 0);
        }
        try (var s = Files.list(run)) {
            assertTrue(s.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temp file left");
        }
    }

    static int epochsDone(RunFolder rf) {
        try {
            if (!Files.exists(rf.metricsCsv())) return 0;
            return (int) Files.readAllLines(rf.metricsCsv()).stream().skip(1).filter(l -> !l.isBlank()).count();
        } catch (Exception e) {
            return 0;
        }
    }

    static void assertCheckpointReadable(RunFolder rf) throws Exception {
        if (!Files.exists(rf.lastCheckpoint())) return;
        byte[] b = Files.readAllBytes(rf.lastCheckpoint());
        assertTrue(b.length > 8);
        // magic at both ends: a torn file would miss the trailer
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
        assertEquals(0x50534B32, bb.getInt(0));
        assertEquals(0x50534B32, bb.getInt(b.length - 4));
    }
}
