package org.pneumoscope.cli;

import org.pneumoscope.core.UserException;
import org.pneumoscope.train.Presets;
import org.pneumoscope.train.TrainConfig;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Preset plus command-line overrides of any training config key (shared by train, demo, experiment).
 * Most options accept a comma list ({@code --lr 1e-3,1e-4}): {@code train} refuses a list, the
 * {@code experiment} commands turn each list into a grid axis.
 */
public class ConfigOptions {
    @Option(names = "--preset", description = "cpu (default: best within 30 min on 2 cores), seed (the original study; a GPU job), demo, or a YAML file.")
    String preset;
    @Option(names = "--model", split = ",", description = "resnet18 | resnet34 | resnet50") List<String> model;
    @Option(names = "--size", split = ",", description = "Input size in pixels.") List<Integer> size;
    @Option(names = "--batch", split = ",", description = "Batch size.") List<Integer> batch;
    @Option(names = "--epochs", split = ",", description = "Maximum epochs.") List<Integer> epochs;
    @Option(names = "--lr", split = ",", description = "Base learning rate.") List<Double> lr;
    @Option(names = "--seed", description = "Random seed (split, init, order, augmentation).") Long seed;
    @Option(names = "--freeze-through", split = ",", description = "none | stem | layer1 | layer2 | layer3 | layer3.2 | ...") List<String> freezeThrough;
    @Option(names = "--head", split = ",", description = "linear | seed") List<String> head;
    @Option(names = "--weights", description = "Pretrained backbone: FILE (.pt TorchScript or a Pneumoscope model.params) or imagenet.") String weights;
    @Option(names = "--width", split = ",", description = "Backbone width multiplier (1.0 = torchvision).") List<Double> width;
    @Option(names = "--augment", split = ",", description = "none | light | medium | seed | strong | acquisition | framing | shape") List<String> augment;
    @Option(names = "--balance", split = ",", description = "none | oversample | weights") List<String> balance;
    @Option(names = "--set", description = "Any other config key, e.g. --set label_smoothing=0.1 (repeatable).")
    Map<String, String> set = new LinkedHashMap<>();

    public String presetName() { return preset == null ? Presets.DEFAULT : preset; }

    /** Whether --preset was given (experiments fall back to their spec's preset otherwise). */
    public boolean presetGiven() { return preset != null; }

    /** Every key given on the command line with its value(s), in option order; --set values are single. */
    public Map<String, List<Object>> values() {
        Map<String, List<Object>> m = new LinkedHashMap<>();
        put(m, "model", model); put(m, "size", size); put(m, "batch", batch); put(m, "epochs", epochs);
        put(m, "lr", lr); put(m, "seed", seed == null ? null : List.of(seed)); put(m, "freeze_through", freezeThrough);
        put(m, "head", head); put(m, "weights", weights == null ? null : List.of(weights)); put(m, "width", width);
        put(m, "augment", augment); put(m, "balance", balance);
        set.forEach((k, v) -> m.put(k.replace('-', '_'), List.of(v)));
        return m;
    }

    /** Single-valued overrides; a comma list is refused (it only makes sense for an experiment). */
    public Map<String, Object> overrides() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, List<Object>> e : values().entrySet()) {
            if (e.getValue().size() != 1)
                throw new UserException("--" + e.getKey().replace('_', '-') + " takes one value here, not " + e.getValue()
                        + " (value lists make a grid in `pneumoscope experiment`)", 2);
            m.put(e.getKey(), e.getValue().get(0));
        }
        return m;
    }

    public TrainConfig resolve() { return Presets.resolve(presetName(), overrides()); }

    private static void put(Map<String, List<Object>> m, String k, List<?> v) {
        if (v != null && !v.isEmpty()) m.put(k, new ArrayList<>(v));
    }
}
