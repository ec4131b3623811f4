package org.pneumoscope.pipeline;

import com.fasterxml.jackson.core.type.TypeReference;
import org.pneumoscope.core.Label;
import org.pneumoscope.model.ModelSpec;
import org.pneumoscope.model.XrayNet;
import org.pneumoscope.report.ModelCard;
import org.pneumoscope.train.Provenance;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;
import org.pneumoscope.train.Trainer;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the server says about its model: the full card for {@code GET /api/model} and a short summary attached to
 * every prediction, so a saved answer still says which model gave it and how good that model was on its test set.
 * Built once at start-up from the run folder (model.json, split.csv, test/metrics.json).
 */
public final class ModelInfo {
    public static final String INTENDED_USE = "Research use, not a medical device. " + ModelCard.INTENDED_USE;
    public static final String NOTICE = "Research use only — not a diagnosis.";

    /** Human names of the classes, in Label order. */
    public static final List<String> DISPLAY = List.of("Bacterial pneumonia", "Viral pneumonia", "Normal");

    private final Map<String, Object> card;
    private final Map<String, Object> summary;

    private ModelInfo(Map<String, Object> card, Map<String, Object> summary) {
        this.card = card;
        this.summary = summary;
    }

    /** The full card (GET /api/model). */
    public Map<String, Object> card() { return card; }

    /** Name, training data and headline test metrics (the {@code model} field of a prediction). */
    public Map<String, Object> summary() { return summary; }

