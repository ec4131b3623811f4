package org.pneumoscope.data;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How a decoded film becomes the network's input, written once for training and inference alike: resize to
 * {@code size} (by {@code resize}), map the grey scale ({@code contrast}), soften fine detail above the level
 * {@code detail} when it is positive ({@link Detail#soften}), scale to 0..1, subtract {@code mean}, divide by
 * {@code std}, and repeat the plane over {@code channels}. Training augments between the grey-scale mapping and the
 * normalisation; inference does not. The recipe is stored in model.json ({@link #toMap}) so a model is always fed
 * as it was trained, whatever the code's defaults become.
 *
 * <p>It also says which decoded images the network cannot read at all ({@link #checkUsable}): every door that takes
 * a user's film (predict, explain, the Java API, the server) refuses the same ones, with the same words.
 */
public record InputRecipe(int size, ResizeMode resize, Contrast contrast, int channels, float mean, float std,
                          double detail) {
    /** The normalisation every network here was trained with (grey levels 0..1 centred on mid-grey). */
    public static final float MEAN = 0.5f, STD = 0.25f;
    /** Smaller images carry too little detail to say anything about lungs; the network would see blur. */
    public static final int MIN_SIDE = 32;
    /** A chest radiograph is roughly square; a 6:1 strip is a cropped fragment or a banner, not a chest. */
    public static final double MAX_ASPECT = 5.0;

    public InputRecipe {
        if (size < 8) throw new IllegalArgumentException("input size must be at least 8 px, got " + size);
        if (channels < 1) throw new IllegalArgumentException("channels must be at least 1, got " + channels);
        if (!(std > 0)) throw new IllegalArgumentException("std must be positive, got " + std);
        if (resize == null || contrast == null) throw new IllegalArgumentException("resize and contrast are required");
        if (!(detail >= 0)) throw new IllegalArgumentException("detail must be 0 (keep) or a positive level, got " + detail);
    }

    /** A recipe that keeps each film's own fine detail. */
    public InputRecipe(int size, ResizeMode resize, Contrast contrast, int channels, float mean, float std) {
        this(size, resize, contrast, channels, mean, std, 0);
    }

    public static InputRecipe of(int size, ResizeMode resize, Contrast contrast, int channels) {
        return new InputRecipe(size, resize, contrast, channels, MEAN, STD);
    }

    /** The same recipe at another size (progressive resizing trains its first epochs smaller). */
    public InputRecipe withSize(int s) {
        return new InputRecipe(s, resize, contrast, channels, mean, std, detail);
    }

    /** The same recipe softening every film to the detail {@code level} (0 keeps each film's own). */
    public InputRecipe withDetail(double level) {
        return new InputRecipe(size, resize, contrast, channels, mean, std, level);
    }

    /** A decoded film at the network's size. */
    public GreyImage fit(GreyImage decoded) {
        return Preprocess.resize(decoded, size, resize);
    }

    /** The grey image the network sees (augmentation, in training, starts from it): the film after {@link #fit}. */
    public GreyImage grey(GreyImage fitted) {
        GreyImage mapped = contrast.apply(fitted);
        return detail > 0 ? Detail.soften(mapped, detail) : mapped;
    }

    /** Normalised CHW input of one film already {@link #fit fitted}. */
    public float[] tensor(GreyImage fitted) {
        GreyImage g = grey(fitted);
        if (g.width() != size || g.height() != size)
            throw new IllegalArgumentException("image must be " + size + "x" + size + ", got " + g.width() + "x" + g.height());
        byte[] p = g.pixels();
        float[] unit = new float[p.length];
        for (int i = 0; i < p.length; i++) unit[i] = (p[i] & 0xff) / 255f;
        float[] x = new float[channels * p.length];
        normalise(unit, x, 0);
        return x;
    }

    /**
     * Writes one plane of grey levels in 0..1 ({@code unit}) into {@code dst} at {@code off}, normalised and repeated
     * over the channels: the last step of {@link #tensor}, and of every training batch after augmentation.
     */
    public void normalise(float[] unit, float[] dst, int off) {
        int plane = unit.length;
        for (int k = 0; k < plane; k++) dst[off + k] = (unit[k] - mean) / std;
        for (int c = 1; c < channels; c++) System.arraycopy(dst, off, dst, off + c * plane, plane);
    }

    /**
     * Refuses a decoded image that cannot be a chest radiograph worth classifying: too small, a strip, or blank.
     * {@code name} is how the image is named in the message (a file path, or "upload").
     */
    public static void checkUsable(GreyImage g, String name) throws DecodeException {
        int w = g.width(), h = g.height();
        if (w < MIN_SIDE || h < MIN_SIDE)
            throw unusable(name, String.format(Locale.ROOT, "the image is %d×%d px; at least %d×%d px are needed",
                    w, h, MIN_SIDE, MIN_SIDE));
        double aspect = Math.max(w, h) / (double) Math.min(w, h);
        if (aspect > MAX_ASPECT)
            throw unusable(name, String.format(Locale.ROOT,
                    "the image is %d×%d px (aspect ratio %.1f:1); a chest radiograph is at most %.0f:1", w, h, aspect, MAX_ASPECT));
        byte[] px = g.pixels();
        byte first = px[0];
        for (int i = 1; i < px.length; i++) if (px[i] != first) return;
        throw unusable(name, "the image is blank (every pixel has the value " + (first & 0xff) + ")");
    }

    private static DecodeException unusable(String name, String reason) {
        return new DecodeException(name, DecodeException.Kind.UNUSABLE, reason);
    }

    /** The recipe as model.json's {@code "input"} object. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("size", size);
        m.put("resize", resize.name().toLowerCase(Locale.ROOT));
        m.put("contrast", contrast.name().toLowerCase(Locale.ROOT));
        m.put("channels", channels);
        m.put("mean", (double) mean);
        m.put("std", (double) std);
        m.put("detail", detail);
        return m;
    }

    /**
     * Reads {@link #toMap}'s form; a missing or malformed field is an {@link IllegalArgumentException} naming it, except
     * {@code detail}, which models made before it existed lack (they kept every film's own detail).
     */
    public static InputRecipe fromMap(Map<?, ?> m) {
        ResizeMode resize = ResizeMode.parse(text(m, "resize"));
        if (resize == null) throw new IllegalArgumentException("input.resize: unknown mode " + m.get("resize"));
        Contrast contrast = Contrast.parse(text(m, "contrast"));
        if (contrast == null) throw new IllegalArgumentException("input.contrast: unknown mode " + m.get("contrast"));
        return new InputRecipe(number(m, "size").intValue(), resize, contrast, number(m, "channels").intValue(),
                number(m, "mean").floatValue(), number(m, "std").floatValue(),
                m.containsKey("detail") ? number(m, "detail").doubleValue() : 0);
    }

    private static Number number(Map<?, ?> m, String key) {
        if (m.get(key) instanceof Number n) return n;
        throw new IllegalArgumentException("input." + key + " must be a number, got " + m.get(key));
    }

    private static String text(Map<?, ?> m, String key) {
        if (m.get(key) instanceof String s) return s;
        throw new IllegalArgumentException("input." + key + " must be text, got " + m.get(key));
    }
}
