package org.pneumoscope.core;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the writer encodes, the JDK's own PNG reader decodes to the same pixels, for each kind of image drawn. */
class PngTest {
    private static BufferedImage noisy(int type, int w, int h, long seed) {
        BufferedImage img = new BufferedImage(w, h, type);
        Random r = new Random(seed);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt()); // alpha dropped where the type has none
        return img;
    }

    private static BufferedImage decoded(byte[] png) throws IOException {
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(png));
        assertTrue(back != null, "the JDK reads it as PNG");
        return back;
    }

    @Test
    void greyRoundTripsSampleForSample() throws IOException {
        BufferedImage img = new BufferedImage(37, 23, BufferedImage.TYPE_BYTE_GRAY);
        Random r = new Random(3);
        for (int y = 0; y < 23; y++) for (int x = 0; x < 37; x++) img.getRaster().setSample(x, y, 0, r.nextInt(256));
        BufferedImage back = decoded(Png.encode(img));
        assertEquals(1, back.getRaster().getNumBands(), "written as grey, not RGB");
        for (int y = 0; y < 23; y++)
            for (int x = 0; x < 37; x++)
                assertEquals(img.getRaster().getSample(x, y, 0), back.getRaster().getSample(x, y, 0), x + "," + y);
    }

    @Test
    void colourWithAndWithoutAlphaRoundTrips() throws IOException {
        for (int type : new int[] {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_3BYTE_BGR}) {
            BufferedImage img = noisy(type, 19, 11, type);
            BufferedImage back = decoded(Png.encode(img));
            assertEquals(img.getColorModel().hasAlpha(), back.getColorModel().hasAlpha(), "alpha kept exactly when present, type " + type);
            for (int y = 0; y < 11; y++)
                for (int x = 0; x < 19; x++)
                    assertEquals(img.getRGB(x, y), back.getRGB(x, y), "type " + type + " at " + x + "," + y);
        }
    }

    @Test
    void oneByOneAndWideImagesAreValid() throws IOException {
        assertEquals(0xFF123456, decoded(Png.encode(noisyOne())).getRGB(0, 0));
        BufferedImage wide = noisy(BufferedImage.TYPE_INT_RGB, 3000, 10, 9); // random rows: more than one 64 KiB deflate buffer
        BufferedImage back = decoded(Png.encode(wide));
        assertEquals(wide.getRGB(2999, 9), back.getRGB(2999, 9));
    }

    private static BufferedImage noisyOne() {
        BufferedImage one = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        one.setRGB(0, 0, 0x123456);
        return one;
    }
}
