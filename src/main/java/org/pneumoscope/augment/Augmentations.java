package org.pneumoscope.augment;

import org.pneumoscope.core.Choices;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Ready-made pipelines and a loader for pipelines written in config files.
 *
 * <p>A spec is a list of steps, each a map {@code {name, p, params}}; {@code OneOf} and {@code Compose} take a
 * {@code transforms} list instead of params. Names and parameter names follow albumentations
 * ({@code ShiftScaleRotate}, {@code shift_limit}, ...). {@code p} defaults to 1 (always), unlike albumentations'
 * 0.5, because a config that omits it almost always means "apply". Example (YAML):
 * <pre>
 * - {name: HorizontalFlip, p: 0.5}
 * - {name: OneOf, p: 0.5, transforms: [{name: Blur, params: {blur_limit: 4}}, {name: MotionBlur}]}
 * - {name: ShiftScaleRotate, p: 0.3, params: {shift_limit: 0.2, scale_limit: 0.1, rotate_limit: 20}}
 * </pre>
 */
public final class Augmentations {
    private Augmentations() {}

    public static final List<String> NAMES = Arrays.stream(Recipe.values()).map(Recipe::id).toList();

    /** Exactly the seed study's albumentations pipeline (see shared/seed-study.md). */
    public static Transform seedRecipe() {
        return Compose.of(
                Maybe.of(0.5, new HorizontalFlip()),
                OneOf.of(0.3, RandomGamma.of(80, 120)),
                OneOf.of(0.5, Blur.of(4), MotionBlur.of(4)),
                OneOf.of(0.3, ElasticTransform.of(60, 9, 1.8), GridDistortion.defaults(), new OpticalDistortion(0.3, 0.1)),
                Maybe.of(0.3, new ShiftScaleRotate(0.2, 0.1, 20)));
    }

    /** Gentle: positioning and exposure differences only. */
    public static Transform lightRecipe() {
        return Compose.of(
                Maybe.of(0.5, new HorizontalFlip()),
                Maybe.of(0.5, new ShiftScaleRotate(0.06, 0.05, 7)),
                Maybe.of(0.5, new BrightnessContrast(0.1, 0.1)));
    }

    /**
     * Light plus the cheap photometric transforms: exposure (gamma), sharpness (blur) and detector noise, which
     * differ between machines and acquisition batches, without light's geometry getting any wider and without the
     * elastic and grid warps whose loader cost left {@code strong} too few epochs in a 30-minute budget.
     */
    public static Transform mediumRecipe() {
        return Compose.of(
                Maybe.of(0.5, new HorizontalFlip()),
                Maybe.of(0.5, new ShiftScaleRotate(0.06, 0.05, 7)),
                Maybe.of(0.5, new BrightnessContrast(0.1, 0.1)),
                OneOf.of(0.5, RandomGamma.of(80, 125)),
                OneOf.of(0.3, Blur.of(3), MotionBlur.of(3)),
                Maybe.of(0.2, new GaussianNoise(0.005, 0.02)));
    }

    /**
     * Light plus changes of sharpness in both directions (downscaling, blur, unsharp masking) on most views, exposure
     * and noise: what differs between detectors, original resolutions and post-processing. In the Kermany films the
     * normals are sharper than the pneumonia films (they come from larger originals); randomising sharpness in every
     * class keeps a network from learning "sharp = normal" and calling blurrier normals from another batch pneumonia.
     */
    public static Transform acquisitionRecipe() {
        return Compose.of(
                Maybe.of(0.5, new HorizontalFlip()),
                Maybe.of(0.5, new ShiftScaleRotate(0.06, 0.05, 7)),
                acquisitionSteps());
    }

    /** What the acquisition and framing recipes share after their geometry: exposure, sharpness both ways, noise. */
    private static Transform acquisitionSteps() {
        return Compose.of(
                Maybe.of(0.5, new BrightnessContrast(0.1, 0.1)),
                OneOf.of(0.5, RandomGamma.of(80, 125)),
                OneOf.of(0.8, new Downscale(0.45, 0.85), Blur.of(3), new Sharpen(0.3, 1.5, 1.0)),
                Maybe.of(0.3, new GaussianNoise(0.005, 0.02)));
    }

    /**
     * The acquisition recipe with the framing drawn anew on most views ({@link Reframe}: zoom 0.85-1.4, aspect ±12 %,
     * shift ±6 %) in place of its small shift-scale-rotate, whose rotation stays. The training normals are framed
     * wider than the pneumonia films, and a network that learns it calls tightly framed normals pneumonia.
     */
    public static Transform framingRecipe() {
        return Compose.of(
                Maybe.of(0.5, new HorizontalFlip()),
                Maybe.of(0.8, new Reframe(0.85, 1.4, 0.12, 0.06)),
                Maybe.of(0.3, new ShiftScaleRotate(0, 0, 7)),
                acquisitionSteps());
    }

