package org.pneumoscope.cli;

import org.pneumoscope.train.Presets;
import org.pneumoscope.train.TrainConfig;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/** Preset plus command-line overrides of any training config key (shared by train, demo, experiment). */
public class ConfigOptions {
    @Option(names = "--preset", description = "cpu (default: best within 30 min on 2 cores), seed (the original study; a GPU job), demo, or a YAML file.")
    String preset;
    @Option(names = "--model", description = "resnet18 | resnet34 | resnet50") String model;
    @Option(names = "--size", description = "Input size in pixels.") Integer size;
    @Option(names = "--batch", description = "Batch size.") Integer batch;
    @Option(names = "--epochs", description = "Maximum epochs.") Integer epochs;
    @Option(names = "--lr", description = "Base learning rate.") Double lr;
    @Option(names = "--seed", description = "Random seed (split, init, order, augmentation).") Long seed;
    @Option(names = "--freeze-through", description = "none | stem | layer1 | layer2 | layer3 | layer3.2 | ...") String freezeThrough;
    @Option(names = "--head", description = "linear | seed") String head;
    @Option(names = "--weights", description = "Pretrained backbone: FILE (.pt TorchScript or a Pneumoscope model.params) or imagenet.") String weights;
    @Option(names = "--width", description = "Backbone width multiplier (1.0 = torchvision).") Double width;
    @Option(names = "--augment", description = "none | light | seed | strong") String augment;
    @Option(names = "--balance", description = "none | oversample | weights") String balance;
    @Option(names = "--set", description = "Any other config key, e.g. --set label_smoothing=0.1 (repeatable).")
    Map<String, String> set = new LinkedHashMap<>();

    public String presetName() { return preset == null ? Presets.DEFAULT : preset; }

    public Map<String, Object> overrides() {
        Map<String, Object> m = new LinkedHashMap<>();
        put(m, "model", model); put(m, "size", size); put(m, "batch", batch); put(m, "epochs", epochs);
        put(m, "lr", lr); put(m, "seed", seed); put(m, "freeze_through", freezeThrough); put(m, "head", head);
        put(m, "weights", weights); put(m, "width", width); put(m, "augment", augment); put(m, "balance", balance);
        set.forEach((k, v) -> m.put(k.replace('-', '_'), v));
        return m;
    }

    public TrainConfig resolve() { return Presets.resolve(presetName(), overrides()); }

    private static void put(Map<String, Object> m, String k, Object v) { if (v != null) m.put(k, v); }
}
