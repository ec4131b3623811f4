package org.pneumoscope.api;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Png;
import org.pneumoscope.data.Preprocess;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.explain.Overlay;
import org.pneumoscope.synth.ImageFiles;

/**
 * The pictures a Grad-CAM answer carries, drawn at display size in the film's own aspect ratio, so that a browser can
 * lay them over its preview of the upload: the film as shown, the heatmap laid onto it, the overlay (heatmap blended
 * over the film) and the heatmap layer alone, each as a PNG. The server draws them for every answer that asks for
 * Grad-CAM; {@code bench explain} times each step.
 */
public final class AnswerPictures {
    private AnswerPictures() {}

    /** Longer side of the pictures; enough for a screen, small enough for a quick JSON answer. */
    public static final int MAX_SIDE = 512;

    /** The film scaled down (never up) so that its longer side is at most {@link #MAX_SIDE}. */
    public static GreyImage shown(GreyImage film) {
        int w = film.width(), h = film.height();
        double scale = Math.min(1.0, (double) MAX_SIDE / Math.max(w, h));
        if (scale == 1.0) return film;
        return Preprocess.resize(film, Math.max(1, (int) Math.round(w * scale)), Math.max(1, (int) Math.round(h * scale)));
    }

    /** The explanation's heatmap on the shown film's pixels (letterbox bars cut off). */
    public static CamResult onShown(Explanation e, GreyImage shown) {
        int w = shown.width(), h = shown.height();
        return new CamResult(e.onFilm(w, h), w, h, e.prediction().probabilities(), e.explained().index());
    }

    /** The heatmap blended over the shown film at the default opacity, as a PNG. */
    public static byte[] overlayPng(GreyImage shown, CamResult onShown) {
        return Png.encode(Overlay.render(shown, onShown));
    }

    /** The heatmap alone (jet colours, alpha √evidence), as a PNG. */
    public static byte[] layerPng(CamResult onShown) {
        return Png.encode(Overlay.heatmap(onShown));
    }

    /** The shown film in grey, as a PNG. */
    public static byte[] greyPng(GreyImage shown) {
        return Png.encode(ImageFiles.toBuffered(shown));
    }
}
