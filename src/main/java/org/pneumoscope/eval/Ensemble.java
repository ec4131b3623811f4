package org.pneumoscope.eval;

import org.pneumoscope.core.Label;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Averages the class probabilities several models gave the same images (cross-validation folds, seeds, or
 * recipes), the simplest ensemble: it needs only each model's predictions.csv on one test set, no inference.
 * The members' probabilities are already calibrated by their own temperature; their mean is what is scored.
 */
public final class Ensemble {
    private Ensemble() {}

    /**
     * The mean of {@code members}' probabilities, image by image, in the first member's order. Every member must
     * hold exactly the same images with the same true labels. Images are matched by the end of their paths (the file
     * name, with as many parent folders as make the first member's names unique), because each run writes the paths
     * as it was given them: {@code ../data/NORMAL/a.jpeg} in one, {@code /srv/data/NORMAL/a.jpeg} in another.
     *
     * @param names one per member, used in error messages (the run folder or CSV path)
     * @throws IllegalArgumentException naming the member and the first image that does not match
     */
    public static PredictionsCsv.Predictions average(List<PredictionsCsv.Predictions> members, List<String> names) {
        if (members.size() < 2) throw new IllegalArgumentException("an ensemble needs at least 2 members, got " + members.size());
        if (names.size() != members.size()) throw new IllegalArgumentException("one name per member");
        PredictionsCsv.Predictions first = members.get(0);
        int n = first.size();
        int depth = uniqueDepth(first.files());
        if (depth < 0)
            throw new IllegalArgumentException(names.get(0) + ": image " + repeated(first.files(), Integer.MAX_VALUE) + " appears twice");
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < n; i++) index.put(tail(first.files()[i], depth), i);
        float[][] sum = new float[n][3];
        for (int m = 0; m < members.size(); m++) {
            PredictionsCsv.Predictions p = members.get(m);
            if (p.size() != n)
                throw new IllegalArgumentException(names.get(m) + " holds " + p.size() + " images, " + names.get(0) + " holds " + n
                        + ": an ensemble averages predictions on one test set");
            boolean[] seen = new boolean[n];
            for (int i = 0; i < n; i++) {
                Integer j = index.get(tail(p.files()[i], depth));
                if (j == null)
                    throw new IllegalArgumentException(names.get(m) + ": image " + p.files()[i] + " is not in " + names.get(0));
                if (seen[j]) throw new IllegalArgumentException(names.get(m) + ": image " + p.files()[i] + " appears twice");
                seen[j] = true;
                if (p.labels()[i] != first.labels()[j])
                    throw new IllegalArgumentException(names.get(m) + ": image " + p.files()[i] + " is labelled "
                            + Label.of(p.labels()[i]).id() + ", but " + Label.of(first.labels()[j]).id() + " in " + names.get(0));
                for (int k = 0; k < 3; k++) sum[j][k] += p.probabilities()[i][k];
            }
        }
        for (float[] row : sum)
            for (int k = 0; k < 3; k++) row[k] /= members.size();
        return new PredictionsCsv.Predictions(first.files().clone(), first.labels().clone(), sum, first.patientIds().clone());
    }

    private static String[] parts(String file) { return file.replace('\\', '/').split("/+"); }

    /** The last {@code depth} components of a path, '/' or '\\' separated. */
    public static String tail(String file, int depth) {
        String[] parts = parts(file);
        return String.join("/", java.util.Arrays.asList(parts).subList(Math.max(0, parts.length - depth), parts.length));
    }

    /** The first of {@code files} whose last {@code depth} components repeat an earlier one's, or null. */
    static String repeated(String[] files, int depth) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String f : files) if (!seen.add(tail(f, depth))) return f;
        return null;
    }

    /** The fewest trailing path components that tell {@code files} apart; -1 when two are the same path. */
    public static int uniqueDepth(String[] files) {
        int most = 1;
        for (String f : files) most = Math.max(most, parts(f).length);
        for (int d = 1; d <= most; d++) if (repeated(files, d) == null) return d;
        return -1;
    }
}
