package org.pneumoscope.serve;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.DecodeException;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.data.ImageFormat;
import org.pneumoscope.data.Preprocess;
import org.pneumoscope.data.UnsupportedFormatException;
import org.pneumoscope.eval.Metrics;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.explain.Overlay;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.train.Scoring;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * One upload's way through the model: decode, check it is usable, resize, classify (calibrated), and draw the
 * Grad-CAM pictures at the upload's own aspect ratio so a browser can lay them over its preview.
 * Thread-safe; Grad-CAM itself is serialised inside the model (one gradient collector).
 */
public final class Predictor {
    /** Smaller images carry too little detail to say anything about lungs; the network would see blur. */
    public static final int MIN_SIDE = 32;
    /** A chest radiograph is roughly square; a 6:1 strip is a cropped fragment or a banner, not a chest. */
    public static final double MAX_ASPECT = 5.0;
    /** Longer side of the pictures sent back; enough for a screen, small enough for a quick JSON answer. */
    public static final int DISPLAY_MAX_SIDE = 512;
    /** Opacity of the strongest evidence in {@code cam_png} (the page blends its own with a slider). */
    public static final double OVERLAY_OPACITY = 0.5;
    /** Name given to uploads in decoder messages: the client's file name may itself identify a patient. */
    static final String UPLOAD_NAME = "upload";

    /** What to compute besides the class: the heatmap, flip test-time augmentation, the grey picture the model read. */
    public record Options(boolean cam, boolean tta, boolean image) {}

    /**
     * @param classIndex    predicted class (Label index)
     * @param probabilities calibrated (temperature-scaled) probabilities in Label order
     * @param camPng        X-ray with the heatmap blended in (null without CAM)
     * @param heatmapPng    the heatmap alone, jet colours with alpha = √evidence (null without CAM)
     * @param imagePng      the decoded X-ray in grey at display size (null unless asked)
     * @param camClass      the class whose evidence the heatmap shows (-1 without CAM)
     * @param features      the pooled features the head read, for the shift alarm's window
     */
    public record Prediction(int classIndex, float[] probabilities, boolean tta, int width, int height, ImageFormat format,
                             byte[] camPng, byte[] heatmapPng, byte[] imagePng, int camClass, float[] features) {}

    private final TrainedModel model;

    public Predictor(TrainedModel model) { this.model = model; }

    public TrainedModel model() { return model; }

    public Prediction predict(byte[] bytes, Options o) {
        GreyImage img = decode(bytes);
        checkUsable(img);
        int size = model.config().size();
        GreyImage input = Preprocess.resize(img, size, model.resizeMode());

        float[] p = null, features = null;
        CamResult cam = null;
        if (o.tta() || !o.cam()) {
            Scoring.Outputs s = model.scores(List.of(input), o.tta());
            p = model.calibration().probabilities(s.logits())[0];
            features = s.features()[0];
        }
        if (o.cam()) {
            // Without TTA the Grad-CAM pass gives the calibrated probabilities and features too: one pass instead of two.
            cam = model.explain(input, null, p == null ? null : Metrics.argmax(p));
            if (p == null) {
                p = cam.probabilities();
                features = cam.features();
            }
        }
        int cls = Metrics.argmax(p);

        byte[] camPng = null, heatPng = null, imagePng = null;
        if (cam != null || o.image()) {
            double scale = Math.min(1.0, (double) DISPLAY_MAX_SIDE / Math.max(img.width(), img.height()));
            int dw = Math.max(1, (int) Math.round(img.width() * scale)), dh = Math.max(1, (int) Math.round(img.height() * scale));
            GreyImage shown = scale == 1.0 ? img : Preprocess.resize(img, dw, dh);
            if (cam != null) {
                float[] map = displayMap(cam, Preprocess.placement(img.width(), img.height(), size, model.resizeMode()), size, dw, dh);
                CamResult shownCam = new CamResult(map, dw, dh, p, cam.targetClass());
                camPng = Overlay.png(Overlay.render(shown, shownCam, OVERLAY_OPACITY));
                heatPng = Overlay.png(heatmap(shownCam));
            }
            if (o.image()) imagePng = Overlay.png(grey(shown));
        }
        return new Prediction(cls, p, o.tta(), img.width(), img.height(), ImageFormat.sniff(bytes),
                camPng, heatPng, imagePng, cam == null ? -1 : cam.targetClass(), features);
    }

