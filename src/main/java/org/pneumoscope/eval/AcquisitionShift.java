package org.pneumoscope.eval;

import org.pneumoscope.cli.UserException;
import org.pneumoscope.data.GreyImage;

import java.util.Locale;

/**
 * A fixed change of the grey scale, applied to every image of an evaluation: what the same films would look like
 * from a scanner or look-up table that renders them darker, brighter or flatter. Evaluating under a few shifts
 * shows how much a model's figures depend on the exposure of the site it was trained at
 * ({@code evaluate --shift gamma=1.5}).
 *
 * <p>Order: gamma on v/255, then contrast about mid-grey, then brightness: v' = 128 + contrast·(255·(v/255)^gamma − 128)
 * + 255·brightness, clipped to 0..255.
 */
public record AcquisitionShift(double gamma, double contrast, double brightness) {
    public static final AcquisitionShift NONE = new AcquisitionShift(1, 1, 0);

    public AcquisitionShift {
        if (!(gamma > 0.05 && gamma < 20)) throw new UserException("shift: gamma must be in (0.05, 20), not " + gamma, 2);
        if (!(contrast > 0 && contrast < 20)) throw new UserException("shift: contrast must be in (0, 20), not " + contrast, 2);
        if (!(brightness > -1 && brightness < 1)) throw new UserException("shift: brightness must be in (-1, 1), not " + brightness, 2);
    }

    /** "gamma=1.5,contrast=0.7,brightness=-0.1" (any subset, any order); null or blank gives NONE. */
    public static AcquisitionShift parse(String spec) {
        if (spec == null || spec.isBlank()) return NONE;
        double g = 1, c = 1, b = 0;
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
                default -> throw new UserException("shift: unknown key '" + k + "' (known: gamma, contrast, brightness)", 2);
            }
        }
        return new AcquisitionShift(g, c, b);
    }

    public boolean isNone() { return equals(NONE); }

    /** The spelling parse accepts, for reports: "gamma=1.5,contrast=1,brightness=0", or "none". */
    public String describe() {
        return isNone() ? "none" : String.format(Locale.ROOT, "gamma=%s,contrast=%s,brightness=%s", num(gamma), num(contrast), num(brightness));
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    public GreyImage apply(GreyImage img) {
        if (isNone()) return img;
        byte[] lut = new byte[256];
        for (int v = 0; v < 256; v++) {
            double x = 255 * Math.pow(v / 255.0, gamma);
            x = 128 + contrast * (x - 128) + 255 * brightness;
            lut[v] = (byte) (int) Math.round(Math.max(0, Math.min(255, x)));
        }
        return img.mapLevels(lut);
    }
}
