package org.pneumoscope.pipeline;

import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.Splitter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which of a set of films a run has already seen, by its {@code split.csv}: the same file, or another film of a patient
 * in the run's train, val or test split. Scoring films the run trained on flatters it; fitting the calibration on its
 * test films makes the test figures judge their own fit. {@code checked} is false for a run without a readable
 * split.csv (nothing can be said).
 *
 * @param images   films of the set that are files of the run's split, per split (train, val, test)
 * @param patients films of the set whose patient id is in the run's split (possibly other films), per split
 * @param n        films in the set
 */
public record TrainingOverlap(boolean checked, Map<String, Integer> images, Map<String, Integer> patients, int n) {

    /** What a run's split.csv says of {@code samples}. */
    public static TrainingOverlap of(TrainedModel model, List<Sample> samples) {
        Index idx = Index.of(model);
        if (idx == null) return new TrainingOverlap(false, zeros(), zeros(), samples.size());
        Map<String, Integer> images = zeros(), patients = zeros();
        for (Sample s : samples) {
            String sp = idx.fileSplit().get(key(s.file()));
            if (sp != null) images.merge(sp, 1, Integer::sum);
            for (String p : idx.patientSplits(s)) patients.merge(p, 1, Integer::sum);
        }
        return new TrainingOverlap(true, images, patients, samples.size());
    }

    /** The films the run has not learnt from or chosen by, and those it has; {@code checked} false as for {@link #of}. */
    public record Unseen(boolean checked, List<Sample> kept, List<Sample> leftOut) {}

    /**
     * Keeps the films that are neither files of the run's train or val split nor films of a patient in them: what an
     * honest score of the run may use when a set overlaps its training data (films of its test patients stay).
     */
    public static Unseen unseen(TrainedModel model, List<Sample> samples) {
        Index idx = Index.of(model);
        if (idx == null) return new Unseen(false, samples, List.of());
        List<Sample> kept = new ArrayList<>(), out = new ArrayList<>();
        for (Sample s : samples) {
            String sp = idx.fileSplit().get(key(s.file()));
            Set<String> ps = idx.patientSplits(s);
            boolean seen = "train".equals(sp) || "val".equals(sp) || ps.contains("train") || ps.contains("val");
            (seen ? out : kept).add(s);
        }
        return new Unseen(true, kept, out);
    }

    /** The run's split.csv by file and by patient; null when it has none or cannot be read. */
    private record Index(Map<Path, String> fileSplit, Map<String, Set<String>> patients) {
        static Index of(TrainedModel model) {
            Path csv = model.run().split();
            if (!Files.isRegularFile(csv)) return null;
            DatasetScan scan;
            try {
                scan = DatasetReader.read(csv);
            } catch (UserException e) {
                return null;
            }
            Map<Path, String> fileSplit = new HashMap<>();
            Map<String, Set<String>> patientSplits = new HashMap<>();
            for (Sample s : scan.samples()) {
                if (s.split() == null) continue;
                fileSplit.put(key(s.file()), s.split());
                if (s.patientId() != null && !s.patientId().isBlank())
                    patientSplits.computeIfAbsent(s.patientId(), k -> new HashSet<>()).add(s.split());
            }
            return new Index(fileSplit, patientSplits);
        }

        /** The run's splits holding films of {@code s}'s patient. */
        Set<String> patientSplits(Sample s) {
            return s.patientId() == null ? Set.of() : patients.getOrDefault(s.patientId(), Set.of());
        }
    }

    private static Path key(Path file) { return file.toAbsolutePath().normalize(); }

    private static Map<String, Integer> zeros() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String s : Splitter.SPLITS) m.put(s, 0);
        return m;
    }

    /** True when some film is a training film or belongs to a training patient. */
    public boolean trainedOn() { return images.get("train") > 0 || patients.get("train") > 0; }

    /**
     * The warning evaluate prints, writes into metrics.json and shows on top of the report; null when the films are
     * new to the run (or nothing could be checked).
     */
    public String warning() {
        if (!trainedOn()) return null;
        return String.format(Locale.ROOT, "these figures are optimistic: %d of the %d films are the run's own training films "
                        + "and %d are films of patients it trained on (by patient id)%s. Evaluate on films the run never saw, "
                        + "e.g. its test split (the default without --data).", images.get("train"), n, patients.get("train"),
                images.get("val") > 0 ? String.format(Locale.ROOT, "; %d more chose its epoch and calibration", images.get("val")) : "");
    }

    /**
     * Refuses to fit a calibration on films of the run's training or test split: on training films the network is
     * overconfident in a way new films will not show, and calibrating on the test films leaves no honest test of it.
     */
    public void refuseForCalibration(String source) {
        int train = images.get("train"), test = images.get("test");
        if (train == 0 && test == 0) return;
        throw new UserException(String.format(Locale.ROOT, "refusing to calibrate on %s: %d of its %d films are in the run's "
                + "training split and %d in its test split. Calibrate on the run's validation split (the default without "
                + "--data) or on labelled films the run never saw.", source, train, n, test));
    }

    /** metrics.json's {@code training_overlap}: what was checked and found. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("checked", checked);
        m.put("images_in_run_split", images);
        m.put("images_of_run_patients", patients);
        String w = warning();
        if (w != null) m.put("warning", w);
        return m;
    }
}