    /** Decodes an upload, turning the decoder's reasons into HTTP answers (the reasons never quote file contents). */
    static GreyImage decode(byte[] bytes) {
        try {
            return ImageDecoder.decode(bytes, UPLOAD_NAME);
        } catch (UnsupportedFormatException e) {
            throw ApiError.unsupported(e.reason());
        } catch (DecodeException e) {
            switch (e.kind()) {
                case EMPTY: throw ApiError.badRequest("empty_file", "the uploaded file is empty");
                case NOT_AN_IMAGE: throw ApiError.badRequest("not_an_image", e.reason());
                case UNSUPPORTED: throw ApiError.unsupported(e.reason());
                case TOO_LARGE: throw ApiError.tooLarge(e.reason());
                case TRUNCATED: case CORRUPT: throw ApiError.badRequest("corrupt_image", e.reason());
                default: throw ApiError.badRequest("unreadable_image", e.reason());
            }
        }
    }

    /** Refuses images that decode but cannot be a chest radiograph worth classifying. */
    static void checkUsable(GreyImage g) {
        int w = g.width(), h = g.height();
        if (w < MIN_SIDE || h < MIN_SIDE)
            throw ApiError.unusable(String.format(Locale.ROOT, "the image is %d×%d px; at least %d×%d px are needed",
                    w, h, MIN_SIDE, MIN_SIDE));
        double aspect = Math.max(w, h) / (double) Math.min(w, h);
        if (aspect > MAX_ASPECT)
            throw ApiError.unusable(String.format(Locale.ROOT,
                    "the image is %d×%d px (aspect ratio %.1f:1); a chest radiograph is at most %.0f:1", w, h, aspect, MAX_ASPECT));
        byte[] px = g.pixels();
        byte first = px[0];
        boolean flat = true;
        for (int i = 1; i < px.length && flat; i++) flat = px[i] == first;
        if (flat) throw ApiError.unusable("the image is blank (every pixel has the value " + (first & 0xff) + ")");
    }

    /**
     * The heatmap over the part of the network input that holds the image (the letterbox bars are cut off),
     * resampled to the display size, so it lines up with the upload when stretched over it.
     */
    static float[] displayMap(CamResult cam, Preprocess.Placement at, int inputSize, int dw, int dh) {
        int mw = cam.width(), mh = cam.height();
        // the placement is in network-input pixels; the map may be at another resolution
        double sx = mw / (double) inputSize, sy = mh / (double) inputSize;
        int x0 = (int) Math.floor(at.x() * sx), y0 = (int) Math.floor(at.y() * sy);
        int cw = Math.max(1, Math.min(mw - x0, (int) Math.round(at.width() * sx)));
        int ch = Math.max(1, Math.min(mh - y0, (int) Math.round(at.height() * sy)));
        byte[] crop = new byte[cw * ch];
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++) {
                float v = cam.map()[(y0 + y) * mw + x0 + x];
                crop[y * cw + x] = (byte) Math.round(Math.max(0f, Math.min(1f, v)) * 255f);
            }
        GreyImage scaled = Preprocess.resize(new GreyImage(cw, ch, crop), dw, dh);
        float[] out = new float[dw * dh];
        byte[] s = scaled.pixels();
        for (int i = 0; i < out.length; i++) out[i] = (s[i] & 0xff) / 255f;
        return out;
    }

    /** The heatmap alone: jet colours, alpha √v, so stacked over the X-ray it looks like {@link Overlay#render}. */
    static BufferedImage heatmap(CamResult cam) {
        int w = cam.width(), h = cam.height();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double v = Math.max(0, Math.min(1, cam.at(x, y)));
                double t = 4 * v; // jet: blue → cyan → yellow → red, the same ramps as the report's overlays
                int r = to8(Math.min(t - 1.5, 4.5 - t)), g = to8(Math.min(t - 0.5, 3.5 - t)), b = to8(Math.min(t + 0.5, 2.5 - t));
                int a = to8(Math.sqrt(v));
                row[x] = a << 24 | r << 16 | g << 8 | b;
            }
            out.setRGB(0, y, w, 1, row, 0, w);
        }
        return out;
    }

    static BufferedImage grey(GreyImage g) {
        BufferedImage bi = new BufferedImage(g.width(), g.height(), BufferedImage.TYPE_BYTE_GRAY);
        bi.getRaster().setDataElements(0, 0, g.width(), g.height(), g.pixels());
        return bi;
    }

    private static int to8(double v) { return (int) Math.round(Math.max(0, Math.min(1, v)) * 255); }
}
