package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.pneumoscope.core.GreyImage;

import static org.junit.jupiter.api.Assertions.*;

class PreprocessTest {

    static GreyImage img(int w, int h, int... v) {
        byte[] b = new byte[w * h];
        for (int i = 0; i < b.length; i++) b[i] = (byte) v[i];
        return new GreyImage(w, h, b);
    }

    static GreyImage constant(int w, int h, int v) {
        byte[] b = new byte[w * h];
        java.util.Arrays.fill(b, (byte) v);
        return new GreyImage(w, h, b);
    }

    @Test
    void sameSizeIsACopy() {
        GreyImage src = TestImages.chest(50, 50, 1);
        GreyImage out = Preprocess.resize(src, 50, ResizeMode.SQUASH);
        assertArrayEquals(src.pixels(), out.pixels());
        assertNotSame(src.pixels(), out.pixels());
        assertArrayEquals(src.pixels(), Preprocess.resize(src, 50, ResizeMode.LETTERBOX).pixels());
    }

    @Test
    void downscaleAveragesAreas() {
        GreyImage src = img(4, 2, 0, 100, 200, 40, 20, 60, 0, 80);
        GreyImage out = Preprocess.resize(src, 2, 1);
        assertEquals(45, out.get(0, 0)); // (0+100+20+60)/4
        assertEquals(80, out.get(1, 0)); // (200+40+0+80)/4
        // 3 -> 2: each output covers 1.5 source pixels, the middle one split in half.
        GreyImage row = Preprocess.resize(img(3, 1, 0, 90, 180), 2, 1);
        assertEquals(30, row.get(0, 0));  // (0*1 + 90*0.5) / 1.5
        assertEquals(150, row.get(1, 0)); // (90*0.5 + 180*1) / 1.5
    }

    @Test
    void upscaleIsBilinearWithHalfPixelCentres() {
        GreyImage out = Preprocess.resize(img(2, 1, 0, 100), 4, 1);
        assertArrayEquals(new int[]{0, 25, 75, 100}, new int[]{out.get(0, 0), out.get(1, 0), out.get(2, 0), out.get(3, 0)});
    }

    @Test
    void constantStaysConstantAndMeanIsPreservedWhenShrinking() {
        for (int[] wh : new int[][]{{300, 200}, {97, 131}, {20, 20}, {7, 300}}) {
            GreyImage out = Preprocess.resize(constant(wh[0], wh[1], 137), 64, ResizeMode.SQUASH);
            for (byte b : out.pixels()) assertEquals(137, b & 0xff);
        }
        GreyImage src = TestImages.chest(448, 448, 2);
        GreyImage half = Preprocess.resize(src, 224, ResizeMode.SQUASH);
        assertEquals(mean(src), mean(half), 0.3);
        // Exact 2x2 block means.
        for (int y = 0; y < 224; y += 37)
            for (int x = 0; x < 224; x += 41) {
                int s = src.get(2 * x, 2 * y) + src.get(2 * x + 1, 2 * y) + src.get(2 * x, 2 * y + 1) + src.get(2 * x + 1, 2 * y + 1);
                assertEquals(s / 4.0, half.get(x, y), 0.51);
            }
    }

    static double mean(GreyImage g) {
        long s = 0;
        for (byte b : g.pixels()) s += b & 0xff;
        return s / (double) g.pixels().length;
    }

    @Test
    void letterboxKeepsAspectAndPadsBlack() {
        GreyImage wide = constant(200, 100, 255);
        GreyImage out = Preprocess.resize(wide, 100, ResizeMode.LETTERBOX);
        Preprocess.Placement p = Preprocess.placement(200, 100, 100, ResizeMode.LETTERBOX);
        assertEquals(new Preprocess.Placement(0, 25, 100, 50), p);
        for (int y = 0; y < 100; y++) {
            int expected = y >= 25 && y < 75 ? 255 : 0;
            assertEquals(expected, out.get(50, y), "row " + y);
            assertEquals(expected, out.get(0, y), "row " + y);
        }
        GreyImage tall = constant(30, 90, 200);
        GreyImage t = Preprocess.resize(tall, 60, ResizeMode.LETTERBOX);
        assertEquals(new Preprocess.Placement(20, 0, 20, 60), Preprocess.placement(30, 90, 60, ResizeMode.LETTERBOX));
        assertEquals(0, t.get(19, 30));
        assertEquals(200, t.get(20, 30));
        assertEquals(200, t.get(39, 30));
        assertEquals(0, t.get(40, 30));
    }

    @Test
    void squashStretchesToTheFullSquare() {
        GreyImage out = Preprocess.resize(constant(200, 100, 255), 100, ResizeMode.SQUASH);
        for (byte b : out.pixels()) assertEquals(255, b & 0xff);
        assertEquals(new Preprocess.Placement(0, 0, 100, 100), Preprocess.placement(200, 100, 100, ResizeMode.SQUASH));
    }

    @Test
    void gradientStaysLinear() {
        // A horizontal ramp stays a ramp: each output pixel is the mean of the source span it covers.
        byte[] b = new byte[400 * 300];
        for (int y = 0; y < 300; y++) for (int x = 0; x < 400; x++) b[y * 400 + x] = (byte) ((x * 255) / 399);
        GreyImage src = new GreyImage(400, 300, b);
        GreyImage ours = Preprocess.resize(src, 224, ResizeMode.SQUASH);
        for (int x = 0; x < 224; x++) assertEquals((x + 0.5) / 224 * 255, ours.get(x, 100), 2.0);
    }
}
