package org.pneumoscope.data;

import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.DecodeException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Something wrong with one input (a file, a manifest line): reported, skipped, and the run continues. */
public record Problem(Path file, String reason) {
    /** Name of the full list of skipped inputs that train and evaluate leave beside their results. */
    public static final String SKIPPED_CSV = "skipped.csv";

    public static Problem of(DecodeException e, Path file) { return new Problem(file, e.reason()); }

    @Override
    public String toString() { return (file == null ? "?" : file.toString()) + ": " + reason; }

    /** How many problems a console listing shows before "... and N more" (the whole list goes to skipped.csv). */
    public static final int LISTED = 20;

    /**
     * Prints the count and {@code heading} ("23 file(s) skipped:"), then the first {@link #LISTED} problems and how
     * many more there are. The heading is plain text, not a format: a path in it may hold '%'.
     */
    public static void list(java.io.PrintStream out, String heading, List<Problem> problems) {
        listLines(out, heading, problems.stream().map(Problem::toString).toList());
    }

    /** {@link #list} for problems already written as {@code "file: reason"} lines. */
    public static void listLines(java.io.PrintStream out, String heading, List<String> lines) {
        if (lines.isEmpty()) return;
        out.println(lines.size() + " " + heading);
        lines.stream().limit(LISTED).forEach(p -> out.println("  " + p));
        if (lines.size() > LISTED) out.printf(java.util.Locale.ROOT, "  ... and %d more%n", lines.size() - LISTED);
    }

    /**
     * Writes every problem as {@code file,reason} (atomically): consoles show the first twenty, a hospital export
     * may have thousands, and whoever fixes them needs the whole list.
     */
    public static void writeCsv(Path csv, List<Problem> problems) throws IOException {
        StringBuilder b = new StringBuilder(Csv.record("file", "reason"));
        for (Problem p : problems) b.append(Csv.record(p.file(), p.reason()));
        AtomicFiles.writeString(csv, b.toString());
    }
}
