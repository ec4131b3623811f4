package org.pneumoscope.experiment;

import com.fasterxml.jackson.core.type.TypeReference;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.pipeline.ModelInfo;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pneumoscope.pipeline.FoldPlan;

/**
 * An experiment ready to run: its cells with resolved configs, the data partition, and notes worth reading
 * before hours of training (overrides that a cell replaces, freezing without pretrained weights).
 */
public record ExperimentPlan(ExperimentSpec spec, List<Cell> cells, FoldPlan folds, Path data, List<String> notes) {

    /** One training run: a cell on a fold (0-based). */
    public record Unit(Cell cell, int fold) {
        public String label() { return cell.name() + " fold " + (fold + 1); }
    }

    public ExperimentPlan {
        cells = List.copyOf(cells);
        notes = List.copyOf(notes);
    }

    /** Reads the data, partitions it and resolves every cell; fails early on anything that would fail later. */
    public static ExperimentPlan build(ExperimentSpec spec, Path data, Map<String, Object> commandLineSingles) {
        if (data == null) throw new UserException("experiment needs --data (a dataset folder or manifest)", 2);
        List<Cell> cells = spec.expand();
        List<String> notes = new ArrayList<>();
        for (String k : commandLineSingles.keySet()) {
            List<String> shadowed = new ArrayList<>();
            for (Cell c : cells) if (c.settings().containsKey(k)) shadowed.add(c.name());
            if (!shadowed.isEmpty())
                notes.add("--" + k.replace('_', '-') + " is replaced by the cell's own value in " + String.join(", ", shadowed));
        }
        for (Cell c : cells)
            if (!"none".equals(c.config().freezeThrough()) && c.config().weights() == null) {
                notes.add("cells freeze layers but no pretrained weights are given (--weights FILE): frozen layers keep their random start");
                break;
            }
        checkLayers(cells);
        DatasetScan scan = DatasetReader.read(data).requireAllClasses();
        if (!scan.problems().isEmpty())
            notes.add(scan.problems().size() + " input(s) in " + data + " could not be read and are left out, first: " + scan.problems().get(0));
        FoldPlan folds = FoldPlan.make(scan.samples(), spec.folds(), spec.testFraction(), spec.holdout(), spec.seed());
        return new ExperimentPlan(spec, cells, folds, data.toAbsolutePath().normalize(), notes);
    }

    /** A bad freeze_through name is caught now rather than when its cell starts training. */
    private static void checkLayers(List<Cell> cells) {
        Map<String, List<String>> layersOf = new HashMap<>();
        for (Cell c : cells) {
            TrainConfig cfg = c.config();
            if (cfg.weights() != null || "none".equals(cfg.freezeThrough())) continue;
            String key = cfg.model() + "/" + cfg.head();
            List<String> layers = layersOf.computeIfAbsent(key, k -> ModelInfo.layerNames(cfg));
            if (!layers.contains(cfg.freezeThrough()))
                throw new UserException("cell " + c.name() + ": freeze_through '" + cfg.freezeThrough() + "' is not a layer of "
                        + cfg.model() + " (layers: none, " + String.join(", ", layers) + ")", 2);
        }
    }

    /** Every cell × fold, fold-major: all cells finish fold 1 before any starts fold 2, so a stopped run still compares them. */
    public List<Unit> units() {
        List<Unit> u = new ArrayList<>();
        for (int f = 0; f < folds.folds(); f++) for (Cell c : cells) u.add(new Unit(c, f));
        return u;
    }

    public Cell cell(String name) {
        for (Cell c : cells) if (c.name().equals(name)) return c;
        throw new UserException("no cell named '" + name + "' in this experiment");
    }

    /** Config keys that tell the cells apart, for tables. */
    public List<String> keyColumns() {
        List<String> k = Cell.differing(cells, spec.varyingKeys());
        return k.isEmpty() ? spec.varyingKeys() : k;
    }

    // ------------------------------------------------------------------ layout of the output folder

    public static Path cellDir(Path out, String cell) { return out.resolve("cells").resolve(cell); }

