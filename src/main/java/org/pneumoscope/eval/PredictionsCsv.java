package org.pneumoscope.eval;

import org.pneumoscope.core.Label;
import org.pneumoscope.data.Csv;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * predictions.csv: one row per image with columns
 * {@code file,true_label,predicted_label,p_bacteria,p_virus,p_normal,patient_id}. Labels are written as class
 * names, probabilities with 6 decimals; the CSV is {@link Csv}'s, so any file name or patient id reads back.
 * The patient id comes last so the per-image bootstrap can be redone from the file alone; it is empty when unknown.
 */
public final class PredictionsCsv {
    private static final String[] COLUMNS = {"file", "true_label", "predicted_label", "p_bacteria", "p_virus", "p_normal", "patient_id"};
    public static final String HEADER = String.join(",", COLUMNS);

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
        StringBuilder sb = new StringBuilder(64 * (trueLabels.length + 1)).append(Csv.record((Object[]) COLUMNS));
        for (int i = 0; i < trueLabels.length; i++) {
            float[] p = probabilities[i];
            sb.append(Csv.record(files == null ? null : files[i], Label.of(trueLabels[i]).id(), Label.of(Metrics.argmax(p)).id(),
                    decimal(p[0]), decimal(p[1]), decimal(p[2]), patientIds == null ? null : patientIds[i]));
        }
        org.pneumoscope.core.AtomicFiles.writeString(csv, sb.toString());
    }

    /**
     * Reads a predictions CSV written by {@link #write}. The patient_id column is optional.
     *
     * @throws IllegalArgumentException naming the file and line of the first malformed row
     */
    public static Predictions read(Path csv) throws IOException {
        List<Csv.Row> rows;
        try {
            rows = Csv.read(csv);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(csv + ": " + e.getMessage());
        }
        if (rows.isEmpty() || rows.get(0).fields().size() < 6
                || !rows.get(0).fields().subList(0, 6).equals(List.of(COLUMNS).subList(0, 6)))
            throw new IllegalArgumentException(csv + ": not a predictions file (expected header '" + HEADER + "')");
        List<String> files = new ArrayList<>(), patients = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<float[]> probs = new ArrayList<>();
        for (Csv.Row row : rows.subList(1, rows.size())) {
            if (row.blank()) continue;
            String where = csv + " line " + row.line();
            List<String> f = row.fields();
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
            String pid = row.get(6);
            patients.add(pid.isEmpty() ? null : pid);
        }
        return new Predictions(files.toArray(new String[0]), labels.stream().mapToInt(Integer::intValue).toArray(),
                probs.toArray(new float[0][]), patients.toArray(new String[0]));
    }

    private static String decimal(float v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }
}
