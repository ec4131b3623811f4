package org.pneumoscope.dicom;

import org.pneumoscope.api.Explanation;
import org.pneumoscope.api.Prediction;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.Preprocess;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.explain.Overlay;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * The Grad-CAM overlay as a Secondary Capture Image (PS3.3 A.8.1): 8-bit RGB, uncompressed, at the film's own
 * size, or scaled down so that its longer side is {@link #MAX_SIDE} pixels. The disclaimer is burned into the
 * pixels (a black band along the top edge) so no viewer can show the picture without it; the bottom band names
 * the class whose evidence the colours show.
 */
final class SecondaryCapture {
    private SecondaryCapture() {}

    static final String SOP_CLASS = "1.2.840.10008.5.1.4.1.1.7"; // Secondary Capture Image Storage
    /** Longest side kept: a film larger than this (a detector at full resolution) is scaled down to it. */
    static final int MAX_SIDE = 2048;
    static final String BURNED_IN = "RESEARCH USE \u2013 NOT FOR DIAGNOSIS";

    static DataSet build(SourceStudy source, Header.Identity id, Explanation e, Prediction p) {
        BufferedImage img = picture(e, p);
        int w = img.getWidth(), h = img.getHeight();
        DataSet ds = Header.of(source, id);
        ds.texts(0x00080008, "CS", List.of("DERIVED", "SECONDARY")) // Image Type
                .text(0x00080064, "CS", "WSD")                       // Conversion Type: workstation
                .text(0x00082111, "ST", "Grad-CAM heatmap of the class " + p.label().id()
                        + " over the film; annotation burned in")    // Derivation Description
                .sequence(0x00082112, Header.reference(source.sopClassUid(), source.sopInstanceUid())) // Source Image
                .text(0x00180015, "CS", "CHEST")                     // Body Part Examined: unpaired, so no Laterality
                .text(0x00181012, "DA", Header.DA.format(id.created())) // Date of Secondary Capture
                .text(0x00181014, "TM", Header.TM.format(id.created())) // Time of Secondary Capture
                .empty(0x00200020, "CS")                             // Patient Orientation (type 2)
                .us(0x00280002, 3)                                   // Samples per Pixel
                .text(0x00280004, "CS", "RGB")
                .us(0x00280006, 0)                                   // Planar Configuration: R,G,B per pixel
                .us(0x00280010, h)
                .us(0x00280011, w)
                .us(0x00280100, 8)
                .us(0x00280101, 8)
                .us(0x00280102, 7)
                .us(0x00280103, 0)
                .text(0x00280301, "CS", "YES")                       // Burned In Annotation
                .text(0x00282110, "CS", "00")                        // Lossy Image Compression: none
                .raw(0x7FE00010, "OB", rgb(img));
        return ds;
    }

    /** The overlay at the output size with both bands burned in. */
    static BufferedImage picture(Explanation e, Prediction p) {
        GreyImage film = e.film();
        double scale = Math.min(1.0, (double) MAX_SIDE / Math.max(film.width(), film.height()));
        int w = Math.max(1, (int) Math.round(film.width() * scale)), h = Math.max(1, (int) Math.round(film.height() * scale));
        GreyImage shown = scale == 1.0 ? film : Preprocess.resize(film, w, h);
        CamResult cam = new CamResult(e.onFilm(w, h), w, h, p.probabilities(), e.explained().index());
        BufferedImage img = Overlay.render(shown, cam);
        String caption = String.format(Locale.ROOT, "Pneumoscope Grad-CAM: evidence for %s (p %.2f)",
                e.explained().id(), p.probability(e.explained()));
        burn(img, BURNED_IN, true);
        burn(img, caption, false);
        return img;
    }

    /** White bold text on a black band the width of the picture, fitted to its width. */
    static void burn(BufferedImage img, String text, boolean top) {
        int w = img.getWidth(), h = img.getHeight();
        int band = Math.max(12, h / 18);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            int y0 = top ? 0 : h - band;
            g.fillRect(0, y0, w, band);
            float size = band * 0.7f;
            Font font = new Font(Font.SANS_SERIF, Font.BOLD, 1).deriveFont(size);
            FontMetrics m = g.getFontMetrics(font);
            int width = m.stringWidth(text);
            if (width > w * 0.96) {
                font = font.deriveFont((float) (size * w * 0.96 / width));
                m = g.getFontMetrics(font);
                width = m.stringWidth(text);
            }
            g.setFont(font);
            g.setColor(Color.WHITE);
            g.drawString(text, (w - width) / 2, y0 + (band + m.getAscent() - m.getDescent()) / 2);
        } finally {
            g.dispose();
        }
    }

    /** R, G, B per pixel, row by row (Planar Configuration 0). */
    static byte[] rgb(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3, v = row[x];
                out[i] = (byte) (v >> 16);
                out[i + 1] = (byte) (v >> 8);
                out[i + 2] = (byte) v;
            }
        }
        return out;
    }
}
