package org.pneumoscope.train;

import org.pneumoscope.core.UserException;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Named presets shipped in {@code configs/NAME.yaml} (bundled in the jar), or any YAML file path. */
public final class Presets {
    private Presets() {}

    public static final String DEFAULT = "cpu";

    public static Map<String, Object> load(String nameOrFile) {
        Path p = Path.of(nameOrFile);
        if (nameOrFile.endsWith(".yaml") || nameOrFile.endsWith(".yml") || Files.exists(p)) {
            if (!Files.isRegularFile(p)) throw new UserException("preset file not found: " + nameOrFile, 2);
            return TrainConfig.readYaml(p);
        }
        String res = "/configs/" + nameOrFile + ".yaml";
        try (InputStream in = Presets.class.getResourceAsStream(res)) {
            if (in == null) throw new UserException("unknown preset '" + nameOrFile + "' (built in: cpu, seed, demo; or a YAML file)", 2);
            return TrainConfig.readYaml(in, res);
        } catch (java.io.IOException e) {
            throw new UserException("cannot read preset " + nameOrFile + ": " + e.getMessage());
        }
    }

    public static TrainConfig resolve(String preset, Map<String, ?> overrides) {
        Map<String, Object> m = new java.util.LinkedHashMap<>(load(preset == null ? DEFAULT : preset));
        overrides.forEach((k, v) -> m.put(k.replace('-', '_'), v));
        return TrainConfig.fromMap(m);
    }
}
