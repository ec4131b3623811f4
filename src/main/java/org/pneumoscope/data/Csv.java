package org.pneumoscope.data;

import java.util.ArrayList;
import java.util.List;

/** Minimal RFC 4180 CSV: quoted fields with commas, quotes and newlines; comma, semicolon or tab separated. */
final class Csv {
    private Csv() {}

    /** One record and the line it started on (1-based), for messages. */
    record Row(int line, List<String> fields) {
        boolean blank() {
            for (String f : fields) if (!f.isBlank()) return false;
            return true;
        }
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

    static List<Row> parse(String text) {
        if (text.startsWith("\ufeff")) text = text.substring(1);
        char sep = sniffSeparator(text);
        List<Row> rows = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        int line = 1, rowStart = 1;
        boolean quoted = false, any = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        f.append('"');
                        i++;
                    } else quoted = false;
                } else {
                    if (ch == '\n') line++;
                    f.append(ch);
                }
                continue;
            }
            if (ch == '"' && f.toString().isBlank()) {
                f.setLength(0);
                quoted = true;
                any = true;
            } else if (ch == sep) {
                fields.add(f.toString());
                f.setLength(0);
                any = true;
            } else if (ch == '\r') {
                // ignored: CRLF and lone CR line ends
            } else if (ch == '\n') {
                fields.add(f.toString());
                rows.add(new Row(rowStart, List.copyOf(fields)));
                fields.clear();
                f.setLength(0);
                any = false;
                line++;
                rowStart = line;
            } else {
                f.append(ch);
                any = true;
            }
        }
        if (any || f.length() > 0) {
            fields.add(f.toString());
            rows.add(new Row(rowStart, List.copyOf(fields)));
        }
        return rows;
    }

    static String quote(String s) {
        if (s == null) return "";
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0
                && s.indexOf(';') < 0 && (s.isEmpty() || (s.charAt(0) != ' ' && s.charAt(s.length() - 1) != ' ')))
            return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
