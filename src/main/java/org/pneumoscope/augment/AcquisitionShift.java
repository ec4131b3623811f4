package org.pneumoscope.augment;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.Filters;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * A fixed change of acquisition, applied to every image of an evaluation: what the same films would look like
 * from a scanner or look-up table that renders them darker, brighter or flatter, from a detector that is softer
 * or noisier, or from post-processing that sharpens edges. Evaluating under a few shifts shows how much a model's
 * figures depend on the site it was trained at ({@code evaluate --shift gamma=1.5}, {@code --shift sharpen=1}).
 *
 * <p>Order, as along a detector's chain: the framing first ({@code zoom}, see {@link #framed}); then the grey scale — gamma on v/255, then contrast about mid-grey, then
 * brightness: v' = 128 + contrast·(255·(v/255)^gamma − 128) + 255·brightness; then {@code blur}, a Gaussian of that
 * σ in pixels of the image the model receives; then {@code sharpen}, an unsharp mask v + amount·(v − Gaussian_σ=1(v));
 * then {@code noise}, additive Gaussian noise of that SD in units of the full grey range (0.02 ≈ 5 grey levels),
 * drawn from a generator seeded by the image's own pixels so every evaluation of one film sees the same noise.
 * Each step clips to 0..255.
 */
public record AcquisitionShift(double gamma, double contrast, double brightness, double blur, double sharpen, double noise,
                               double zoom, double squeeze) {
    public static final AcquisitionShift NONE = new AcquisitionShift(1, 1, 0, 0, 0, 0, 1, 1);
    static final String KNOWN = "gamma, contrast, brightness, blur, sharpen, noise, zoom, squeeze";

    public AcquisitionShift {
        if (!(gamma > 0.05 && gamma < 20)) throw new UserException("shift: gamma must be in (0.05, 20), not " + gamma, 2);
        if (!(contrast > 0 && contrast < 20)) throw new UserException("shift: contrast must be in (0, 20), not " + contrast, 2);
        if (!(brightness > -1 && brightness < 1)) throw new UserException("shift: brightness must be in (-1, 1), not " + brightness, 2);
        if (!(blur >= 0 && blur <= 20)) throw new UserException("shift: blur (a Gaussian σ in pixels) must be in [0, 20], not " + blur, 2);
        if (!(sharpen >= 0 && sharpen <= 10)) throw new UserException("shift: sharpen must be in [0, 10], not " + sharpen, 2);
        if (!(noise >= 0 && noise <= 1)) throw new UserException("shift: noise (an SD of the grey range) must be in [0, 1], not " + noise, 2);
        if (!(zoom >= 0.5 && zoom <= 3)) throw new UserException("shift: zoom (1.25 = framed 1.25x tighter) must be in [0.5, 3], not " + zoom, 2);
        if (!(squeeze >= 0.5 && squeeze <= 2))
            throw new UserException("shift: squeeze (1.2 = the chest 1.2x narrower against its height) must be in [0.5, 2], not " + squeeze, 2);
    }

    /** The detector's chain and a framing, the chest's shape unchanged. */
    public AcquisitionShift(double gamma, double contrast, double brightness, double blur, double sharpen, double noise,
                            double zoom) {
        this(gamma, contrast, brightness, blur, sharpen, noise, zoom, 1);
    }

    /** The detector's chain without a change of framing. */
    public AcquisitionShift(double gamma, double contrast, double brightness, double blur, double sharpen, double noise) {
        this(gamma, contrast, brightness, blur, sharpen, noise, 1, 1);
    }

    /** The grey-scale shift alone. */
    public AcquisitionShift(double gamma, double contrast, double brightness) {
        this(gamma, contrast, brightness, 0, 0, 0, 1, 1);
    }

    /** "gamma=1.5,contrast=0.7,blur=1" (any subset, any order); null, blank or "none" (describe's spelling) gives NONE. */
    public static AcquisitionShift parse(String spec) {
        if (spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("none")) return NONE;
        double g = 1, c = 1, b = 0, bl = 0, sh = 0, no = 0, z = 1, sq = 1;
        for (String part : spec.split(",")) {
            String[] kv = part.split("=", 2);
            String k = kv[0].trim().toLowerCase(Locale.ROOT);
            if (kv.length != 2) throw new UserException("shift: '" + part.trim() + "' must look like gamma=1.5", 2);
            double v;
            try {
                v = Double.parseDouble(kv[1].trim());
            } catch (NumberFormatException e) {
                throw new UserException("shift: " + k + " has a bad value '" + kv[1].trim() + "'", 2);
            }
            switch (k) {
                case "gamma" -> g = v;
                case "contrast" -> c = v;
                case "brightness" -> b = v;
                case "blur" -> bl = v;
                case "sharpen" -> sh = v;
                case "noise" -> no = v;
                case "zoom" -> z = v;
                case "squeeze" -> sq = v;
                default -> throw new UserException("shift: unknown key '" + k + "' (known: " + KNOWN + ")", 2);
            }
        }
        return new AcquisitionShift(g, c, b, bl, sh, no, z, sq);
    }

    public boolean isNone() { return equals(NONE); }

    /**
     * The spelling parse accepts, for reports: the grey scale always ("gamma=1.5,contrast=1,brightness=0"), blur,
     * sharpen and noise when set; "none" for no shift.
     */
    public String describe() {
        if (isNone()) return "none";
        return String.format(Locale.ROOT, "gamma=%s,contrast=%s,brightness=%s", num(gamma), num(contrast), num(brightness))
                + detectorKeys();
    }

    /** Only the keys that differ from no shift, in parse's spelling ("blur=1", "gamma=0.5,noise=0.02"), or "none". */
    public String label() {
        if (isNone()) return "none";
        StringBuilder s = new StringBuilder();
        if (gamma != 1) s.append(",gamma=").append(num(gamma));
        if (contrast != 1) s.append(",contrast=").append(num(contrast));
        if (brightness != 0) s.append(",brightness=").append(num(brightness));
        return s.append(detectorKeys()).substring(1);
    }

    /** ",blur=…,sharpen=…,noise=…" for those set, "" for none: the tail both spellings share. */
    private String detectorKeys() {
        StringBuilder s = new StringBuilder();
        if (blur > 0) s.append(",blur=").append(num(blur));
        if (sharpen > 0) s.append(",sharpen=").append(num(sharpen));
        if (noise > 0) s.append(",noise=").append(num(noise));
        if (zoom != 1) s.append(",zoom=").append(num(zoom));
        if (squeeze != 1) s.append(",squeeze=").append(num(squeeze));
        return s.toString();
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private boolean greyScaleOnly() { return blur == 0 && sharpen == 0 && noise == 0; }

    public GreyImage apply(GreyImage img) {
        if (isNone()) return img;
        GreyImage out = zoom == 1 && squeeze == 1 ? img : framed(img, zoom, squeeze);
        if (gamma != 1 || contrast != 1 || brightness != 0) {
            byte[] lut = new byte[256];
            for (int v = 0; v < 256; v++) {
                double x = 255 * Math.pow(v / 255.0, gamma);
                x = 128 + contrast * (x - 128) + 255 * brightness;
                lut[v] = (byte) (int) Math.round(Math.max(0, Math.min(255, x)));
            }
            out = out.mapLevels(lut);
        }
        if (greyScaleOnly()) return out;
        int w = out.width(), h = out.height();
        float[] p = FloatImage.of(out).pixels();
        if (blur > 0) p = ImageOps.clamp01(Filters.gaussianBlur(p, w, h, blur));
        if (sharpen > 0) {
            float[] soft = Filters.gaussianBlur(p, w, h, 1.0);
            for (int i = 0; i < p.length; i++) p[i] = p[i] + (float) sharpen * (p[i] - soft[i]);
            p = ImageOps.clamp01(p);
        }
        if (noise > 0) {
            // seeded by the film itself (before noise): the same image gets the same noise in every run and order
            SplittableRandom r = new SplittableRandom(Arrays.hashCode(img.pixels()) * 0x9E3779B97F4A7C15L + w * 31L + h);
            for (int i = 0; i < p.length; i++) p[i] = (float) (p[i] + noise * gaussian(r));
            p = ImageOps.clamp01(p);
        }
        return new FloatImage(w, h, p).toGrey();
    }

    /**
     * The film framed {@code zoom} times tighter about its centre (bilinear): at 1.25 the central 80 % of each side
     * fills the frame, as a tighter collimation or crop shows the chest; below 1 the film shrinks, black around it.
     */
    static GreyImage framed(GreyImage img, double zoom, double squeeze) {
        // the training transform with its ranges closed to one zoom and no stretch or shift: nothing left to draw
        return Reframe.fixed(zoom, 1 / squeeze).apply(FloatImage.of(img), new Random(0)).toGrey();
    }

    /** Box–Muller: true Gaussian noise (a stress test, not a training step, so exactness is worth the cost). */
    private static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
