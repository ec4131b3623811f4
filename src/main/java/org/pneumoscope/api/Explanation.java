package org.pneumoscope.api;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Preprocess;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.explain.Overlay;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A prediction with its Grad-CAM heatmap: where in the film the evidence for {@code explained} lay.
 *
 * @param prediction the prediction of the same forward pass
 * @param explained  the class whose evidence the heatmap shows (the predicted one unless a caller chose another)
 * @param layer      the feature layer the heatmap was taken from
 * @param heatmap    the map at the network's input size, values in 0..1 (1 = strongest evidence)
 * @param input      the film at the network's input size (before the grey-scale mapping, as a reader sees it): the
 *                   heatmap's own geometry
 * @param film       the film as decoded, at its own size
 * @param resize     how the film was fitted to the input (letterboxing leaves bars the heatmap must not cover)
 */
public record Explanation(Prediction prediction, Label explained, String layer, CamResult heatmap, GreyImage input,
                          GreyImage film, ResizeMode resize) {
    /** The heatmap's opacity at the strongest evidence in every overlay Pneumoscope draws. */
    public static final double DEFAULT_OPACITY = Overlay.DEFAULT_OPACITY;

    /** Writes {@link #overlay} as a PNG, atomically. */
    public void writeOverlay(Path png, double opacity) throws IOException {
        Overlay.writePng(overlay(opacity), png);
    }

    /** Writes the raw heatmap (grey, white = strongest evidence) as a PNG, atomically. */
    public void writeHeatmap(Path png) throws IOException {
        Overlay.write(Overlay.rawMapPng(heatmap), png);
    }

    /** The heatmap blended over the film at the network's input size, {@code opacity} at the strongest evidence. */
    public BufferedImage overlay(double opacity) {
        return Overlay.render(input, heatmap, opacity);
    }

    /**
     * The heatmap over the part of the network input that holds the film (letterbox bars cut off), resampled to
     * {@code width}×{@code height}: laid over the film at that size, it lines up with it.
     */
    public float[] onFilm(int width, int height) {
        int size = input.width();
        Preprocess.Placement at = Preprocess.placement(film.width(), film.height(), size, resize);
        int mw = heatmap.width(), mh = heatmap.height();
        // the placement is in network-input pixels; the map may be at another resolution
        double sx = mw / (double) size, sy = mh / (double) size;
        int x0 = (int) Math.floor(at.x() * sx), y0 = (int) Math.floor(at.y() * sy);
        int cw = Math.max(1, Math.min(mw - x0, (int) Math.round(at.width() * sx)));
        int ch = Math.max(1, Math.min(mh - y0, (int) Math.round(at.height() * sy)));
        byte[] crop = new byte[cw * ch];
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++) {
                float v = heatmap.map()[(y0 + y) * mw + x0 + x];
                crop[y * cw + x] = (byte) Math.round(Math.max(0f, Math.min(1f, v)) * 255f);
            }
        byte[] s = Preprocess.resize(new GreyImage(cw, ch, crop), width, height).pixels();
        float[] out = new float[width * height];
        for (int i = 0; i < out.length; i++) out[i] = (s[i] & 0xff) / 255f;
        return out;
    }
}
