package org.pneumoscope.data;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every CSV the program writes or reads, through Apache Commons CSV in one dialect: RFC 4180 with {@code \n} line
 * ends, a field quoted only when it must be (a comma, quote or line break in it, a space or control character at
 * either end, an empty first field), quotes doubled inside. Reading also takes what spreadsheets export: a byte-order
 * mark, CRLF line ends, semicolon or tab separators, and spaces around unquoted fields.
 */
public final class Csv {
    private Csv() {}

    /** The one format every CSV file of the program is written in. */
    public static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setRecordSeparator("\n").get();

    /** One record in {@link #FORMAT}, ending in a line break; nulls are written as empty fields. */
    public static String record(Object... fields) {
        return FORMAT.format(fields) + "\n";
    }

    /** {@link #record} for a list of fields. */
    public static String record(List<?> fields) {
        return record(fields.toArray());
    }

    /**
     * One field as {@link #FORMAT} writes it, quoted when it has to be, for a record assembled piece by piece; null
     * and "" are an empty field (so not for a record's only field, which {@link #record} quotes).
     */
    public static String field(Object value) {
        return value == null || value.toString().isEmpty() ? "" : FORMAT.format(value);
    }

    /** One record read back and the line it started on (1-based), for messages. */
    public record Row(int line, List<String> fields) {
        public boolean blank() {
            for (String f : fields) if (!f.isBlank()) return false;
            return true;
        }

        /** The field at {@code i}, or "" past the end of a short row. */
        public String get(int i) { return i < fields.size() ? fields.get(i) : ""; }
    }

    /** Reads a UTF-8 CSV file; see {@link #parse}. */
    public static List<Row> read(Path csv) throws IOException {
        return parse(Files.readString(csv, StandardCharsets.UTF_8));
    }

    /**
     * Every record of {@code text}, blank lines included (as blank rows, so that callers count lines as an editor
     * does). The separator is sniffed from the first line ({@link #sniffSeparator}).
     *
     * @throws IllegalArgumentException on text that is not CSV (a quoted field that never closes); the message names
     *                                  the line
     */
    public static List<Row> parse(String text) {
        if (text.startsWith("\ufeff")) text = text.substring(1);
        CSVFormat format = FORMAT.builder().setDelimiter(sniffSeparator(text)).setIgnoreSurroundingSpaces(true)
                .setIgnoreEmptyLines(false).setTrailingData(true).get();
        int[] lineStarts = lineStarts(text);
        List<Row> rows = new ArrayList<>();
        try (CSVParser p = CSVParser.parse(text, format)) {
            for (CSVRecord r : p) rows.add(new Row(lineOf(lineStarts, r.getCharacterPosition()), r.toList()));
        } catch (IOException | UncheckedIOException e) {
            String why = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
            throw new IllegalArgumentException("not readable as CSV: " + why);
        }
        return rows;
    }

    /** Picks the separator from the header line: whichever of , ; TAB appears most (comma on ties). */
    static char sniffSeparator(String text) {
        int nl = text.indexOf('\n');
        String header = nl < 0 ? text : text.substring(0, nl);
        int c = count(header, ','), s = count(header, ';'), t = count(header, '\t');
        if (s > c && s >= t) return ';';
        if (t > c && t > s) return '\t';
        return ',';
    }

    private static int count(String s, char ch) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == ch) n++;
        return n;
    }

    /** Where each line starts: a lone CR ends a line too, as it does for the parser. */
    private static int[] lineStarts(String text) {
        int[] starts = new int[16];
        int n = 1;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            boolean end = ch == '\n' || (ch == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n'));
            if (!end) continue;
            if (n == starts.length) starts = Arrays.copyOf(starts, n * 2);
            starts[n++] = i + 1;
        }
        return Arrays.copyOf(starts, n);
    }

    private static int lineOf(int[] lineStarts, long position) {
        int i = Arrays.binarySearch(lineStarts, (int) position);
        return (i >= 0 ? i : -i - 2) + 1;
    }
}
