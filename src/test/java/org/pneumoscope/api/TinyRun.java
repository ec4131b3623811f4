package org.pneumoscope.api;

import org.pneumoscope.model.XrayNet;
import org.pneumoscope.train.Models;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A finished run folder holding an initialised, untrained quarter-width ResNet-18: enough to exercise every inference
 * path in a second, with the input recipe and calibration a caller chooses.
 */
public final class TinyRun {
    private TinyRun() {}

    public static Path make(Path dir, Map<String, Object> overrides, boolean storeRecipe) throws IOException {
        Map<String, Object> o = new HashMap<>();
        o.put("model", "resnet18");
        o.put("width", 0.25);
        o.put("size", 64);
        o.put("head", "linear");
        o.putAll(overrides);
        TrainConfig cfg = TrainConfig.fromMap(o);
        RunFolder run = new RunFolder(dir);
        try (XrayNet net = Models.build(cfg, false, null)) {
            net.save(run.modelParams());
        }
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("config", cfg.toMap());
        if (storeRecipe) card.put("input", cfg.input().toMap());
        card.put("temperature", 1.5);
        RunFolder.JSON.writeValue(run.modelJson().toFile(), card);
        return dir;
    }
}