    /**
     * The framing recipe with the chest's shape drawn too, on every view: each film is stretched across or down
     * until its {@link Anisotropy} is one drawn from 1.4-2.3 (the training films' 13th to 93rd percentile, every class
     * pooled), then zoomed, stretched by up to ±12 % and shifted as in the framing recipe. Kermany's normals come from
     * differently shaped originals than its pneumonia films, so after the squash to a square their chests look wider
     * (median 1.49 against 1.74-1.80 at 128 px, equalised); drawn this way, the class medians sit within 5 % of each
     * other and a network cannot read the label from the shape.
     */
    public static Transform shapeRecipe() {
        return Compose.of(
                Maybe.of(0.5, new HorizontalFlip()),
                new Reframe(0.85, 1.4, 0.12, 0.06, 1.4, 2.3),
                Maybe.of(0.3, new ShiftScaleRotate(0, 0, 7)),
                acquisitionSteps());
    }

    /** The seed recipe's transforms, more often and wider, plus exposure changes and detector noise. */
    public static Transform strongRecipe() {
        return Compose.of(
                Maybe.of(0.5, new HorizontalFlip()),
                OneOf.of(0.5, RandomGamma.of(70, 150)),
                OneOf.of(0.5, Blur.of(5), MotionBlur.of(5)),
                OneOf.of(0.5, ElasticTransform.of(90, 9, 2.5), new GridDistortion(5, 0.4), new OpticalDistortion(0.4, 0.1)),
                Maybe.of(0.7, new ShiftScaleRotate(0.2, 0.15, 25)),
                Maybe.of(0.5, new BrightnessContrast(0.2, 0.2)),
                Maybe.of(0.3, new GaussianNoise(0.005, 0.03)));
    }

