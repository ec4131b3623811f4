package org.pneumoscope.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code pneumoscope bench fuzz}: runs the requested cases, reports outcomes by kind, exits 0 without failures. */
class BenchFuzzCommandTest {

    @Test
    void shortRunReportsCasesAndNoFailures(@TempDir Path dir) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream bo = new ByteArrayOutputStream(), be = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bo, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(be, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.commandLine().execute("bench", "fuzz", "--cases", "300", "--seed", "5", "--seconds", "60",
                    "--failures", dir.resolve("failures").toString());
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
        String out = bo.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out + be);
        assertTrue(out.contains("300 cases in"), out);
        assertTrue(out.matches("(?s).*decoded to an image: \\d+.*refused with a reason: \\d+.*"), out);
        assertTrue(out.contains("failures: none"), out);
        assertFalse(Files.exists(dir.resolve("failures")) && dir.resolve("failures").toFile().list().length > 0);

        System.setErr(new PrintStream(new ByteArrayOutputStream()));
        try {
            assertEquals(2, Main.commandLine().execute("bench", "fuzz", "--cases", "0"));
        } finally {
            System.setErr(e);
        }
    }
}
