package org.pneumoscope.train;

import com.fasterxml.jackson.annotation.JsonValue;
import org.pneumoscope.augment.Recipe;
import org.pneumoscope.core.Choice;
import org.pneumoscope.core.Choices;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.Contrast;
import org.pneumoscope.data.Detail;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.model.Arch;
import org.pneumoscope.model.Head;
import org.pneumoscope.model.Norm;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Everything a training run depends on. Loaded as: built-in defaults (the seed study's settings)
 * &lt;- a YAML preset &lt;- command-line overrides; written back resolved into the run folder so a run
 * can be resumed or repeated exactly. YAML keys are the snake_case form of the component names.
 *
 * <p>A key that names a choice is an enum, parsed once in {@link #fromMap} (so a bad value is refused when the
 * config is read, with the key and the choices, not when training reaches it) and written back in its
 * {@link Choices#id} spelling, which is what the YAML and model.json of every run already hold.
 */
public record TrainConfig(
        Arch model,              // resnet18 | resnet34 | resnet50
        int size,                // input side in pixels (square)
        int channels,            // 1 = grey straight in; 3 = grey copied to RGB (for ImageNet-style backbones)
        Head head,               // linear | seed
        double width,            // backbone channel multiplier (1.0 = torchvision widths)
        int batch,
        int epochs,
        double lr,
        Optimizer.Kind optimizer, // adam | adamw | sgd (momentum 0.9)
        double weightDecay,
        LrSchedule.Kind schedule, // plateau | cosine | constant
        double warmupEpochs,
        int plateauPatience,     // seed: ReduceLROnPlateau(val_accuracy, patience 5, factor 0.5, min_delta 0.01)
        double plateauFactor,
        double plateauMinDelta,
        int earlyStopPatience,   // 0 = off; epochs without val-loss improvement before stopping
        Select select,           // val_loss | val_acc : which epoch's weights become the model
        long seed,
        String freezeThrough,    // none | stem | layer1 | layer2 | layer3 | layer3.2 | ...
        String weights,          // null | FILE (.pt TorchScript backbone or our .params) | imagenet
        Recipe augment,          // none | light | medium | seed | strong | acquisition | framing | shape
        int augmentCopies,       // 0 = every view augmented; N >= 1 = each epoch shows every image once as is plus N augmented copies
        Balance balance,         // none | oversample | weights
        double labelSmoothing,
        double mixup,            // mixup alpha; 0 = off
        double ema,              // EMA decay of weights; 0 = off
        double l2,               // L2 on the head's dense weights (seed: 1e-3)
        ResizeMode resize,       // squash | letterbox
        Contrast contrast,       // none | stretch | equalize : per-image grey-level normalisation
        Detail.Mode detail,      // keep | match : soften every film's fine detail to a level the training films set
        String split,            // train:val:test ratios when the data has no split column
        int loaderThreads,       // 0 = auto
        double maxMinutes,       // 0 = no limit: training stops cleanly after the epoch that crosses it
        boolean tta,             // horizontal-flip test-time augmentation at evaluation
        Calibration.Method calibration, // temperature | bias-corrected | none : fitted on the validation split
        int earlySize,           // progressive resizing: 0 = off; else the first epochs train at this smaller size
        double earlyFraction,    // ... for this fraction of the time budget (of the epochs without max_minutes)
        Norm norm,               // batch | group | ibn : the backbone's normalisation layers
        Upweight upweight,       // none | boundary | errors : training films a network misread early shown more often after
        int upweightEpoch,       // ... the epoch after which the training films are scored once
        int upweightFactor,      // ... views per epoch of each film found, against one for the others
        double mixstyle          // chance per batch of mixing films' feature statistics after layer1..layer3; 0 = off
) {

    /** Which epoch's weights become the model: the lowest validation loss or the highest validation accuracy. */
    public enum Select implements Choice {
        VAL_LOSS, VAL_ACC;

        /** "val_loss": written with an underscore since the first runs, unlike other choices. */
        @Override
        public String id() { return name().toLowerCase(Locale.ROOT); }

        @JsonValue
        @Override
        public String toString() { return id(); }
    }

    /**
     * How the classes are evened out: not at all, by showing the smaller classes' images more often, or by
     * weighting each class's loss by n/(k·n_c).
     */
    public enum Balance implements Choice {
        NONE, OVERSAMPLE, WEIGHTS;

        @JsonValue
        @Override
        public String toString() { return id(); }
    }

    /**
     * Which training films are shown more often once the network has trained a few epochs (as in "just train twice",
     * Liu et al. 2021): none, those whose prediction crosses the normal/pneumonia line (normals called pneumonia and
     * pneumonia called normal), or every film predicted wrong. A network early in training has learnt the easy cues; the
     * films those cues mislead are the ones where another cue has to be learnt.
     */
    public enum Upweight implements Choice {
        NONE, BOUNDARY, ERRORS;

        @JsonValue
        @Override
        public String toString() { return id(); }
    }

    /** The seed study's recipe (ResNet-50@224, Adam 1e-4, batch 32, 50 epochs, plateau on val acc). */
    public static final Map<String, Object> DEFAULTS = defaults();

    private static Map<String, Object> defaults() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", "resnet50");
        m.put("size", 224);
        m.put("channels", 1);
        m.put("head", "seed");
        m.put("width", 1.0);
        m.put("batch", 32);
        m.put("epochs", 50);
        m.put("lr", 1e-4);
        m.put("optimizer", "adam");
        m.put("weight_decay", 0.0);
        m.put("schedule", "plateau");
        m.put("warmup_epochs", 0.0);
        m.put("plateau_patience", 5);
        m.put("plateau_factor", 0.5);
        m.put("plateau_min_delta", 0.01);
        m.put("early_stop_patience", 0);
        m.put("select", "val_loss");
        m.put("seed", 42L);
        m.put("freeze_through", "none");
        m.put("weights", null);
        m.put("augment", "seed");
        m.put("augment_copies", 0);
        m.put("balance", "oversample");
        m.put("label_smoothing", 0.0);
        m.put("mixup", 0.0);
        m.put("ema", 0.0);
        m.put("l2", 1e-3);
        m.put("resize", "squash");
        m.put("contrast", "none");
        m.put("detail", "keep");
        m.put("split", "8:1:1");
        m.put("loader_threads", 0);
        m.put("max_minutes", 0.0);
        m.put("tta", false);
        m.put("calibration", "temperature");
        m.put("early_size", 0);
        m.put("early_fraction", 0.5);
        m.put("norm", "batch");
        m.put("upweight", "none");
        m.put("upweight_epoch", 4);
        m.put("upweight_factor", 10);
        m.put("mixstyle", 0.0);
        return java.util.Collections.unmodifiableMap(m);
    }

    public TrainConfig {
        if (Stream.of(model, head, optimizer, schedule, select, augment, balance, resize, contrast, detail, calibration, norm,
                        upweight)
                .anyMatch(Objects::isNull))
            throw new IllegalArgumentException("every choice of a config needs a value");
        check(size >= 32 && size <= 1024, "size must be 32..1024, not " + size);
        check(channels == 1 || channels == 3, "channels must be 1 or 3");
        check(width > 0 && width <= 4, "width must be in (0, 4]");
        check(batch >= 1, "batch must be >= 1");
        check(epochs >= 1, "epochs must be >= 1");
        check(lr > 0 && lr < 10, "lr must be in (0, 10)");
        check(augmentCopies >= 0 && augmentCopies <= 50, "augment_copies must be 0..50, not " + augmentCopies);
        check(labelSmoothing >= 0 && labelSmoothing < 0.5, "label_smoothing must be in [0, 0.5)");
        check(ema >= 0 && ema < 1, "ema must be in [0, 1)");
        check(earlySize == 0 || (earlySize >= 32 && earlySize < size),
                "early_size must be 0 (off) or from 32 up to below size (" + size + "), not " + earlySize);
        check(earlyFraction > 0 && earlyFraction < 1, "early_fraction must be in (0, 1), not " + earlyFraction);
        check(upweightEpoch >= 1, "upweight_epoch must be >= 1, not " + upweightEpoch);
        check(upweightFactor >= 2 && upweightFactor <= 100, "upweight_factor must be 2..100, not " + upweightFactor);
        check(mixstyle >= 0 && mixstyle <= 1, "mixstyle must be in [0, 1], not " + mixstyle);
        splitRatios(split);
    }

    private static void check(boolean ok, String msg) {
        if (!ok) throw new UserException("config: " + msg, 2);
    }

    /** "8:1:1" → {0.8, 0.1, 0.1}. */
    public static double[] splitRatios(String s) {
        String[] p = s.split(":");
        if (p.length != 3) throw new UserException("config: split must look like 8:1:1, not " + s, 2);
        double[] r = new double[3];
        double sum = 0;
        try {
            for (int i = 0; i < 3; i++) { r[i] = Double.parseDouble(p[i]); sum += r[i]; }
        } catch (NumberFormatException e) {
            throw new UserException("config: split must look like 8:1:1, not " + s, 2);
        }
        if (sum <= 0 || r[0] <= 0 || r[1] < 0 || r[2] < 0) throw new UserException("config: bad split ratios " + s, 2);
        for (int i = 0; i < 3; i++) r[i] /= sum;
        return r;
    }

    // ---- map / YAML conversion --------------------------------------------------------------

    public static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    /** Builds a config from defaults overlaid with {@code overrides} (snake_case keys); unknown keys are refused. */
    public static TrainConfig fromMap(Map<String, ?> overrides) {
        Map<String, Object> m = new LinkedHashMap<>(DEFAULTS);
        for (Map.Entry<String, ?> e : overrides.entrySet()) {
            String k = e.getKey().replace('-', '_');
            if (!m.containsKey(k))
                throw new UserException("config: unknown key '" + e.getKey() + "' (known: " + String.join(", ", DEFAULTS.keySet()) + ")", 2);
            m.put(k, e.getValue());
        }
        RecordComponent[] rc = TrainConfig.class.getRecordComponents();
        Object[] args = new Object[rc.length];
        Class<?>[] types = new Class<?>[rc.length];
        for (int i = 0; i < rc.length; i++) {
            types[i] = rc[i].getType();
            String key = snake(rc[i].getName());
            args[i] = convert(key, m.get(key), types[i]);
        }
        try {
            return TrainConfig.class.getDeclaredConstructor(types).newInstance(args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException) throw (RuntimeException) e.getCause();
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object convert(String key, Object v, Class<?> type) {
        if (type.isEnum()) return choice(key, v, (Class) type);
        try {
            if (type == String.class) {
                if (v == null) return null;
                String s = String.valueOf(v).trim();
                return s.isEmpty() || s.equals("null") ? null : s;
            }
            if (v == null) throw new UserException("config: " + key + " needs a value", 2);
            String s = String.valueOf(v).trim();
            if (type == int.class) return (int) Math.round(Double.parseDouble(s));
            if (type == long.class) return Long.parseLong(s);
            if (type == double.class) return Double.parseDouble(s);
            if (type == boolean.class) {
                if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("yes") || s.equals("1")) return true;
                if (s.equalsIgnoreCase("false") || s.equalsIgnoreCase("no") || s.equals("0")) return false;
                throw new NumberFormatException(s);
            }
        } catch (NumberFormatException e) {
            throw new UserException("config: " + key + " has a bad value '" + v + "'", 2);
        }
        throw new IllegalStateException("unsupported type " + type);
    }

    /** {@code v} as written (any case, or an alias) or already parsed; refused with the key and the choices. */
    private static <E extends Enum<E>> E choice(String key, Object v, Class<E> type) {
        if (type.isInstance(v)) return type.cast(v);
        E e = v == null ? null : Choices.find(type, String.valueOf(v));
        if (e == null) throw new UserException("config: " + key + " must be " + Choices.either(type) + ", not " + v, 2);
        return e;
    }

    /** Snake_case keys to values as YAML and model.json hold them (choices as their lower-case spelling). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (RecordComponent c : TrainConfig.class.getRecordComponents()) {
            try {
                Object v = c.getAccessor().invoke(this);
                m.put(snake(c.getName()), v instanceof Enum<?> e ? Choices.id(e) : v);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return m;
    }

    /**
     * SHA-256 of the resolved config in a canonical form: {@link #toMap} as compact JSON with the keys sorted. Two runs
     * with the same fingerprint were configured identically, whatever preset, file or options the values came from.
     */
    public String fingerprint() {
        try {
            return org.pneumoscope.data.Fingerprints.sha256(CANONICAL.writeValueAsBytes(toMap()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper CANONICAL = new com.fasterxml.jackson.databind.ObjectMapper()
            .enable(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    public TrainConfig with(Map<String, ?> overrides) {
        Map<String, Object> m = toMap();
        m.putAll(normalise(overrides));
        return fromMap(m);
    }

    public TrainConfig with(String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, value);
        return with(m);
    }

    private static Map<String, Object> normalise(Map<String, ?> in) {
        Map<String, Object> m = new LinkedHashMap<>();
        in.forEach((k, v) -> m.put(k.replace('-', '_'), v));
        return m;
    }

    public String toYaml() {
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(o).dump(toMap());
    }

    /** Reads a YAML file of overrides (a preset, or a run's resolved config). */
    public static Map<String, Object> readYaml(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return readYaml(in, file.toString());
        } catch (IOException e) {
            throw new UserException("config: cannot read " + file + ": " + e.getMessage());
        }
    }

    static Map<String, Object> readYaml(InputStream in, String name) {
        Object o;
        try {
            o = new Yaml().load(in);
        } catch (RuntimeException e) {
            throw new UserException("config: " + name + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""), 2);
        }
        if (o == null) return new LinkedHashMap<>();
        if (!(o instanceof Map)) throw new UserException("config: " + name + " must be a YAML mapping of key: value", 2);
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) o;
        Map<String, Object> r = new LinkedHashMap<>();
        m.forEach((k, v) -> { if (!k.equals("description")) r.put(String.valueOf(k), v); });
        return r;
    }

    /** How a non-square image becomes the square input (the same as {@link #resize}). */
    public ResizeMode resizeMode() { return resize; }

    /** The per-image grey-level normalisation every image gets before the network and before augmentation ({@link #contrast}). */
    public Contrast contrastMode() { return contrast; }

    /**
     * How films become this network's input, in training and inference alike, before training measures the detail
     * target of {@code detail: match} (model.json's "input" is this recipe with that target, {@code TrainJob.detailTarget}).
     */
    public InputRecipe input() { return InputRecipe.of(size, resizeMode(), contrastMode(), channels); }

    /**
     * Progressive resizing: whether the epoch starting now trains at {@link #earlySize}. With a time budget the early
     * phase is the first {@code early_fraction} of max_minutes (so it ends at the same point however fast the machine
     * is, and never comes back once passed); without one, the first {@code early_fraction} of the epochs.
     */
    public boolean earlyEpoch(int epoch, double elapsedSeconds) {
        if (earlySize <= 0) return false;
        if (maxMinutes > 0) return elapsedSeconds < earlyFraction * maxMinutes * 60;
        return epoch < Math.round(earlyFraction * epochs);
    }

    /** Names of all keys, for help texts. */
    public static List<String> keys() { return new ArrayList<>(DEFAULTS.keySet()); }
}
