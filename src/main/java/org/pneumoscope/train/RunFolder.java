package org.pneumoscope.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.ProcessMemory;
import org.pneumoscope.data.Csv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The files of one training run. Everything a later command (evaluate, explain, serve) needs is here. */
public record RunFolder(Path dir) {
    public Path config() { return dir.resolve("config.yaml"); }
    public Path split() { return dir.resolve("split.csv"); }
    public Path metricsCsv() { return dir.resolve("metrics.csv"); }
    public Path metricsJson() { return dir.resolve("metrics.json"); }
    public Path log() { return dir.resolve("train.log"); }
    public Path lastCheckpoint() { return dir.resolve("checkpoints").resolve("last.ckpt"); }
    public Path bestParams() { return dir.resolve("checkpoints").resolve("best.params"); }
    public Path modelParams() { return dir.resolve("model.params"); }
    public Path modelJson() { return dir.resolve("model.json"); }
    /** The BatchNorm statistics the run's validation films make: what {@code adapt --method relative} measures from. */
    public Path validationStatistics() { return dir.resolve("batchnorm-validation.bin"); }
    public Path testDir() { return dir.resolve("test"); }
    /** Site profiles: the run's network adapted to another site's films (see {@code adapt}), one folder each. */
    public Path profilesDir() { return dir.resolve("profiles"); }

    /** The folder of profile {@code name}, after checking the name is one a profile may have. */
    public Path profileDir(String name) {
        String why = profileNameProblem(name);
        if (why != null) throw new org.pneumoscope.core.UserException("profile name '" + name + "': " + why, 2);
        return profilesDir().resolve(name);
    }

    /** The names of the run's profiles, sorted. */
    public List<String> profiles() throws IOException {
        if (!Files.isDirectory(profilesDir())) return List.of();
        try (var s = Files.list(profilesDir())) {
            return s.filter(d -> Files.isRegularFile(d.resolve("model.params")))
                    .map(d -> d.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    /** Why {@code name} cannot name a profile folder, or null: letters, digits, '.', '_', '-', at most 64, not hidden. */
    public static String profileNameProblem(String name) {
        if (name == null || name.isEmpty()) return "empty";
        if (name.length() > 64) return "longer than 64 characters";
        if (name.startsWith(".")) return "may not start with '.'";
        if (!name.matches("[A-Za-z0-9._-]+")) return "use only letters, digits, '.', '_' and '-'";
        return null;
    }

    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A finished run has its final model and card; a run without them can be resumed. */
    public boolean complete() { return Files.isRegularFile(modelParams()) && Files.isRegularFile(modelJson()); }

    /** metrics.csv and metrics.json: one row per epoch; the JSON also says what made the run ({@link Provenance}). */
    public void writeHistory(List<Trainer.EpochStats> history, Provenance provenance) throws IOException {
        List<String> header = new ArrayList<>(List.of("epoch", "train_loss", "train_acc", "val_loss", "val_acc"));
        for (String c : Label.ids()) header.add("val_recall_" + c);
        header.addAll(List.of("lr", "img_per_s", "elapsed_s"));
        StringBuilder csv = new StringBuilder(Csv.record(header));
        List<Map<String, Object>> json = new ArrayList<>();
        for (Trainer.EpochStats e : history) {
            List<Object> row = new ArrayList<>(List.of(e.epoch(), f("%.6f", e.trainLoss()), f("%.6f", e.trainAcc()),
                    f("%.6f", e.valLoss()), f("%.6f", e.valAcc())));
            for (double r : e.valRecall()) row.add(f("%.6f", r));
            row.addAll(List.of(f("%.6g", e.lr()), f("%.2f", e.imgPerSec()), f("%.1f", e.seconds())));
            csv.append(Csv.record(row));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("epoch", e.epoch());
            m.put("train_loss", finite(e.trainLoss()));
            m.put("train_acc", finite(e.trainAcc()));
            m.put("val_loss", finite(e.valLoss()));
            m.put("val_acc", finite(e.valAcc()));
            Map<String, Object> rec = new LinkedHashMap<>();
            for (int i = 0; i < e.valRecall().length; i++) rec.put(Label.of(i).id(), finite(e.valRecall()[i]));
            m.put("val_recall", rec);
            m.put("lr", e.lr());
            m.put("img_per_s", e.imgPerSec());
            m.put("elapsed_s", e.seconds());
            json.add(m);
        }
        AtomicFiles.writeString(metricsCsv(), csv.toString());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("epochs", json);
        // the process's high-water mark so far (Java heap + native PyTorch memory); the last write is the end of training
        root.put("peak_rss_mb", ProcessMemory.orNull(ProcessMemory.peakRssMb()));
        root.put("provenance", provenance.toMap());
        AtomicFiles.writeString(metricsJson(), JSON.writeValueAsString(root));
    }

    public static Double finite(double d) { return Double.isFinite(d) ? d : null; }

    private static String f(String format, double v) { return String.format(Locale.ROOT, format, v); }
}
