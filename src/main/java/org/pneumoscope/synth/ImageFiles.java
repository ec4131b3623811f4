package org.pneumoscope.synth;

import org.pneumoscope.core.GreyImage;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Minimal PNG writing and image reading through {@code javax.imageio} for the phantom generator and the
 * augmentation preview. (The project's full decoder lives in the data package; this stays small on purpose.)
 */
public final class ImageFiles {
    private ImageFiles() {}

    /** Reads any ImageIO-readable file as 8-bit grey (colour is converted by luminance). */
    public static GreyImage readGrey(Path file) throws IOException {
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": cannot decode image (" + e.getMessage() + ")", e);
        }
        if (img == null) throw new IOException(file + ": not a readable image (unknown format)");
        return fromBuffered(img);
    }

    public static GreyImage fromBuffered(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            if (data.length == w * h) return new GreyImage(w, h, data.clone());
        }
        BufferedImage grey = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        grey.getGraphics().drawImage(img, 0, 0, null);
        return new GreyImage(w, h, ((DataBufferByte) grey.getRaster().getDataBuffer()).getData().clone());
    }

    public static BufferedImage toBuffered(GreyImage g) {
        BufferedImage img = new BufferedImage(g.width(), g.height(), BufferedImage.TYPE_BYTE_GRAY);
        byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        System.arraycopy(g.pixels(), 0, data, 0, data.length);
        return img;
    }

    /** Writes a grey PNG atomically: a reader never sees a half-written file. */
    public static void writePng(GreyImage g, Path file) throws IOException {
        writePng(toBuffered(g), file);
    }

    public static void writePng(BufferedImage img, Path file) throws IOException {
        org.pneumoscope.core.AtomicFiles.write(file, out -> {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer available");
        });
    }

    /** Writes text atomically (temp file in the same folder, then rename). */
    public static void writeString(Path file, String text) throws IOException {
        org.pneumoscope.core.AtomicFiles.writeString(file, text);
    }

    /** Resizes (squashing, as the seed study did) with bilinear sampling; box-averages first when shrinking a lot. */
    public static GreyImage resize(GreyImage g, int w, int h) {
        if (g.width() == w && g.height() == h) return g;
        BufferedImage src = toBuffered(g);
        BufferedImage dst = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        java.awt.Graphics2D gr = dst.createGraphics();
        gr.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        gr.setRenderingHint(java.awt.RenderingHints.KEY_RENDERING, java.awt.RenderingHints.VALUE_RENDER_QUALITY);
        gr.drawImage(src.getScaledInstance(w, h, java.awt.Image.SCALE_AREA_AVERAGING), 0, 0, null);
        gr.dispose();
        return fromBuffered(dst);
    }
}
