package org.pneumoscope.data;

import org.pneumoscope.core.UserException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leak check run after every split is chosen, whoever chose it (a dataset's own folders, a manifest's split
 * column, {@code --keep-existing}, a proxy split, a fold): no patient may have images in two of train, val and test,
 * or the model is tested on people it trained on. A leak is refused with the patients named, or, when asked,
 * repaired by moving each such patient's images into the split that holds most of them (ties: train, then val, then
 * test, so the test split never gains a patient it did not hold alone).
 */
public final class SplitCheck {
    private SplitCheck() {}

    /** Patients listed in a refusal before "... and N more". */
    static final int LIST_LIMIT = 20;

    /** One patient found in several splits: images per split, in train, val, test order. */
    public record Leak(String patient, Map<String, Integer> imagesBySplit) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(patient).append(" (");
            imagesBySplit.forEach((s, n) -> b.append(b.charAt(b.length() - 1) == '(' ? "" : ", ").append(s).append(' ').append(n));
            return b.append(')').toString();
        }
    }

    /**
     * What was checked: {@code patients} with a split, grouped by their ids read by {@code ids}; {@code regrouped}
     * patients moved into one split (0 when none leaked or the check was not asked to repair).
     */
    public record Result(int patients, int regrouped, PatientIds.Rule ids) {
        /** One sentence for reports and the console. */
        public String text() {
            return String.format(Locale.ROOT, "Leak check after the split was chosen: %,d patients (manifest ids read %s), "
                    + "none in two of train, val and test%s.", patients, ids == PatientIds.Rule.NAMING
                    ? "by the file-name rule, so NORMAL2-IM-0383 and IM-0383 are one patient" : "as written", regrouped == 0 ? ""
                    : String.format(Locale.ROOT, " after %,d patient(s) found in several splits were moved into one (--regroup)", regrouped));
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("patients", patients);
            m.put("patients_in_several_splits", 0);
            m.put("regrouped", regrouped);
            m.put("patient_ids", ids == PatientIds.Rule.NAMING ? "naming-rule" : "verbatim");
            return m;
        }
    }

    /** The samples, possibly regrouped, and what the check found. */
    public record Checked(List<Sample> samples, Result result) {}

    /** Patients whose images sit in more than one of train, val and test (samples without a split are ignored), by id. */
    public static List<Leak> leaks(List<Sample> samples) {
        List<Leak> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Integer>> e : bySplit(samples).entrySet())
            if (e.getValue().size() > 1) out.add(new Leak(e.getKey(), e.getValue()));
        return out;
    }

    /**
     * Checks {@code samples}: without a leak they come back as they are; with one, {@code regroup} moves each leaking
     * patient into one split, otherwise the check refuses with the patients listed and {@code remedy} (what the
     * user can do, e.g. "add --regroup to ...").
     */
    public static Checked check(List<Sample> samples, boolean regroup, PatientIds.Rule ids, String remedy) {
        Map<String, Map<String, Integer>> by = bySplit(samples);
        List<Leak> leaks = leaks(samples);
        if (leaks.isEmpty()) return new Checked(samples, new Result(by.size(), 0, ids));
        if (!regroup) throw new UserException(refusal(leaks, remedy));
        return new Checked(regroup(samples, by), new Result(by.size(), leaks.size(), ids));
    }

    /** "3 patient(s) have images in more than one split ...: IM-0383 (train 2, test 1), ...; remedy". */
    static String refusal(List<Leak> leaks, String remedy) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%,d patient(s) have images in more than one of "
                + "train, val and test, so the model would be tested on people it trained on: ", leaks.size()));
        for (int i = 0; i < Math.min(LIST_LIMIT, leaks.size()); i++) b.append(i == 0 ? "" : "; ").append(leaks.get(i));
        if (leaks.size() > LIST_LIMIT) b.append("; ... and ").append(leaks.size() - LIST_LIMIT).append(" more");
        return b.append(". ").append(remedy).toString();
    }

    private static List<Sample> regroup(List<Sample> samples, Map<String, Map<String, Integer>> by) {
        Map<String, String> home = new TreeMap<>();
        by.forEach((p, counts) -> {
            String best = null;
            for (Map.Entry<String, Integer> c : counts.entrySet()) // in train, val, test order: ties keep the earlier
                if (best == null || c.getValue() > counts.get(best)) best = c.getKey();
            home.put(p, best);
        });
        List<Sample> out = new ArrayList<>(samples.size());
        for (Sample s : samples)
            out.add(s.split() == null || !Splitter.SPLITS.contains(s.split()) ? s : s.withSplit(home.get(Splitter.groupKey(s))));
        return out;
    }

    /** Patient to images per split (train, val, test order), for the samples that have one of those splits. */
    private static Map<String, Map<String, Integer>> bySplit(List<Sample> samples) {
        Map<String, Map<String, Integer>> by = new TreeMap<>();
        for (Sample s : samples) {
            if (s.split() == null || !Splitter.SPLITS.contains(s.split())) continue;
            by.computeIfAbsent(Splitter.groupKey(s),
                    k -> new TreeMap<>((a, b) -> Integer.compare(Splitter.SPLITS.indexOf(a), Splitter.SPLITS.indexOf(b))))
                    .merge(s.split(), 1, Integer::sum);
        }
        return by;
    }
}
