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

    @Test
    void paletteImagesKeepTheirTableAndTranslucency() throws IOException {
        int n = 200;
        byte[] r = new byte[n], g = new byte[n], b = new byte[n], a = new byte[n];
        Random rnd = new Random(5);
        rnd.nextBytes(r);
        rnd.nextBytes(g);
        rnd.nextBytes(b);
        for (int i = 0; i < n; i++) a[i] = (byte) (i < 150 ? i : 255); // translucent entries first, then opaque ones
        java.awt.image.IndexColorModel table = new java.awt.image.IndexColorModel(8, n, r, g, b, a);
        BufferedImage img = new BufferedImage(33, 17, BufferedImage.TYPE_BYTE_INDEXED, table);
        for (int y = 0; y < 17; y++) for (int x = 0; x < 33; x++) img.getRaster().setSample(x, y, 0, rnd.nextInt(n));
        byte[] png = Png.encode(img);
        BufferedImage back = decoded(png);
        assertTrue(back.getColorModel() instanceof java.awt.image.IndexColorModel, "written as a palette image");
        assertEquals(1, back.getRaster().getNumBands(), "one byte per pixel");
        for (int y = 0; y < 17; y++)
            for (int x = 0; x < 33; x++) assertEquals(img.getRGB(x, y), back.getRGB(x, y), x + "," + y);

        BufferedImage opaque = new BufferedImage(5, 5, BufferedImage.TYPE_BYTE_INDEXED,
                new java.awt.image.IndexColorModel(8, 2, new byte[] {0, (byte) 255}, new byte[2], new byte[2]));
        opaque.getRaster().setSample(2, 2, 0, 1);
        BufferedImage back2 = decoded(Png.encode(opaque));
        assertEquals(0xFFFF0000, back2.getRGB(2, 2));
        assertEquals(0xFF000000, back2.getRGB(0, 0), "no transparency table: every entry opaque");
    }

    private static BufferedImage noisyOne() {
        BufferedImage one = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        one.setRGB(0, 0, 0x123456);
        return one;
    }
}
