package org.pneumoscope.experiment;

import org.pneumoscope.core.UserException;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.train.Presets;
import org.pneumoscope.train.TrainConfig;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What an experiment compares, as written in its YAML file:
 * <pre>
 * name: sweep
 * description: batch size against learning rate
 * preset: cpu                 # base preset (a name or a YAML file)
 * base: {epochs: 10}          # overrides applied to every cell
 * cells:                      # explicit named cells (optional) ...
 *   - name: 1-original
 *     description: no augmentation, no balancing
 *     set: {augment: none, balance: none}
 * grid:                       # ... and/or a cartesian product over any config keys (optional)
 *   batch: [8, 16, 32]
 *   lr: [1.0e-3, 1.0e-4]
 * folds: 5                    # K: each cell x fold trains on K-1 folds and selects on the held-out one
 * test_fraction: 0.1          # patient-grouped test split, fixed before the folds, shared by every cell
 * holdout: patient            # or batch: the test split is the lowest-numbered test_fraction of each file-name
 *                             # family's patients (data.BatchSplit), a proxy for films from another batch;
 *                             # or texture: the blurriest 25 % of normal-class patients plus a random test_fraction
 *                             # of the others (data.TextureSplit), a proxy for blurrier normals from another batch;
 *                             # or shape: the same with the narrowest-chested normals (highest gradient anisotropy),
 *                             # a proxy for normals from differently shaped originals
 * seed: 42                    # seed of the test split and the folds
 * data: ../data               # optional; relative to this file
 * </pre>
 * With both cells and a grid, every cell is crossed with every grid point. A config value is decided by, in
 * rising precedence: the preset, {@code base} (command-line overrides join it), the cell's {@code set}, the
 * grid point.
 */
