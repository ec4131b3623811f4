package org.pneumoscope.explain;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Png;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Path;

/** Pictures of a Grad-CAM map: coloured over the X-ray for people, plain grey for tools. */
public final class Overlay {
    private Overlay() {}

    /**
     * Opacity of the strongest evidence in an overlay. Below one half so that even under the hottest region more of
     * the X-ray's grey than of the colour shows and the anatomy stays readable; weaker evidence is fainter still
     * (√v · opacity). The evaluation report's gallery, predict --cam and explain's --opacity default draw with it.
     */
    public static final double DEFAULT_OPACITY = 0.45;

    /** {@link #render(GreyImage, CamResult, double)} at {@link #DEFAULT_OPACITY}. */
    public static BufferedImage render(GreyImage xray, CamResult cam) {
        return render(xray, cam, DEFAULT_OPACITY);
    }

    /**
     * The X-ray in grey with the heatmap in the jet colour map (blue → cyan → yellow → red) over it. The colour's
     * opacity grows with the map value (√v · opacity), so regions without evidence show the plain X-ray and the
     * radiologist can still read the anatomy under weak evidence. The map is resampled to the X-ray's size.
     *
     * @param opacity opacity of the strongest evidence, 0..1 ({@link #DEFAULT_OPACITY} unless the user asks)
     */
    public static BufferedImage render(GreyImage xray, CamResult cam, double opacity) {
        if (!(opacity >= 0 && opacity <= 1)) throw new IllegalArgumentException("opacity must be within 0..1, got " + opacity);
        int w = xray.width(), h = xray.height();
        float[] map = (cam.width() == w && cam.height() == h) ? cam.map()
                : GradCam.upsample(cam.map(), cam.width(), cam.height(), w, h);
        Blend blend = opacity == DEFAULT_OPACITY ? Blend.DEFAULT : Blend.of(opacity);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        byte[] grey = xray.pixels();
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            for (int x = 0, o = y * w; x < w; x++, o++) row[x] = blend.rgb(grey[o] & 0xff, level(map[o]));
            out.getRaster().setDataElements(0, y, w, 1, row);
        }
        return out;
    }

    /**
     * The overlay's colour at each map level, in 16.16 fixed point: channel = grey·(1 − a) + 255·c·a, a = opacity·√v.
     * Integer arithmetic per pixel, because the server draws an overlay with every Grad-CAM answer and the same sum in
     * doubles with rounding per channel took about three times as long. The fraction carries a half for rounding; the
     * result is at most 255 (c ≤ 1), so only the rounding can reach past it.
     */
    record Blend(int[] keep, int[] red, int[] green, int[] blue) {
        static final Blend DEFAULT = of(DEFAULT_OPACITY);

        static Blend of(double opacity) {
            int[] keep = new int[LEVELS + 1], red = new int[LEVELS + 1], green = new int[LEVELS + 1], blue = new int[LEVELS + 1];
            for (int i = 0; i <= LEVELS; i++) {
                double v = (double) i / LEVELS, a = opacity * Math.sqrt(v);
                double[] c = jet(v);
                keep[i] = (int) Math.round((1 - a) * ONE);
                red[i] = (int) Math.round(255 * c[0] * a * ONE) + ONE / 2;
                green[i] = (int) Math.round(255 * c[1] * a * ONE) + ONE / 2;
                blue[i] = (int) Math.round(255 * c[2] * a * ONE) + ONE / 2;
            }
            return new Blend(keep, red, green, blue);
        }

        private static final int ONE = 1 << 16;

        int rgb(int grey, int level) {
            int g = grey * keep[level];
            return channel(g + red[level]) << 16 | channel(g + green[level]) << 8 | channel(g + blue[level]);
        }

        private static int channel(int fixed) { return Math.min(fixed >> 16, 255); }
    }

    /**
     * The heatmap alone at the map's size, for stacking over the X-ray elsewhere (a browser): jet colours with alpha
     * √v, so that over the X-ray at full layer opacity it looks like {@link #render} at opacity 1. It is drawn in
     * {@link #LAYER_LEVELS} steps from a colour table (one byte per pixel), which a PNG stores as it is: a quarter of
     * the bytes to compress that four colour channels would be, for the picture sent with every Grad-CAM answer.
     */
    public static BufferedImage heatmap(CamResult cam) {
        int w = cam.width(), h = cam.height();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, LAYER_COLOURS);
        byte[] row = new byte[w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) row[x] = (byte) level(cam.at(x, y), LAYER_LEVELS);
            out.getRaster().setDataElements(0, y, w, 1, row);
        }
        return out;
    }

    /**
     * Map values are drawn in this many steps over [0, 1]: finer than the 8-bit colours they become, and a multiple
     * of four, so that 0, 1/4, 1/2, 3/4 and 1, where the jet ramps turn, are drawn exactly.
     */
    static final int LEVELS = 1020;

    /**
     * Steps of the heatmap layer: the most a 256-entry colour table holds that is a multiple of four, so the ramps'
     * turning points are drawn exactly there too.
     */
    static final int LAYER_LEVELS = 252;

    /** The heatmap layer's colour table: jet, alpha √v, at each of its levels. */
    private static final IndexColorModel LAYER_COLOURS = layerColours();

    private static IndexColorModel layerColours() {
        int n = LAYER_LEVELS + 1;
        byte[] r = new byte[n], g = new byte[n], b = new byte[n], a = new byte[n];
        for (int i = 0; i < n; i++) {
            double v = (double) i / LAYER_LEVELS;
            double[] c = jet(v);
            r[i] = (byte) to8(c[0]);
            g[i] = (byte) to8(c[1]);
            b[i] = (byte) to8(c[2]);
            a[i] = (byte) to8(Math.sqrt(v));
        }
        return new IndexColorModel(8, n, r, g, b, a);
    }

    /** The level of a map value, clamped to [0, 1]; NaN counts as no evidence. */
    private static int level(float v) {
        return level(v, LEVELS);
    }

    /** Math.round's result for v in (0, 1) without its general path, which showed in the server's profile. */
    private static int level(float v, int levels) {
        return v > 0 ? (v < 1 ? (int) (v * levels + 0.5f) : levels) : 0;
    }

    /**
     * The jet colour map every Grad-CAM picture uses: red, green and blue in [0,1] for a map value v in [0,1]
     * (clamped), piecewise-linear ramps from dark blue through blue, cyan, yellow and red to dark red.
     */
    public static double[] jet(double v) {
        double t = 4 * clamp(v);
        return new double[] {clamp(Math.min(t - 1.5, 4.5 - t)), clamp(Math.min(t - 0.5, 3.5 - t)), clamp(Math.min(t + 0.5, 2.5 - t))};
    }

    private static double clamp(double v) { return Math.max(0, Math.min(1, v)); }

    private static int to8(double v) { return (int) Math.round(clamp(v) * 255); }

    /** The map alone as an 8-bit grey PNG at the map's size (white = strongest evidence). */
    public static byte[] rawMapPng(CamResult cam) {
        return rawMapPng(cam, Math.max(cam.width(), cam.height()));
    }

    /** The map as an 8-bit grey PNG no larger than {@code maxSide} pixels on its longer side. */
    public static byte[] rawMapPng(CamResult cam, int maxSide) {
        if (maxSide < 1) throw new IllegalArgumentException("maxSide must be positive, got " + maxSide);
        double scale = Math.min(1.0, (double) maxSide / Math.max(cam.width(), cam.height()));
        int w = Math.max(1, (int) Math.round(cam.width() * scale)), h = Math.max(1, (int) Math.round(cam.height() * scale));
        float[] map = scale == 1.0 ? cam.map() : GradCam.upsample(cam.map(), cam.width(), cam.height(), w, h);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        byte[] px = new byte[w * h];
        for (int i = 0; i < px.length; i++) px[i] = (byte) to8(map[i]);
        img.getRaster().setDataElements(0, 0, w, h, px);
        return png(img);
    }

    public static byte[] png(BufferedImage img) {
        return Png.encode(img);
    }

    /** Writes a PNG via a temporary file in the same folder and an atomic rename. */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        write(png(img), file);
    }

    public static void write(byte[] bytes, Path file) throws IOException {
        org.pneumoscope.core.AtomicFiles.write(file, bytes);
    }
}
