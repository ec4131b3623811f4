package org.pneumoscope.experiment;

import org.pneumoscope.train.TrainConfig;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One configuration being compared: its folder-safe name, an optional description, the settings that make it
 * this cell (its own keys and grid values) and the fully resolved training config.
 */
public record Cell(String name, String description, Map<String, Object> settings, TrainConfig config) {
    public Cell {
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /** The cell's value of a config key, as people write it. */
    public String value(String key) {
        Object v = config.toMap().get(key);
        return ExperimentSpec.format(v);
    }

    /** "augment none, balance none" — the settings in one line. */
    public String settingsText() {
        if (settings.isEmpty()) return "(base config)";
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Object> e : settings.entrySet()) {
            if (b.length() > 0) b.append(", ");
            b.append(e.getKey()).append(' ').append(ExperimentSpec.format(e.getValue()));
        }
        return b.toString();
    }

    /** The keys among {@code keys} whose values differ between {@code cells} (what a results table shows). */
    public static List<String> differing(List<Cell> cells, List<String> keys) {
        List<String> out = new java.util.ArrayList<>();
        for (String k : keys) {
            java.util.Set<String> vals = new java.util.HashSet<>();
            for (Cell c : cells) vals.add(c.value(k));
            if (vals.size() > 1 || cells.size() == 1) out.add(k);
        }
        return out;
    }
}