public record ExperimentSpec(String name, String description, String preset, Map<String, Object> base,
                             List<CellSpec> cells, Map<String, List<Object>> grid, int folds, double testFraction,
                             SplitStrategy holdout, long seed, Path data, String source) {

    /** One named cell: its own config settings. */
    public record CellSpec(String name, String description, Map<String, Object> set) {
        public CellSpec {
            set = Collections.unmodifiableMap(new LinkedHashMap<>(set));
        }
    }

    public static final int DEFAULT_FOLDS = 5;
    public static final double DEFAULT_TEST_FRACTION = 0.1;
    public static final long DEFAULT_SEED = 42;
    /** The experiments shipped in {@code configs/experiments/}. */
    public static final List<String> BUNDLED = List.of("cases", "sweep", "freeze", "head");

    private static final Set<String> TOP_KEYS = Set.of("name", "description", "preset", "base", "cells", "grid",
            "folds", "test_fraction", "holdout", "seed", "data");

    public ExperimentSpec {
        base = Collections.unmodifiableMap(new LinkedHashMap<>(base));
        cells = List.copyOf(cells);
        Map<String, List<Object>> g = new LinkedHashMap<>();
        grid.forEach((k, v) -> g.put(k, List.copyOf(v)));
        grid = Collections.unmodifiableMap(g);
        if (folds < 2 || folds > 20) throw bad(source, "folds must be 2..20, not " + folds);
        if (!(testFraction > 0 && testFraction < 0.5)) throw bad(source, "test_fraction must be in (0, 0.5), not " + testFraction);
        if (holdout == null) holdout = SplitStrategy.PATIENT;
        Set<String> names = new HashSet<>();
        for (CellSpec c : cells) {
            if (!names.add(c.name())) throw bad(source, "two cells are named '" + c.name() + "'");
            for (String k : c.set().keySet())
                if (grid.containsKey(k))
                    throw bad(source, "'" + k + "' is set by cell '" + c.name() + "' and is also a grid axis; choose one");
        }
        for (Map.Entry<String, List<Object>> e : grid.entrySet())
            if (e.getValue().isEmpty()) throw bad(source, "grid axis '" + e.getKey() + "' has no values");
    }

    // ------------------------------------------------------------------ reading

    /** Reads a spec file; relative {@code data} and {@code preset} paths are taken from the file's folder. */
    public static ExperimentSpec read(Path file) {
        if (!Files.isRegularFile(file)) throw new UserException("experiment spec not found: " + file, 2);
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString(), file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UserException("cannot read experiment spec " + file + ": " + e.getMessage());
        }
    }

    /**
     * A shipped experiment: {@code configs/experiments/NAME.yaml} under the installation folder (so an edited
     * copy wins), else the copy bundled in the jar.
     */
    public static ExperimentSpec bundled(String name) {
        String home = System.getProperty("pneumoscope.home");
        Path onDisk = Path.of(home == null ? "." : home, "configs", "experiments", name + ".yaml");
        if (Files.isRegularFile(onDisk)) return read(onDisk);
        String res = "/configs/experiments/" + name + ".yaml";
        try (InputStream in = ExperimentSpec.class.getResourceAsStream(res)) {
            if (in == null) throw new UserException("no bundled experiment '" + name + "' (have: " + String.join(", ", BUNDLED) + ")", 2);
            return parse(in, "bundled " + res.substring(1), null);
        } catch (IOException e) {
            throw new UserException("cannot read bundled experiment " + name + ": " + e.getMessage());
        }
    }

    /** Parses spec YAML text (for tests and tools). */
    public static ExperimentSpec parse(String yaml, String sourceName) {
        return parse(new java.io.ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), sourceName, null);
    }

    static ExperimentSpec parse(InputStream in, String source, Path dir) {
        Object o;
        try {
            o = new Yaml().load(in);
        } catch (RuntimeException e) {
            throw bad(source, "not valid YAML: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
        if (!(o instanceof Map)) throw bad(source, "must be a YAML mapping (name, preset, base, cells, grid, folds, ...)");
        Map<?, ?> m = (Map<?, ?>) o;
        for (Object k : m.keySet())
            if (!TOP_KEYS.contains(String.valueOf(k)))
                throw bad(source, "unknown key '" + k + "' (known: " + String.join(", ", new java.util.TreeSet<>(TOP_KEYS)) + ")");
        String name = str(m.get("name"));
        if (name == null) name = source.replaceAll(".*[/\\\\]", "").replaceAll("\\.ya?ml$", "");
        String preset = str(m.get("preset"));
        if (preset != null && dir != null && (preset.endsWith(".yaml") || preset.endsWith(".yml")) && !Path.of(preset).isAbsolute())
            preset = dir.resolve(preset).normalize().toString();
        Map<String, Object> base = configMap(m.get("base"), source, "base");
        List<CellSpec> cells = new ArrayList<>();
        Object cs = m.get("cells");
        if (cs != null) {
            if (!(cs instanceof List)) throw bad(source, "cells must be a list of {name, description, set}");
            for (Object c : (List<?>) cs) cells.add(cell(c, source));
        }
        Map<String, List<Object>> grid = new LinkedHashMap<>();
        Object g = m.get("grid");
        if (g != null) {
            if (!(g instanceof Map)) throw bad(source, "grid must map config keys to lists of values");
            for (Map.Entry<?, ?> e : ((Map<?, ?>) g).entrySet()) {
                String key = key(e.getKey(), source, "grid");
                Object v = e.getValue();
                grid.put(key, v instanceof List ? new ArrayList<>((List<?>) v) : new ArrayList<>(List.of(v)));
            }
        }
        int folds = (int) num(m.get("folds"), DEFAULT_FOLDS, source, "folds");
        double tf = num(m.get("test_fraction"), DEFAULT_TEST_FRACTION, source, "test_fraction");
        SplitStrategy holdout = holdout(m.get("holdout"), source);
        long seed = (long) num(m.get("seed"), DEFAULT_SEED, source, "seed");
        Path data = null;
        String d = str(m.get("data"));
        if (d != null) data = dir == null ? Path.of(d) : dir.resolve(d).normalize();
        return new ExperimentSpec(name, str(m.get("description")), preset, base, cells, grid, folds, tf, holdout, seed, data, source);
    }

    private static SplitStrategy holdout(Object o, String source) {
        if (o == null) return SplitStrategy.PATIENT;
        try {
            return SplitStrategy.parse(String.valueOf(o));
        } catch (IllegalArgumentException e) {
            throw bad(source, "holdout: " + e.getMessage());
        }
    }

    private static CellSpec cell(Object c, String source) {
        if (!(c instanceof Map)) throw bad(source, "each cell must be a mapping with name, description and set");
        Map<?, ?> m = (Map<?, ?>) c;
        String name = str(m.get("name"));
        if (name == null) throw bad(source, "a cell has no name");
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._=+-]*"))
            throw bad(source, "cell name '" + name + "' must be letters, digits and . _ = + - (it names a folder)");
        Map<String, Object> set = new LinkedHashMap<>(configMap(m.get("set"), source, "cell " + name));
        // config keys may also sit directly in the cell, next to its name
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String k = String.valueOf(e.getKey());
            if (k.equals("name") || k.equals("description") || k.equals("set")) continue;
            set.put(key(k, source, "cell " + name), e.getValue());
        }
        return new CellSpec(name, str(m.get("description")), set);
    }

    private static Map<String, Object> configMap(Object o, String source, String where) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (o == null) return out;
        if (!(o instanceof Map)) throw bad(source, where + " must be a mapping of config key: value");
        for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) out.put(key(e.getKey(), source, where), e.getValue());
        return out;
    }

    private static String key(Object k, String source, String where) {
        String key = String.valueOf(k).replace('-', '_');
        if (!TrainConfig.DEFAULTS.containsKey(key))
            throw bad(source, where + ": unknown config key '" + k + "' (known: " + String.join(", ", TrainConfig.keys()) + ")");
        return key;
    }

    private static String str(Object o) {
        if (o == null) return null;
        String s = String.valueOf(o).trim();
        return s.isEmpty() ? null : s;
    }

    private static double num(Object o, double dflt, String source, String key) {
        if (o == null) return dflt;
        try {
            return Double.parseDouble(String.valueOf(o).trim());
        } catch (NumberFormatException e) {
            throw bad(source, key + " must be a number, not '" + o + "'");
        }
    }

    static UserException bad(String source, String msg) {
        return new UserException("experiment " + (source == null ? "spec" : source) + ": " + msg, 2);
    }

    // ------------------------------------------------------------------ command-line adjustments

    public ExperimentSpec withPreset(String p) {
        return new ExperimentSpec(name, description, p, base, cells, grid, folds, testFraction, holdout, seed, data, source);
    }

    public ExperimentSpec withFolds(int k) {
        return new ExperimentSpec(name, description, preset, base, cells, grid, k, testFraction, holdout, seed, data, source);
    }

    public ExperimentSpec withTestFraction(double f) {
        return new ExperimentSpec(name, description, preset, base, cells, grid, folds, f, holdout, seed, data, source);
    }

    public ExperimentSpec withHoldout(SplitStrategy h) {
        return new ExperimentSpec(name, description, preset, base, cells, grid, folds, testFraction, h, seed, data, source);
    }

    public ExperimentSpec withSeed(long s) {
        return new ExperimentSpec(name, description, preset, base, cells, grid, folds, testFraction, holdout, s, data, source);
    }

    public ExperimentSpec withData(Path d) {
        return new ExperimentSpec(name, description, preset, base, cells, grid, folds, testFraction, holdout, seed, d, source);
    }

    /**
     * Command-line overrides: a single value joins {@code base} (or, for a grid key, narrows that axis to the
     * one value); a list replaces or adds a grid axis.
     */
    public ExperimentSpec withCommandLine(Map<String, List<Object>> values) {
        Map<String, Object> b = new LinkedHashMap<>(base);
        Map<String, List<Object>> g = new LinkedHashMap<>(grid);
        for (Map.Entry<String, List<Object>> e : values.entrySet()) {
            String k = e.getKey().replace('-', '_');
            if (!TrainConfig.DEFAULTS.containsKey(k))
                throw new UserException("unknown config key '" + e.getKey() + "' (known: " + String.join(", ", TrainConfig.keys()) + ")", 2);
            List<Object> v = e.getValue();
            if (v.size() > 1 || g.containsKey(k)) {
                for (CellSpec c : cells)
                    if (c.set().containsKey(k))
                        throw new UserException("--" + k.replace('_', '-') + " " + join(v) + ": '" + k + "' is set by the experiment's cell '"
                                + c.name() + "', so it cannot also be a grid axis", 2);
                g.put(k, v);
                b.remove(k);
            } else {
                b.put(k, v.get(0));
            }
        }
        return new ExperimentSpec(name, description, preset, b, cells, g, folds, testFraction, holdout, seed, data, source);
    }

    // ------------------------------------------------------------------ expansion

    /** Names of the config keys a cell or grid axis sets (what distinguishes the cells). */
    public List<String> varyingKeys() {
        List<String> keys = new ArrayList<>();
        for (CellSpec c : cells) for (String k : c.set().keySet()) if (!keys.contains(k)) keys.add(k);
        for (String k : grid.keySet()) if (!keys.contains(k)) keys.add(k);
        return keys;
    }

    /** Every cell with its resolved config, in file order (cells outer, grid axes in order, last fastest). */
    public List<Cell> expand() {
        String p = preset == null ? Presets.DEFAULT : preset;
        Map<String, Object> presetValues = Presets.load(p);
        List<CellSpec> named = cells.isEmpty() ? List.of(new CellSpec("", null, Map.of())) : cells;
        List<Map<String, Object>> points = gridPoints();
        List<Cell> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (CellSpec c : named) {
            for (Map<String, Object> point : points) {
                Map<String, Object> settings = new LinkedHashMap<>(c.set());
                settings.putAll(point);
                Map<String, Object> all = new LinkedHashMap<>(presetValues);
                all.putAll(base);
                all.putAll(settings);
                String cellName = cellName(c.name(), point);
                if (cellName.isEmpty()) cellName = name == null ? "base" : name;
                TrainConfig cfg;
                try {
                    cfg = TrainConfig.fromMap(all);
                } catch (UserException e) {
                    throw new UserException("cell " + cellName + ": " + e.getMessage(), e.exitCode());
                }
                if (!names.add(cellName)) throw bad(source, "two cells end up named '" + cellName + "'");
                out.add(new Cell(cellName, c.description(), settings, cfg));
            }
        }
        return out;
    }

    private List<Map<String, Object>> gridPoints() {
        List<Map<String, Object>> points = new ArrayList<>();
        points.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<Object>> axis : grid.entrySet()) {
            List<Map<String, Object>> next = new ArrayList<>();
            for (Map<String, Object> p : points)
                for (Object v : axis.getValue()) {
                    Map<String, Object> q = new LinkedHashMap<>(p);
                    q.put(axis.getKey(), v);
                    next.add(q);
                }
            points = next;
        }
        return points;
    }

    /** "1-original" + {lr: 1e-4} → "1-original_lr=1e-4"; folder-safe. */
    static String cellName(String named, Map<String, Object> point) {
        StringBuilder b = new StringBuilder(named == null ? "" : named);
        for (Map.Entry<String, Object> e : point.entrySet()) {
            if (b.length() > 0) b.append('_');
            b.append(e.getKey()).append('=').append(format(e.getValue()));
        }
        return b.toString().replaceAll("[^A-Za-z0-9._=+-]", "-");
    }

    /** A value as people write it: 16, 0.05, 1e-4, layer3.2. */
    public static String format(Object v) {
        if (v == null) return "null";
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 1e9) return Long.toString((long) d);
            if (d != 0 && Math.abs(d) < 0.01) {
                String[] p = String.format(Locale.ROOT, "%.4e", d).split("e");
                String mant = p[0].replaceAll("0+$", "").replaceAll("\\.$", "");
                return mant + "e" + Integer.parseInt(p[1]);
            }
            return new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
        }
        return String.valueOf(v);
    }

    static String join(List<Object> v) {
        List<String> s = new ArrayList<>();
        for (Object o : v) s.add(format(o));
        return String.join(",", s);
    }
}
