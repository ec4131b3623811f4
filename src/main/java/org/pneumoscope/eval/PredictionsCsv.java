package org.pneumoscope.eval;

import org.pneumoscope.core.Label;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * predictions.csv: one row per image with columns
 * {@code file,true_label,predicted_label,p_bacteria,p_virus,p_normal,patient_id}. Labels are written as class
 * names, probabilities with 6 decimals; fields are quoted (RFC 4180) when they hold a comma, quote or newline.
 * The patient id comes last so the per-image bootstrap can be redone from the file alone; it is empty when unknown.
 */
public final class PredictionsCsv {
    public static final String HEADER = "file,true_label,predicted_label,p_bacteria,p_virus,p_normal,patient_id";

    private PredictionsCsv() {}

    /** Predictions read back from a CSV. */
    public record Predictions(String[] files, int[] labels, float[][] probabilities, String[] patientIds) {
        public int size() { return labels.length; }

        public EvaluationResult evaluate(BootstrapConfig bootstrap) {
            return Evaluation.of(labels, probabilities, patientIds, files, bootstrap);
        }
    }

    /** Writes without patient ids. */
    public static void write(Path csv, String[] files, int[] trueLabels, float[][] probabilities) throws IOException {
        write(csv, files, trueLabels, probabilities, null);
    }

    /**
     * Writes the CSV atomically (temporary file + rename).
     *
     * @param patientIds may be null
     */
    public static void write(Path csv, String[] files, int[] trueLabels, float[][] probabilities, String[] patientIds)
            throws IOException {
        Evaluation.validate(trueLabels, probabilities, patientIds, files);
        StringBuilder sb = new StringBuilder(64 * (trueLabels.length + 1));
        sb.append(HEADER).append('\n');
        for (int i = 0; i < trueLabels.length; i++) {
            float[] p = probabilities[i];
            sb.append(quote(files == null || files[i] == null ? "" : files[i])).append(',')
                    .append(Label.of(trueLabels[i]).id()).append(',')
                    .append(Label.of(Metrics.argmax(p)).id());
            for (float v : p) sb.append(',').append(String.format(Locale.ROOT, "%.6f", v));
            sb.append(',').append(quote(patientIds == null || patientIds[i] == null ? "" : patientIds[i])).append('\n');
        }
        org.pneumoscope.core.AtomicFiles.writeString(csv, sb.toString());
    }

    /**
     * Reads a predictions CSV written by {@link #write}. The patient_id column is optional.
     *
     * @throws IllegalArgumentException naming the file and line of the first malformed row
     */
    public static Predictions read(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).startsWith("file,true_label,predicted_label,p_bacteria,p_virus,p_normal"))
            throw new IllegalArgumentException(csv + ": not a predictions file (expected header '" + HEADER + "')");
        List<String> files = new ArrayList<>(), patients = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<float[]> probs = new ArrayList<>();
        for (int ln = 1; ln < lines.size(); ln++) {
            String line = lines.get(ln);
            if (line.isBlank()) continue;
            String where = csv + " line " + (ln + 1);
            List<String> f = split(line, where);
            if (f.size() < 6) throw new IllegalArgumentException(where + ": expected at least 6 fields, got " + f.size());
            Label label = Label.parse(f.get(1));
            if (label == null) throw new IllegalArgumentException(where + ": unknown true label '" + f.get(1) + "'");
            float[] p = new float[3];
            for (int k = 0; k < 3; k++) {
                try {
                    p[k] = Float.parseFloat(f.get(3 + k));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + ": probability '" + f.get(3 + k) + "' is not a number");
                }
            }
            try {
                Evaluation.checkRow(label.index(), p, f.get(0));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            files.add(f.get(0));
            labels.add(label.index());
            probs.add(p);
            String pid = f.size() > 6 ? f.get(6) : "";
            patients.add(pid.isEmpty() ? null : pid);
        }
        return new Predictions(files.toArray(new String[0]), labels.stream().mapToInt(Integer::intValue).toArray(),
                probs.toArray(new float[0][]), patients.toArray(new String[0]));
    }

    static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    static List<String> split(String line, String where) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') { cur.append('"'); i++; }
                    else quoted = false;
                } else cur.append(c);
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else cur.append(c);
        }
        if (quoted) throw new IllegalArgumentException(where + ": unterminated quoted field");
        out.add(cur.toString());
        return out;
    }
}
