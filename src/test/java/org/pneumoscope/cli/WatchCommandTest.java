package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.TinyRun;
import org.pneumoscope.dicom.DicomAnswer;
import org.pneumoscope.dicom.DicomTools;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code watch} when the disk misbehaves: a film taken away before it is read, an output folder that refuses the answer. */
class WatchCommandTest {
    @TempDir
    static Path tmp;
    static Path run;

    @BeforeAll
    static void makeRun() throws Exception {
        run = TinyRun.make(tmp.resolve("run"), Map.of("size", 64), true);
    }

    @Test
    void aFilmTakenAwayBetweenListingAndReadingIsSkippedAndTheNextIsAnswered() throws Exception {
        DicomTools.assumeInstalled("img2dcm", "dcmdjpeg");
        Path in = tmp.resolve("gone-in"), out = tmp.resolve("gone-out");
        Path first = DicomTools.film(in, "explicit", 1), second = DicomTools.film(in, "explicit", 2);
        WatchCommand w = watch(in, out);
        List<Path> listed = w.ready();
        assertEquals(List.of(first, second), listed);
        Files.delete(first); // e.g. the storage node's own clean-up, after the listing
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        boolean[] answered = new boolean[2];
        try (Classifier c = Classifier.load(run)) {
            DicomAnswer dicom = new DicomAnswer(c);
            withStderr(err, () -> {
                for (int i = 0; i < 2; i++) answered[i] = w.answer(dicom, listed.get(i));
            });
        }
        String said = err.toString(StandardCharsets.UTF_8);
        assertFalse(answered[0], said);
        assertTrue(said.contains("skipped " + first.getFileName() + ": it was taken away before it was read"), said);
        assertFalse(Files.exists(in.resolve("refused")), "nothing to refuse: the film is gone");
        assertTrue(answered[1], "the watch goes on with the next film: " + said);
        assertTrue(Files.exists(in.resolve("done").resolve(second.getFileName())));
        String base = DicomAnswer.base(second.toString());
        assertTrue(Files.exists(out.resolve(base + "_sr.dcm")) && Files.exists(out.resolve(base + "_sc.dcm")));
    }

    @Test
    void anOutputFolderUnderARegularFileRefusesEveryFilmWithAnIoErrorAndTheWatchGoesOn() throws Exception {
        DicomTools.assumeInstalled("img2dcm", "dcmdjpeg");
        Path in = tmp.resolve("file-in");
        Path a = DicomTools.film(in, "explicit", 3), b = DicomTools.film(in, "explicit", 4);
        Path notAFolder = Files.writeString(tmp.resolve("not-a-folder"), "a regular file");
        // fails for root too: no folder can be made under a regular file
        refusedForIo(in, notAFolder.resolve("answers"), List.of(a, b));
    }

    @Test
    void aReadOnlyOutputFolderRefusesTheFilmWithAnIoError() throws Exception {
        DicomTools.assumeInstalled("img2dcm", "dcmdjpeg");
        Path in = tmp.resolve("ro-in"), out = Files.createDirectories(tmp.resolve("ro-out"));
        Path film = DicomTools.film(in, "explicit", 5);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeTrue(!Files.isWritable(out), "running as root (or on a file system without permissions): a read-only "
                    + "folder still takes files, so this case cannot be made here; the output folder under a regular file "
                    + "covers the same path");
            refusedForIo(in, out, List.of(film));
            try (var files = Files.list(out)) {
                assertEquals(0, files.count(), "nothing half-written in the output folder");
            }
        } finally {
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** Runs watch --once on {@code films} with answers going to {@code out}, and checks each was refused for I/O. */
    private static void refusedForIo(Path in, Path out, List<Path> films) throws Exception {
        CliRun r = CliRun.of("watch", in.toString(), "--run", run.toString(), "--dicom-out", out.toString(), "--once");
        assertEquals(1, r.code(), "films were refused, and the command ended normally: " + r.all());
        ObjectMapper json = new ObjectMapper();
        for (Path f : films) {
            Path moved = in.resolve("refused").resolve(f.getFileName());
            assertTrue(Files.exists(moved) && !Files.exists(f), f.getFileName() + " moves to IN/refused: " + r.all());
            JsonNode error = json.readTree(moved.resolveSibling(f.getFileName() + ".error.json").toFile());
            assertEquals(500, error.path("status").asInt(), error.toString());
            assertEquals("io", error.path("error").asText(), error.toString());
            assertTrue(r.err().contains("refused " + f.getFileName() + ": 500 io"), r.err());
        }
        assertFalse(Files.exists(in.resolve("done")), "no film counts as answered");
    }

    private static WatchCommand watch(Path in, Path out) {
        WatchCommand w = new WatchCommand();
        w.in = in;
        w.run = run;
        w.out = out;
        w.once = true;
        return w;
    }

    private interface IoWork { void run() throws Exception; }

    private static void withStderr(ByteArrayOutputStream err, IoWork work) throws Exception {
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            work.run();
        } finally {
            System.setErr(old);
        }
    }
}
