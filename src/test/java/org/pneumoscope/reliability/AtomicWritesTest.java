package org.pneumoscope.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.eval.BootstrapConfig;
import org.pneumoscope.eval.Evaluation;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.eval.PredictionsCsv;
import org.pneumoscope.report.ReportBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * predictions.csv, metrics.json and report.html are replaced as a whole: a reader running alongside the writer
 * only ever sees a complete old or a complete new file, the file is a new one (renamed into place, not rewritten in
 * place), a reader that had the old file open keeps reading the old content, and no temporary file stays behind,
 * also when the writer fails halfway. And no main code writes a file around {@link AtomicFiles}.
 */
class AtomicWritesTest {

    interface Writer {
        void write(Path target, int version) throws IOException;
    }

    /** Evaluation inputs of {@code n} images whose numbers depend on {@code version}, so versions differ. */
    static EvaluationResult evaluation(int n, int version) {
        Random r = new Random(version);
        int[] labels = new int[n];
        float[][] probs = new float[n][3];
        String[] pids = new String[n], files = new String[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            float a = r.nextFloat(), b = r.nextFloat() * (1 - a);
            probs[i] = new float[]{a, b, 1 - a - b};
            pids[i] = "p" + i / 2;
            files[i] = "images/v" + version + "/film-" + i + ".png";
        }
        return Evaluation.of(labels, probs, pids, files, new BootstrapConfig(20, version));
    }

    static void predictions(Path target, int version) throws IOException {
        int n = 3000;
        Random r = new Random(version);
        int[] labels = new int[n];
        float[][] probs = new float[n][];
        String[] files = new String[n], pids = new String[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            float a = r.nextFloat(), b = r.nextFloat() * (1 - a);
            probs[i] = new float[]{a, b, 1 - a - b};
            files[i] = "data/v" + version + "/film-" + i + ".png";
            pids[i] = "patient-" + i;
        }
        PredictionsCsv.write(target, files, labels, probs, pids);
    }

    @Test
    void predictionsCsvIsReplacedAtomically(@TempDir Path dir) throws Exception {
        checkAtomic(dir.resolve("out/predictions.csv"), AtomicWritesTest::predictions);
    }

    @Test
    void metricsJsonIsReplacedAtomically(@TempDir Path dir) throws Exception {
        EvaluationResult[] versions = {evaluation(3000, 1), evaluation(3000, 2)};
        checkAtomic(dir.resolve("out/metrics.json"), (t, v) -> versions[v - 1].writeJson(t));
    }

    @Test
    void reportHtmlIsReplacedAtomically(@TempDir Path dir) throws Exception {
        // without figures (drawing charts takes a second per write and says nothing about how the file is written)
        checkAtomic(dir.resolve("out/report.html"), (t, v) -> new ReportBuilder().title("Evaluation, version " + v)
                .subtitle("resnet18@224 · test split · " + (v * 1000) + " images").write(t));
    }

