package org.pneumoscope.data;

import org.pneumoscope.core.Choices;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Leave-one-batch-out: a proxy for films from another acquisition period.
 *
 * <p>Why: Kermany's own test set was collected separately, from other patients with lower numbers than the training
 * files (the training normals start at IM-0115 and NORMAL2-IM-0383), and on it a model that does well on a random
 * patient split calls many normals pneumonia. Patient numbers were handed out in order of arrival, so the
 * lowest-numbered patients of each file-name family were filmed earliest, perhaps on other machines or with other
 * settings, and none of their neighbours in time is in training. Holding them out imitates that shift with the data
 * at hand.
 *
 * <p>Family = the patient id without its last run of digits ({@code IM-0115} → {@code IM-},
 * {@code NORMAL2-IM-0383} → {@code NORMAL2-IM-}, {@code person12} → {@code person}); number = that run of digits.
 * Within each family the patients are sorted by number and the lowest {@code fraction} of them (whole patients) is
 * held out, or the highest, or both. Patients whose id has no digits are never held out. No randomness: the held-out
 * batch depends only on the patient ids.
 */
public final class BatchSplit {
    private BatchSplit() {}

    /** Which end of each family's number range is held out. */
    public enum End {
        /** The lowest numbers: the first patients filmed (where Kermany's own test patients sit). */
        EARLY,
        /** The highest numbers: the latest patients. */
        LATE,
        /** The fraction from each end. */
        BOTH;

        public String id() { return Choices.id(this); }

        public static End parse(String text) { return Choices.parse(End.class, text); }
    }

    public static final double DEFAULT_FRACTION = 0.10;

    /** One run of consecutive held-out patients: first and last number as written in the ids. */
    public record Range(String from, String to) {
        @Override public String toString() { return from.equals(to) ? from : from + ".." + to; }
    }

    /** A family's patients, how many of them are held out and their number ranges (in order). */
    public record Family(String name, int patients, int heldOut, List<Range> ranges) {
        /** The family as printed: its name, or a note when the ids are digits only. */
        public String label() { return name.isEmpty() ? "(digits only)" : name; }
    }

    /**
     * The held-out patients (by {@link Splitter#groupKey}), per family in name order, and how many patients have
     * no number in their id (never held out).
     */
    public record Holdout(Set<String> patients, List<Family> families, int withoutNumber, double fraction, End end) {
        public Holdout {
            patients = Set.copyOf(patients);
            families = List.copyOf(families);
        }

        public boolean holds(Sample s) { return patients.contains(Splitter.groupKey(s)); }
    }

    /** A patient id split into family and number; null when the id has no digit. */
    record Numbered(String id, String family, String digits, BigInteger number) {
        static Numbered of(String id) {
            if (id == null) return null;
            int end = id.length() - 1;
            while (end >= 0 && !isDigit(id.charAt(end))) end--;
            if (end < 0) return null;
            int start = end;
            while (start > 0 && isDigit(id.charAt(start - 1))) start--;
            String digits = id.substring(start, end + 1);
            return new Numbered(id, id.substring(0, start) + id.substring(end + 1), digits, new BigInteger(digits));
        }

        // ASCII only: Character.isDigit would take other scripts' digits, which BigInteger reads differently
        private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }
    }

    /** Family of a patient id ({@code IM-0115} → {@code IM-}); null when the id has no digit. */
    public static String family(String patientId) {
        Numbered n = Numbered.of(patientId);
        return n == null ? null : n.family();
    }

    /** Which patients of {@code samples} form the held-out batch; {@code fraction} in (0, 0.5). */
    public static Holdout holdout(List<Sample> samples, double fraction, End end) {
        if (!(fraction > 0 && fraction < 0.5))
            throw new IllegalArgumentException("the batch fraction must be in (0, 0.5), not " + fraction);
        Map<String, List<Numbered>> byFamily = new TreeMap<>();
        Set<String> seen = new HashSet<>(), unnumbered = new HashSet<>();
        for (Sample s : samples) {
            String key = Splitter.groupKey(s);
            if (!seen.add(key)) continue;
            // a sample without a patient id is grouped by its file; a number in a file name says nothing of the batch
            Numbered n = key.equals(s.patientId()) ? Numbered.of(key) : null;
            if (n == null) unnumbered.add(key);
            else byFamily.computeIfAbsent(n.family(), k -> new ArrayList<>()).add(n);
        }
        Set<String> held = new HashSet<>();
        List<Family> families = new ArrayList<>();
        for (Map.Entry<String, List<Numbered>> e : byFamily.entrySet())
            families.add(holdFamily(e.getKey(), e.getValue(), fraction, end, held));
        return new Holdout(held, families, unnumbered.size(), fraction, end);
    }

    private static Family holdFamily(String name, List<Numbered> patients, double fraction, End end, Set<String> held) {
        List<Numbered> sorted = new ArrayList<>(patients);
        // by number, then id, so two ids with the same number ("IM-115", "IM-0115") still have one order
        sorted.sort(Comparator.comparing(Numbered::number).thenComparing(Numbered::id));
        int n = sorted.size();
        int k = (int) Math.round(fraction * n);
        int early = end == End.LATE ? 0 : k;
        int late = end == End.EARLY ? 0 : Math.min(k, n - early);
        List<Range> ranges = new ArrayList<>();
        if (early > 0) ranges.add(new Range(sorted.get(0).digits(), sorted.get(early - 1).digits()));
        if (late > 0) ranges.add(new Range(sorted.get(n - late).digits(), sorted.get(n - 1).digits()));
        for (int i = 0; i < early; i++) held.add(sorted.get(i).id());
        for (int i = n - late; i < n; i++) held.add(sorted.get(i).id());
        return new Family(name, n, early + late, Collections.unmodifiableList(ranges));
    }

    /**
     * The held-out batch as split "test"; everyone else split patient-grouped and class-stratified into train and
     * val in the proportions {@code train : val} by {@link Splitter} (with {@code seed}). Same order as
     * {@code samples}; any split they carried is ignored.
     */
    public static List<Sample> assign(List<Sample> samples, Holdout holdout, double train, double val, long seed) {
        return Splitter.assignAround(samples, holdout::holds, train, val, seed);
    }
}
