package org.pneumoscope.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One in-process run of the command line, with what it printed; shared by the tests that drive the CLI. */
public record CliRun(int code, String out, String err) {

    public String all() { return out + err; }

    /** Runs {@code pneumoscope ARGS} in this JVM, capturing stdout and stderr (restored afterwards). */
    public static CliRun of(String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream bo = new ByteArrayOutputStream(), be = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bo, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(be, true, StandardCharsets.UTF_8));
        try {
            int code = Main.commandLine().execute(args);
            return new CliRun(code, bo.toString(StandardCharsets.UTF_8), be.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }
}