    /**
     * Writes version 1, holds it open, then rewrites versions 2 and 1 alternately while a reader thread reads the
     * file as fast as it can: every read must be byte-for-byte one of the two versions.
     */
    static void checkAtomic(Path target, Writer writer) throws Exception {
        Path dir = target.getParent();
        Path v1 = dir.resolveSibling("v1"), v2 = dir.resolveSibling("v2");
        writer.write(v1.resolve("f"), 1);
        writer.write(v2.resolve("f"), 2);
        byte[] one = Files.readAllBytes(v1.resolve("f")), two = Files.readAllBytes(v2.resolve("f"));
        assertFalse(Arrays.equals(one, two), "the two versions differ");
        // the reader race catches torn writes of big files; the inode check below catches in-place rewrites of any size
        assertTrue(one.length > 2_000, "a real file: " + one.length);

        writer.write(target, 1);
        assertArrayEquals(one, Files.readAllBytes(target));
        Object inode = Files.readAttributes(target, BasicFileAttributes.class).fileKey();
        InputStream held = Files.newInputStream(target);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger reads = new AtomicInteger();
        AtomicReference<String> torn = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            while (!stop.get() && torn.get() == null) {
                try {
                    byte[] b = Files.readAllBytes(target);
                    if (!Arrays.equals(b, one) && !Arrays.equals(b, two))
                        torn.set("a reader saw " + b.length + " bytes, neither version (" + one.length + " / " + two.length + ")");
                    reads.incrementAndGet();
                } catch (java.nio.file.NoSuchFileException e) {
                    torn.set("the file was missing for a moment");
                } catch (IOException e) {
                    torn.set(e.toString());
                }
            }
        }, "atomic-reader");
        reader.start();
        try {
            // at least four rewrites, and more until the reader has read a few times (a loaded machine may not
            // schedule it at once); pairs, so the last write is version 1
            for (int i = 0; i < 4 || (reads.get() < 3 && i < 400); i += 2) {
                writer.write(target, 2);
                writer.write(target, 1);
            }
        } finally {
            stop.set(true);
            reader.join(10_000);
        }
        assertNull(torn.get(), target.getFileName() + ": " + torn.get());
        assertTrue(reads.get() > 0);
        assertArrayEquals(one, Files.readAllBytes(target), "the last write (version 1) is what is there");
        assertNotEquals(inode, Files.readAttributes(target, BasicFileAttributes.class).fileKey(),
                "a new file was renamed into place (an in-place rewrite keeps the inode)");
        try (held) {
            assertArrayEquals(one, held.readAllBytes(), "the reader that had the old file open reads it whole");
        }
        assertEquals(List.of(target.getFileName().toString()), names(dir), "no temporary file left beside " + target.getFileName());
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriterThatFailsHalfwayLeavesTheOldFileAndNoTemporary(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("predictions.csv");
        AtomicFiles.writeString(target, "file,label\nold.png,normal\n");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write("file,label\nnew-but-".getBytes());
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("file,label\nold.png,normal\n", Files.readString(target));
        assertEquals(List.of("predictions.csv"), names(dir));
        // and a first write that fails leaves nothing at all
        assertThrows(IOException.class, () -> AtomicFiles.write(dir.resolve("metrics.json"), out -> {
            throw new IOException("no");
        }));
        assertEquals(List.of("predictions.csv"), names(dir));
    }

    @Test
    void aFolderAppearsWholeOrNotAtAll(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("profiles").resolve("site");
        assertThrows(IOException.class, () -> AtomicFiles.writeFolder(target, tmp -> {
            AtomicFiles.writeString(tmp.resolve("a.txt"), "a");
            throw new IOException("disk full");
        }));
        assertEquals(List.of(), names(dir.resolve("profiles")), "a failed folder leaves nothing behind");
        AtomicFiles.writeFolder(target, tmp -> AtomicFiles.writeString(tmp.resolve("a.txt"), "a"));
        assertEquals("a", Files.readString(target.resolve("a.txt")));
        assertEquals(List.of("site"), names(dir.resolve("profiles")));
        assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> AtomicFiles.writeFolder(target, tmp -> AtomicFiles.writeString(tmp.resolve("b.txt"), "b")));
        assertEquals(List.of("a.txt"), names(target), "an existing folder is never replaced");
    }

    /**
     * Every file the program writes goes through {@link AtomicFiles} (one helper, no copies): no other main class
     * opens a file for writing. The exceptions are logs written as the work goes (train.log, an experiment's
     * or a robustness sweep's evaluate.log), so that an interrupted run keeps them, and an experiment's lock file.
     */
    @Test
    void noMainCodeWritesAFileAroundTheAtomicHelper() throws IOException {
        Path src = Path.of("src/main/java");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(src), "sources not found from " + Path.of("").toAbsolutePath());
        Pattern raw = Pattern.compile("(?<![A-Za-z])Files\\.(write|writeString|newOutputStream|newBufferedWriter|copy|move)\\(|new FileOutputStream\\(|"
                + "new FileWriter\\(|new RandomAccessFile\\(|ImageIO\\.write\\([^;]*(toFile\\(\\)|new File\\()|StandardOpenOption\\.(APPEND|CREATE)");
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> s = Files.walk(src)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String rel = src.relativize(f).toString().replace('\\', '/');
                if (rel.equals("org/pneumoscope/core/AtomicFiles.java")) continue;
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    Matcher m = raw.matcher(lines.get(i));
                    if (!m.find()) continue;
                    // the copy inside an AtomicFiles writer streams into the temporary file
                    if (lines.get(i).contains("AtomicFiles.write(")) continue;
                    if (rel.equals("org/pneumoscope/pipeline/TrainJob.java") && lines.get(i).contains("StandardOpenOption.APPEND")) continue;
                    // an experiment's lock file is a lock, not content; an evaluation log is written as it goes, like train.log
                    if (rel.equals("org/pneumoscope/experiment/ExperimentRunner.java")
                            && (lines.get(i).contains("\".lock\"") || lines.get(i).contains("\"evaluate.log\""))) continue;
                    if (rel.equals("org/pneumoscope/pipeline/RobustnessSweep.java") && lines.get(i).contains("\"evaluate.log\"")) continue;
                    offenders.add(rel + ":" + (i + 1) + ": " + lines.get(i).trim());
                }
            }
        }
        assertTrue(offenders.isEmpty(), "files written without core.AtomicFiles:\n" + String.join("\n", offenders));
        for (String gone : List.of("org/pneumoscope/data/AtomicFiles.java", "org/pneumoscope/eval/AtomicWrite.java", "org/pneumoscope/util/AtomicWrite.java"))
            assertFalse(Files.exists(src.resolve(gone)), gone + " duplicates core.AtomicFiles");
    }
}