    public static ModelInfo of(TrainedModel m) {
        Map<String, Object> src = m.card();
        TrainConfig cfg = m.config();
        Path runDir = m.run().dir();
        String name = name(cfg);
        DataSource data = dataSource(m.run());
        String trainedOn = trainedOn(data, src);
        Map<String, Object> test = testMetrics(m.run());

        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name);
        c.put("run", runDir.toAbsolutePath().normalize().getFileName() == null ? runDir.toString()
                : runDir.toAbsolutePath().normalize().getFileName().toString());
        if (m.profile() != null) c.put("profile", m.profile());
        c.put("format", src.get("format"));
        c.put("created", src.get("created"));
        // what made the model (from its model.json; null for runs from before it was kept), and what serves it now
        c.put("provenance", src.get("provenance"));
        c.put("served_by", served());
        List<Map<String, Object>> classes = new java.util.ArrayList<>();
        for (Label l : Label.values()) {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("index", l.index());
            k.put("id", l.id());
            k.put("name", DISPLAY.get(l.index()));
            classes.add(k);
        }
        c.put("classes", classes);
        c.put("architecture", Map.of("model", cfg.model(), "input_px", cfg.size(), "channels", cfg.channels(),
                "head", cfg.head(), "width", cfg.width(), "resize", cfg.resize(), "contrast", cfg.contrast()));
        c.put("config", cfg.toMap());
        c.put("trained_on", trainedOn);
        c.put("phantom_data", data.phantom());
        c.put("data", src.get("data"));
        c.put("best_epoch", src.get("best_epoch"));
        c.put("epochs_run", src.get("epochs_run"));
        c.put("temperature", m.temperature());
        c.put("calibration_method", m.calibration().method().id());
        if (m.calibration().shiftsClasses()) {
            Map<String, Object> offsets = new LinkedHashMap<>();
            for (Label l : Label.values()) offsets.put(l.id(), m.calibration().bias()[l.index()]);
            c.put("class_bias", offsets);
        }
        c.put("calibrated", true);
        c.put("validation", src.get("validation"));
        c.put("calibration", src.get("calibration"));
        c.put("test_metrics", test);
        if (test == null)
            c.put("test_metrics_note", "this run has no test evaluation (RUN/test/metrics.json); run: pneumoscope evaluate --run RUN");
        c.put("intended_use", INTENDED_USE);
        c.put("not_intended_for", ModelCard.NOT_INTENDED_FOR);
        c.put("limitations", ModelCard.standardLimitations(data.phantom()));
        c.put("notice", NOTICE);

        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", name);
        s.put("trained_on", trainedOn);
        s.put("metrics", headline(test, src));
        return new ModelInfo(c, s);
    }

    /** The software answering: Pneumoscope's version and commit, DJL and PyTorch. */
    static Map<String, Object> served() {
        Map<String, Object> s = Provenance.software().toMap();
        s.keySet().retainAll(List.of("pneumoscope_version", "git_commit", "git_dirty", "djl_version", "pytorch_version"));
        return s;
    }

    public static String name(TrainConfig cfg) {
        String w = cfg.width() == 1.0 ? "" : String.format(Locale.ROOT, ", width %s", trim(cfg.width()));
        return String.format(Locale.ROOT, "%s@%d (%s head%s)", cfg.model(), cfg.size(), cfg.head(), w);
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    record DataSource(String name, boolean phantom) {}

    private static final java.util.Set<String> GENERIC = java.util.Set.of("train", "val", "valid", "validation", "test",
            "images", "image", "data", "normal", "pneumonia", "bacteria", "virus");

    /** The data folder's name (from split.csv's root line) and whether it holds Pneumoscope phantoms. */
    static DataSource dataSource(RunFolder run) {
        String name = null;
        boolean phantom = false;
        if (Files.isRegularFile(run.split())) {
            try (BufferedReader r = Files.newBufferedReader(run.split(), StandardCharsets.UTF_8)) {
                for (int i = 0; i < 5; i++) {
                    String line = r.readLine();
                    if (line == null) break;
                    if (line.startsWith("#root=")) {
                        // the common folder of the images may be a split or class folder; name the dataset instead
                        Path root = Path.of(line.substring(6).trim());
                        while (root.getParent() != null && root.getFileName() != null
                                && GENERIC.contains(root.getFileName().toString().toLowerCase(Locale.ROOT)))
                            root = root.getParent();
                        if (root.getFileName() != null) name = root.getFileName().toString();
                    } else if (!line.startsWith("#") && !line.startsWith("file,")) {
                        phantom = line.contains("phantom-");
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the card still works without the data folder's name
            }
        }
        return new DataSource(name, phantom);
    }

    static String trainedOn(DataSource data, Map<String, Object> src) {
        StringBuilder b = new StringBuilder();
        if (data.phantom()) b.append("Pneumoscope phantom chest X-rays (generated, not patients)");
        else b.append(data.name() != null ? data.name() : "user-supplied chest X-rays");
        Object d = src.get("data");
        if (d instanceof Map<?, ?> splits && splits.get("train") instanceof Map<?, ?> train) {
            long total = 0;
            StringBuilder per = new StringBuilder();
            for (Label l : Label.values()) {
                long n = train.get(l.id()) instanceof Number x ? x.longValue() : 0;
                total += n;
                per.append(per.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%,d %s", n, l.id()));
            }
            b.append(String.format(Locale.ROOT, ": %,d training images (%s)", total, per));
        }
        return b.toString();
    }

    /** RUN/test/metrics.json without the reliability-diagram bins (they are for plots, not for a card). */
    static Map<String, Object> testMetrics(RunFolder run) {
        Path f = run.testDir().resolve("metrics.json");
        if (!Files.isRegularFile(f)) return null;
        try {
            Map<String, Object> m = RunFolder.JSON.readValue(f.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
            m.remove("reliability");
            return m;
        } catch (IOException e) {
            return null;
        }
    }

    /** Accuracy, macro F1 and AUC with their 95 % intervals on the test set, or validation accuracy when untested. */
    static Map<String, Object> headline(Map<String, Object> test, Map<String, Object> src) {
        Map<String, Object> h = new LinkedHashMap<>();
        if (test != null) {
            h.put("split", test.getOrDefault("split", "test"));
            h.put("n", test.get("n"));
            h.put("patients", test.get("patients"));
            Map<?, ?> ci = test.get("ci95") instanceof Map<?, ?> x ? x : Map.of();
            for (String k : List.of("accuracy", "macro_f1", "macro_auc")) {
                h.put(k, test.get(k));
                h.put(k + "_ci95", ci.get(k));
            }
            h.put("ece", test.get("ece"));
            if (test.get("per_class") instanceof Map<?, ?> pc) {
                Map<String, Object> rec = new LinkedHashMap<>();
                for (Label l : Label.values())
                    if (pc.get(l.id()) instanceof Map<?, ?> c) rec.put(l.id(), c.get("recall"));
                h.put("recall", rec);
            }
            if (ci.get("recall") != null) h.put("recall_ci95", ci.get("recall"));
        } else if (src.get("validation") instanceof Map<?, ?> v) {
            h.put("split", "validation");
            h.put("n", v.get("n"));
            h.put("accuracy", v.get("accuracy"));
            h.put("note", "no test evaluation yet; validation accuracy of the selected epoch");
        }
        return h;
    }

    /**
     * The layer names of {@code cfg}'s network, first to last, as {@code freeze_through} names them. They do not depend
     * on width or input size, so the slimmest version is built to read them.
     */
    public static List<String> layerNames(TrainConfig cfg) {
        try (XrayNet n = XrayNet.build(new ModelSpec(cfg.model(), 1, 64, cfg.head(), 0.0625, true))) {
            return new ArrayList<>(n.layerNames());
        }
    }

    /** Films one epoch of {@code cfg} draws from training splits with these class counts (oversampling counts). */
    public static int epochLength(TrainConfig cfg, int[] classCounts) {
        return Trainer.epochLength(cfg, classCounts);
    }
}
