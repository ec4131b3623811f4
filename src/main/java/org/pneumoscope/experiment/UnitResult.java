package org.pneumoscope.experiment;

import com.fasterxml.jackson.core.type.TypeReference;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Label;
import org.pneumoscope.train.RunFolder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outcome of one cell × fold, as stored in its {@code result.json} (written last, once: its presence marks
 * the run finished). The test figures are on the experiment's shared test split (a patient, batch or texture holdout),
 * after the run's calibration, scored once and never used to choose between cells. The validation figures are
 * the fold's own held-out fold at the selected epoch, as the trainer scored it (before calibration, which is fitted
 * on those images): they rank the cells. NaN when a run predates them.
 *
 * @param fold        1-based
 * @param recall      per class in label order (bacteria, virus, normal)
 * @param wallSeconds training (summed over resumed sessions) plus evaluation
 */
public record UnitResult(String cell, int fold, Map<String, String> config, double accuracy, double macroF1,
                         double[] recall, double macroAuc, double ece, int bestEpoch, int epochsRun,
                         double wallSeconds, int testImages, String stopReason,
                         double valAccuracy, double valMacroF1, int valImages) {

    public void write(Path file) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cell", cell);
        m.put("fold", fold);
        m.put("config", config);
        m.put("accuracy", finite(accuracy));
        m.put("macro_f1", finite(macroF1));
        Map<String, Object> r = new LinkedHashMap<>();
        for (Label l : Label.values()) r.put(l.id(), finite(recall[l.index()]));
        m.put("recall", r);
        m.put("macro_auc", finite(macroAuc));
        m.put("ece", finite(ece));
        m.put("best_epoch", bestEpoch);
        m.put("epochs_run", epochsRun);
        m.put("wall_seconds", wallSeconds);
        m.put("test_images", testImages);
        if (stopReason != null) m.put("stop_reason", stopReason);
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("n", valImages);
        v.put("accuracy", finite(valAccuracy));
        v.put("macro_f1", finite(valMacroF1));
        m.put("validation", v);
        AtomicFiles.writeString(file, RunFolder.JSON.writeValueAsString(m));
    }

    @SuppressWarnings("unchecked")
    public static UnitResult read(Path file) throws IOException {
        Map<String, Object> m = RunFolder.JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
        Map<String, Object> r = (Map<String, Object>) m.getOrDefault("recall", Map.of());
        double[] recall = new double[Label.COUNT];
        for (Label l : Label.values()) recall[l.index()] = num(r.get(l.id()));
        Map<String, String> cfg = new LinkedHashMap<>();
        ((Map<String, Object>) m.getOrDefault("config", Map.of())).forEach((k, v) -> cfg.put(k, String.valueOf(v)));
        Map<String, Object> v = (Map<String, Object>) m.getOrDefault("validation", Map.of());
        return new UnitResult((String) m.get("cell"), ((Number) m.get("fold")).intValue(), cfg, num(m.get("accuracy")),
                num(m.get("macro_f1")), recall, num(m.get("macro_auc")), num(m.get("ece")),
                ((Number) m.getOrDefault("best_epoch", -1)).intValue(), ((Number) m.getOrDefault("epochs_run", 0)).intValue(),
                num(m.get("wall_seconds")), ((Number) m.getOrDefault("test_images", 0)).intValue(), (String) m.get("stop_reason"),
                num(v.get("accuracy")), num(v.get("macro_f1")), ((Number) v.getOrDefault("n", 0)).intValue());
    }

    private static Double finite(double d) { return Double.isFinite(d) ? d : null; }

    private static double num(Object o) { return o instanceof Number ? ((Number) o).doubleValue() : Double.NaN; }
}
