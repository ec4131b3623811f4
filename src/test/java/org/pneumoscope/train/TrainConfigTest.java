package org.pneumoscope.train;

import com.fasterxml.jackson.core.type.TypeReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.augment.Recipe;
import org.pneumoscope.cli.CliRun;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.Contrast;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.model.Arch;
import org.pneumoscope.model.Head;
import org.pneumoscope.model.Norm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Choices are parsed once, when a config is read, and written back as the YAML and model.json of old runs hold them. */
class TrainConfigTest {

    @Test
    void theStyleMixingConfigDiffersFromTheDefaultOnlyInMixing() {
        Map<String, Object> cpu = Presets.resolve("configs/cpu.yaml", Map.of()).toMap();
        Map<String, Object> mixing = Presets.resolve("configs/cpu-mixstyle.yaml", Map.of()).toMap();
        assertEquals(0.5, mixing.remove("mixstyle"));
        assertEquals(0.0, cpu.remove("mixstyle"));
        assertEquals(cpu, mixing);
    }

    @Test
    void aBadChoiceInAPresetIsRefusedWithTheKeyAndTheChoices(@TempDir Path dir) throws Exception {
        Path preset = dir.resolve("mine.yaml");
        Files.writeString(preset, "model: resnet18\nbalance: sometimes\n");
        UserException e = assertThrows(UserException.class, () -> Presets.resolve(preset.toString(), Map.of()));
        assertEquals(2, e.exitCode());
        assertEquals("config: balance must be none, oversample or weights, not sometimes", e.getMessage());
    }

    @Test
    void aBadChoiceOnTheCommandLineIsRefusedBeforeAnyDataIsRead(@TempDir Path dir) {
        UserException e = assertThrows(UserException.class, () -> Presets.resolve("cpu", Map.of("select", "best")));
        assertTrue(e.getMessage().contains("select must be val_loss or val_acc, not best"), e.getMessage());

        CliRun r = CliRun.of("train", "--data", dir.resolve("absent").toString(), "--out", dir.resolve("run").toString(),
                "--set", "schedule=linear");
        assertEquals(2, r.code());
        assertTrue(r.all().contains("schedule must be plateau, cosine or constant, not linear"), r.all());
    }

    @Test
    void choicesReadAnyCaseAndTheirAliasesAndAreWrittenInTheirOneSpelling() {
        TrainConfig c = TrainConfig.fromMap(Map.of("model", "ResNet34", "augment", "off", "calibration", "bcts",
                "select", "VAL_ACC", "contrast", "Equalize"));
        assertEquals(Arch.RESNET34, c.model());
        assertEquals(Recipe.NONE, c.augment());
        assertEquals(Calibration.Method.BIAS_CORRECTED, c.calibration());
        assertEquals(TrainConfig.Select.VAL_ACC, c.select());
        assertEquals(Contrast.EQUALIZE, c.contrastMode());
        Map<String, Object> m = c.toMap();
        assertEquals("resnet34", m.get("model"));
        assertEquals("none", m.get("augment"));
        assertEquals("bias-corrected", m.get("calibration"));
        assertEquals("val_acc", m.get("select"));
        assertEquals("equalize", m.get("contrast"));
        assertEquals(c, TrainConfig.fromMap(TrainConfig.readYaml(new java.io.ByteArrayInputStream(
                c.toYaml().getBytes(java.nio.charset.StandardCharsets.UTF_8)), "round trip")));
    }

    /** The config of a model.json written before contrast, calibration, early_size and norm were keys. */
    @Test
    void anOldModelCardStillLoads(@TempDir Path dir) throws Exception {
        String card = """
                {"format": "pneumoscope-model/1", "config": {"model": "resnet18", "size": 64, "channels": 1, "head": "linear",
                 "width": 0.5, "batch": 16, "epochs": 1, "lr": 0.002, "optimizer": "adamw", "weight_decay": 0.05,
                 "schedule": "cosine", "warmup_epochs": 1.0, "plateau_patience": 5, "plateau_factor": 0.5,
                 "plateau_min_delta": 0.01, "early_stop_patience": 0, "select": "val_loss", "seed": 11,
                 "freeze_through": "none", "weights": null, "augment": "light", "augment_copies": 0, "balance": "weights",
                 "label_smoothing": 0.1, "mixup": 0.0, "ema": 0.99, "l2": 0.0, "resize": "letterbox", "split": "8:1:1",
                 "loader_threads": 0, "max_minutes": 0.0, "tta": false}}
                """;
        Path f = dir.resolve("model.json");
        Files.writeString(f, card);
        Map<String, Object> read = RunFolder.JSON.readValue(f.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
        @SuppressWarnings("unchecked") Map<String, Object> old = (Map<String, Object>) read.get("config");
        TrainConfig c = TrainConfig.fromMap(old);
        assertEquals(Arch.RESNET18, c.model());
        assertEquals(Head.LINEAR, c.head());
        assertEquals(Optimizer.Kind.ADAMW, c.optimizer());
        assertEquals(LrSchedule.Kind.COSINE, c.schedule());
        assertEquals(TrainConfig.Balance.WEIGHTS, c.balance());
        assertEquals(Recipe.LIGHT, c.augment());
        assertEquals(ResizeMode.LETTERBOX, c.resizeMode());
        // keys the card predates take their defaults
        assertEquals(Contrast.NONE, c.contrast());
        assertEquals(Calibration.Method.TEMPERATURE, c.calibration());
        assertEquals(Norm.BATCH, c.norm());
        // and every key it has is written back as it was
        Map<String, Object> back = c.toMap();
        old.forEach((k, v) -> assertEquals(String.valueOf(v), String.valueOf(back.get(k)), k));
    }

    @Test
    void everyShippedPresetParsesAndSaysWhatItIs() throws Exception {
        Path configs = Path.of("configs"); // the tests run from the checkout's top
        int n = 0;
        try (var files = Files.list(configs)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                Map<String, Object> yaml = TrainConfig.readYaml(f);
                TrainConfig c = TrainConfig.fromMap(yaml);
                assertTrue(c.size() > 0, f.toString());
                assertTrue(Files.readString(f).startsWith("description: "), f + " says what it is and what it measured");
                n++;
            }
        }
        assertTrue(n >= 5, "the presets in " + configs + ": " + n);
    }
}
