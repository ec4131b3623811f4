package org.pneumoscope.api;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.data.ImageFormat;
import org.pneumoscope.data.InputRecipe;

import java.awt.image.BufferedImage;
import java.nio.file.Path;

/**
 * A decoded chest film that a model can read: JPEG, PNG, TIFF, BMP or DICOM, at least 32 px a side, no strip, not
 * blank. Every way in (files, bytes, pixels) decodes with the same limits and refuses the same images, with a
 * {@link DecodeException} whose {@link DecodeException#kind() kind} says why and whose message names the film.
 *
 * @param name  how the film is named in messages and results (a path, or a caller's label; never read from the file)
 * @param image the decoded grey pixels at the film's own size
 */
public record Film(String name, GreyImage image) {
    public Film {
        if (name == null || image == null) throw new IllegalArgumentException("a film needs a name and pixels");
    }

    /** Reads and checks a file. */
    public static Film read(Path file) throws DecodeException {
        return checked(file.toString(), ImageDecoder.decode(file));
    }

    /** Decodes and checks an upload or any bytes held in memory; {@code name} only labels messages. */
    public static Film of(byte[] bytes, String name) throws DecodeException {
        return checked(name, ImageDecoder.decode(bytes, name));
    }

    /** A picture a caller holds already (any colour model; colour is converted to grey by luminance). */
    public static Film of(BufferedImage picture, String name) throws DecodeException {
        return checked(name, ImageDecoder.toGrey(picture));
    }

    /** Checks pixels a caller decoded itself. */
    public static Film of(GreyImage image, String name) throws DecodeException {
        return checked(name, image);
    }

    private static Film checked(String name, GreyImage g) throws DecodeException {
        InputRecipe.checkUsable(g, name);
        return new Film(name, g);
    }

    /** The image format the bytes are in, as messages name it ("JPEG", "DICOM", ...), or "unknown". */
    public static String formatOf(byte[] bytes) {
        return ImageFormat.sniff(bytes).displayName();
    }

    public int width() { return image.width(); }

    public int height() { return image.height(); }
}