    public static Path unitDir(Path out, String cell, int fold) { return cellDir(out, cell).resolve("fold-" + (fold + 1)); }

    /** Written last in a unit folder: its presence means the cell × fold is finished. */
    public static Path resultFile(Path out, String cell, int fold) { return unitDir(out, cell, fold).resolve("result.json"); }

    // ------------------------------------------------------------------ plan.json (what child processes read)

    public void writeJson(Path file) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", spec.name());
        m.put("description", spec.description());
        m.put("source", spec.source());
        m.put("data", data.toString());
        m.put("folds", spec.folds());
        m.put("test_fraction", spec.testFraction());
        m.put("holdout", spec.holdout().id());
        m.put("seed", spec.seed());
        m.put("preset", spec.preset());
        m.put("varying_keys", spec.varyingKeys());
        List<Map<String, Object>> cs = new ArrayList<>();
        for (Cell c : cells) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("name", c.name());
            cm.put("description", c.description());
            cm.put("settings", c.settings());
            cm.put("config", c.config().toMap());
            cs.add(cm);
        }
        m.put("cells", cs);
        m.put("notes", notes);
        AtomicFiles.writeString(file, RunFolder.JSON.writeValueAsString(m));
    }

    /** The plan a parent process wrote into {@code out}: plan.json and split.csv. */
    @SuppressWarnings("unchecked")
    public static ExperimentPlan readFrom(Path out) throws IOException {
        Path pj = out.resolve("plan.json"), split = out.resolve("split.csv");
        if (!java.nio.file.Files.isRegularFile(pj) || !java.nio.file.Files.isRegularFile(split))
            throw new UserException(out + " is not an experiment folder (no plan.json / split.csv)");
        Map<String, Object> m = RunFolder.JSON.readValue(pj.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
        List<Cell> cells = new ArrayList<>();
        for (Object o : (List<Object>) m.get("cells")) {
            Map<String, Object> cm = (Map<String, Object>) o;
            cells.add(new Cell((String) cm.get("name"), (String) cm.get("description"),
                    (Map<String, Object>) cm.get("settings"), TrainConfig.fromMap((Map<String, Object>) cm.get("config"))));
        }
        ExperimentSpec spec = new ExperimentSpec((String) m.get("name"), (String) m.get("description"), (String) m.get("preset"),
                Map.of(), List.of(), Map.of(), ((Number) m.get("folds")).intValue(), ((Number) m.get("test_fraction")).doubleValue(),
                SplitStrategy.parse(String.valueOf(m.getOrDefault("holdout", SplitStrategy.PATIENT.id()))),
                ((Number) m.get("seed")).longValue(), Path.of((String) m.get("data")), (String) m.get("source"));
        FoldPlan folds = FoldPlan.read(split);
        return new ExperimentPlan(spec, cells, folds, Path.of((String) m.get("data")), (List<String>) m.getOrDefault("notes", List.of()));
    }

    // ------------------------------------------------------------------ the printed plan

    /** The plan as people read it before starting: data, partition, cells and their configs, and the estimate. */
    public String describe(TimeEstimate estimate, int parallel) {
        StringBuilder b = new StringBuilder();
        b.append("experiment ").append(spec.name()).append('\n');
        if (spec.description() != null) b.append(wrap(spec.description(), "  ", 100));
        b.append("  spec:  ").append(spec.source()).append('\n');
        b.append(String.format(Locale.ROOT, "  data:  %s: %s from %,d patients%n", data,
                FoldPlan.countsText(sum(folds.testCounts(), poolCounts())), folds.patients()));
        b.append(testLine());
        b.append(wrap(String.format(Locale.ROOT, "folds: %d, grouped by patient and stratified (seed %d); each run trains on %d fold%s "
                + "(~%,d images), picks its epoch on the held-out fold (~%,d), whose figures rank the cells, and is scored "
                + "once on the %s", spec.folds(), spec.seed(), spec.folds() - 1, spec.folds() == 2 ? "" : "s",
                total(folds.trainCounts(0)), total(folds.valCounts(0)), ResultTables.splitName(spec.holdout())), "  ", 100));
        List<String> keys = keyColumns();
        b.append(String.format(Locale.ROOT, "  runs:  %d cell(s) × %d folds = %d training runs%n", cells.size(), spec.folds(),
                cells.size() * spec.folds()));
        b.append(wrap("shared config: " + sharedConfig(keys), "  ", 100));
        int w = 4, cw = 6;
        for (Cell c : cells) { w = Math.max(w, c.name().length()); cw = Math.max(cw, c.settingsText().length()); }
        String row = "  %-" + w + "s  %-" + cw + "s %10s %10s %10s%n";
        b.append(String.format(Locale.ROOT, row, "cell", "config", "img/epoch", "epochs", "est./run"));
        for (Cell c : cells) {
            int perEpoch = ModelInfo.epochLength(c.config(), folds.trainCounts(0));
            String est = estimate == null ? "-" : org.pneumoscope.core.Progress.clock(estimate.unitSeconds(c));
            b.append(String.format(Locale.ROOT, row, c.name(), c.settingsText(), String.format(Locale.ROOT, "%,d", perEpoch),
                    Integer.toString(c.config().epochs()), est));
            if (c.description() != null) b.append(wrap(c.description(), "  " + " ".repeat(w + 4), 100));
        }
        for (String n : notes) b.append("  note: ").append(n).append('\n');
        if (estimate != null) b.append(estimate.summary(this, parallel));
        return b.toString();
    }

    /** What the fixed test split is: a share of patients, the early batch of each family, or the blurriest normals. */
    private String testLine() {
        String counts = FoldPlan.countsText(folds.testCounts());
        String what = switch (spec.holdout()) {
            case PATIENT -> null;
            case BATCH -> String.format(Locale.ROOT, "the lowest-numbered %.0f %% of each file-name family's patients",
                    100 * spec.testFraction());
            case TEXTURE, SHAPE -> ResultTables.textureText(spec.holdout(), spec.testFraction());
        };
        if (what == null)
            return String.format(Locale.ROOT, "  test:  %.0f %% of patients, fixed for every cell: %s%n", 100 * spec.testFraction(), counts);
        // wrap() joins words with one space; the label keeps its column
        return wrap("test: " + ResultTables.splitName(spec.holdout()) + ": " + what + ", fixed for every cell: " + counts, "  ", 99)
                .replaceFirst("test: ", "test:  ");
    }

    /** Word-wraps {@code text} to lines of at most {@code width} characters, each starting with {@code indent}. */
    static String wrap(String text, String indent, int width) {
        StringBuilder b = new StringBuilder();
        StringBuilder line = new StringBuilder(indent);
        boolean empty = true;
        for (String word : text.trim().split("\\s+")) {
            if (!empty && line.length() + 1 + word.length() > width) {
                b.append(line).append('\n');
                line = new StringBuilder(indent).append("  "); // continuation lines hang
                empty = true;
            }
            if (!empty) line.append(' ');
            line.append(word);
            empty = false;
        }
        return b.append(line).append('\n').toString();
    }

    private int[] poolCounts() {
        int[] a = folds.trainCounts(0), v = folds.valCounts(0);
        return sum(a, v);
    }

    private static int[] sum(int[] a, int[] b) {
        int[] c = new int[a.length];
        for (int i = 0; i < a.length; i++) c[i] = a[i] + b[i];
        return c;
    }

    static int total(int[] c) { int t = 0; for (int x : c) t += x; return t; }

    /** The config values every cell shares, in one line (the keys that differ are in the cell table). */
    private String sharedConfig(List<String> differing) {
        Map<String, Object> first = cells.get(0).config().toMap();
        List<String> parts = new ArrayList<>();
        if (spec.preset() != null) parts.add("preset " + spec.preset());
        for (Map.Entry<String, Object> e : first.entrySet()) {
            String k = e.getKey();
            if (differing.contains(k)) continue;
            boolean same = true;
            for (Cell c : cells) if (!c.value(k).equals(ExperimentSpec.format(e.getValue()))) { same = false; break; }
            if (same) parts.add(k + " " + ExperimentSpec.format(e.getValue()));
        }
        return String.join(", ", parts);
    }
}