    /** A {@link Recipe} by name (any case; "off" is "none"). */
    public static Transform named(String name) {
        Recipe r = Choices.find(Recipe.class, name);
        if (r == null)
            throw new IllegalArgumentException("unknown augmentation recipe '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        return r.transform();
    }

    /**
     * A recipe name (String), a spec list, or a map holding one under "transforms"/"augment"/"pipeline"/"recipe":
     * what a config file's {@code augment:} entry may contain.
     */
    @SuppressWarnings("unchecked")
    public static Transform from(Object spec) {
        if (spec == null) return named("none");
        if (spec instanceof String) return named((String) spec);
        if (spec instanceof List) return fromSpec((List<Map<String, Object>>) spec);
        if (spec instanceof Map) {
            Map<String, Object> m = (Map<String, Object>) spec;
            for (String key : List.of("transforms", "augment", "augmentation", "pipeline", "recipe"))
                if (m.containsKey(key)) return from(m.get(key));
            if (m.containsKey("name")) return fromSpec(List.of(m));
        }
        throw new IllegalArgumentException("augmentation must be a recipe name or a list of {name, p, params} steps, got: " + spec);
    }

    /** Parses a YAML document holding a recipe name, a step list, or a map with such a list (see {@link #from}). */
    public static Transform fromYaml(String yamlText) {
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(yamlText);
        return from(doc);
    }

    /** Builds a pipeline from steps {@code {name, p, params}}; see the class comment. */
    public static Transform fromSpec(List<Map<String, Object>> steps) {
        List<Transform> out = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            Object o = steps.get(i);
            if (!(o instanceof Map)) throw new IllegalArgumentException("augmentation step " + (i + 1) + " is not a map: " + o);
            try {
                out.add(step(castMap(o)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("augmentation step " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return out.size() == 1 ? out.get(0) : new Compose(out);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) { return (Map<String, Object>) o; }

    @SuppressWarnings("unchecked")
    private static Transform step(Map<String, Object> m) {
        Set<String> allowedTop = Set.of("name", "p", "params", "transforms");
        for (String k : m.keySet())
            if (!allowedTop.contains(k)) throw new IllegalArgumentException("unknown key '" + k + "' (use name, p, params, transforms)");
        Object nameObj = m.get("name");
        if (!(nameObj instanceof String)) throw new IllegalArgumentException("missing 'name'");
        String name = (String) nameObj;
        double p = m.containsKey("p") ? num(m.get("p"), "p") : 1.0;
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException(name + ": p must be in [0,1], got " + p);
        String key = name.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
        if (key.equals("oneof") || key.equals("compose")) {
            Object ts = m.get("transforms");
            if (!(ts instanceof List) || ((List<?>) ts).isEmpty())
                throw new IllegalArgumentException(name + " needs a non-empty 'transforms' list");
            List<Transform> children = new ArrayList<>();
            for (Object c : (List<Object>) ts) {
                if (!(c instanceof Map)) throw new IllegalArgumentException(name + ": each of 'transforms' must be a map");
                children.add(step(castMap(c)));
            }
            if (key.equals("oneof")) return new OneOf(p, children);
            Transform c = new Compose(children);
            return p >= 1 ? c : new Maybe(p, c);
        }
        Object rawParams = m.getOrDefault("params", Map.of());
        if (!(rawParams instanceof Map)) throw new IllegalArgumentException(name + ": 'params' must be a map");
        Params params = new Params(name, castMap(rawParams));
        Transform t = leaf(key, name, params);
        params.checkAllUsed();
        return p >= 1 ? t : new Maybe(p, t);
    }

    private static Transform leaf(String key, String name, Params q) {
        switch (key) {
            case "horizontalflip": case "hflip": case "flip":
                return new HorizontalFlip();
            case "randomgamma": case "gamma": {
                double[] g = q.range("gamma_limit", 80, 120);
                return new RandomGamma(g[0], g[1]);
            }
            case "blur": case "boxblur": {
                double[] k = q.kernelRange("blur_limit", 7);
                return new Blur((int) k[0], (int) k[1]);
            }
            case "motionblur": {
                double[] k = q.kernelRange("blur_limit", 7);
                return new MotionBlur((int) k[0], (int) k[1]);
            }
            case "elastictransform": case "elastic":
                return new ElasticTransform(q.num("alpha", 1), q.num("sigma", 50), q.num("alpha_affine", 50),
                        (int) q.num("reference_size", ElasticTransform.SEED_STUDY_SIZE));
            case "griddistortion": case "grid":
                return new GridDistortion((int) q.num("num_steps", 5), q.num("distort_limit", 0.3));
            case "opticaldistortion": case "optical":
                return new OpticalDistortion(q.num("distort_limit", 0.05), q.num("shift_limit", 0.05));
            case "shiftscalerotate": case "ssr":
                return new ShiftScaleRotate(q.num("shift_limit", 0.0625), q.num("scale_limit", 0.1), q.num("rotate_limit", 45));
            case "reframe": {
                double[] z = q.range("zoom_limit", 0.85, 1.4);
                double[] shape = q.range("shape_limit", 0, 0); // no range: the film's shape is left as it is
                return new Reframe(z[0], z[1], q.num("aspect_limit", 0.12), q.num("shift_limit", 0.06), shape[0], shape[1]);
            }
            case "brightnesscontrast": case "randombrightnesscontrast":
                return new BrightnessContrast(q.num("brightness_limit", 0.2), q.num("contrast_limit", 0.2));
            case "gaussnoise": case "gaussiannoise": case "noise": {
                // std_limit in [0,1] image units (albumentations' var_limit is a variance in 0..255 units).
                double[] s = q.range("std_limit", 0.01, 0.03);
                return new GaussianNoise(s[0], s[1]);
            }
            case "downscale": {
                double[] r = q.range("scale_limit", 0.25, 0.25);
                return new Downscale(r[0], r[1]);
            }
            case "sharpen": {
                double[] a = q.range("alpha", 0.2, 0.5);
                return new Sharpen(a[0], a[1], q.num("sigma", 1.0));
            }
            default:
                throw new IllegalArgumentException("unknown transform '" + name + "' (known: HorizontalFlip, RandomGamma, Blur, "
                        + "MotionBlur, ElasticTransform, GridDistortion, OpticalDistortion, ShiftScaleRotate, "
                        + "Reframe, BrightnessContrast, GaussNoise, Downscale, Sharpen, OneOf, Compose)");
        }
    }

    private static double num(Object o, String what) {
        if (o instanceof Number) return ((Number) o).doubleValue();
        throw new IllegalArgumentException(what + " must be a number, got " + o);
    }

    /** Parameter map that reports unknown or malformed keys by name. Defaults are albumentations' own. */
    private static final class Params {
        final String transform;
        final Map<String, Object> values;
        final Set<String> used = new HashSet<>();

        Params(String transform, Map<String, Object> values) {
            this.transform = transform;
            this.values = new LinkedHashMap<>(values);
        }

        double num(String key, double dflt) {
            used.add(key);
            Object o = values.get(key);
            if (o == null) return dflt;
            if (o instanceof Number) return ((Number) o).doubleValue();
            throw new IllegalArgumentException(transform + "." + key + " must be a number, got " + o);
        }

        double[] range(String key, double lo, double hi) {
            used.add(key);
            Object o = values.get(key);
            if (o == null) return new double[]{lo, hi};
            if (o instanceof List && ((List<?>) o).size() == 2) {
                List<?> l = (List<?>) o;
                return new double[]{Augmentations.num(l.get(0), transform + "." + key), Augmentations.num(l.get(1), transform + "." + key)};
            }
            throw new IllegalArgumentException(transform + "." + key + " must be a [low, high] pair, got " + o);
        }

        /** blur_limit: a number n means kernels 3..n (albumentations), or an explicit [low, high]. */
        double[] kernelRange(String key, double dflt) {
            Object o = values.get(key);
            if (o instanceof Number) {
                used.add(key);
                return new double[]{3, ((Number) o).doubleValue()};
            }
            return o == null ? new double[]{3, dflt} : range(key, 3, dflt);
        }

        void checkAllUsed() {
            for (String k : values.keySet())
                if (!used.contains(k)) throw new IllegalArgumentException(transform + ": unknown parameter '" + k + "'");
        }
    }
}
