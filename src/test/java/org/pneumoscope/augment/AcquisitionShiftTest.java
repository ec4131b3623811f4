package org.pneumoscope.augment;

import org.junit.jupiter.api.Test;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.UserException;

import static org.junit.jupiter.api.Assertions.*;

class AcquisitionShiftTest {
    static int map(AcquisitionShift s, int v) {
        return s.apply(new GreyImage(1, 1, new byte[] {(byte) v})).pixels()[0] & 0xff;
    }

    @Test
    void parsesAnySubsetAndDescribesItselfInTheSameSpelling() {
        AcquisitionShift s = AcquisitionShift.parse(" contrast=0.7 , gamma=1.5");
        assertEquals(new AcquisitionShift(1.5, 0.7, 0), s);
        assertEquals("gamma=1.5,contrast=0.7,brightness=0", s.describe());
        assertEquals(s, AcquisitionShift.parse(s.describe()));
        assertTrue(AcquisitionShift.parse(null).isNone());
        assertEquals("none", AcquisitionShift.parse("").describe());
        assertTrue(AcquisitionShift.parse(AcquisitionShift.NONE.describe()).isNone(), "describe's 'none' parses back");
        assertEquals("none", AcquisitionShift.NONE.label());
        assertEquals("gamma=1.5,contrast=0.7", s.label(), "label: only what differs from no shift");
    }

    @Test
    void badSpellingsAreRefusedByName() {
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("gama=2")).getMessage().contains("unknown key 'gama'"));
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("gamma=x")).getMessage().contains("gamma has a bad value 'x'"));
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("gamma")).getMessage().contains("must look like"));
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("gamma=0")).getMessage().contains("gamma must be"));
    }

    @Test
    void mapsGreyLevelsAsDocumented() {
        AcquisitionShift none = AcquisitionShift.NONE;
        for (int v = 0; v < 256; v += 17) assertEquals(v, map(none, v));
        AcquisitionShift dark = new AcquisitionShift(2, 1, 0);
        assertEquals(64, map(dark, 128)); // 255 * (128/255)^2 = 64.25
        assertEquals(0, map(dark, 0));
        assertEquals(255, map(dark, 255));
        AcquisitionShift flat = new AcquisitionShift(1, 0.5, 0);
        assertEquals(64, map(flat, 0)); // 128 - 64
        assertEquals(192, map(flat, 255)); // 128 + 63.5, rounded
        assertEquals(255, map(new AcquisitionShift(1, 1, 0.5), 200), "clipped at white");
        assertEquals(0, map(new AcquisitionShift(1, 1, -0.5), 100), "clipped at black");
    }

    /** A 64x64 image of soft bars (period 8 px) on mid-grey: has edges to blur or sharpen, no clipping. */
    static GreyImage bars() {
        byte[] p = new byte[64 * 64];
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++) p[y * 64 + x] = (byte) ((x / 4) % 2 == 0 ? 100 : 156);
        return new GreyImage(64, 64, p);
    }

    static double sd(GreyImage g) {
        double s = 0, ss = 0;
        for (byte b : g.pixels()) { s += b & 0xff; ss += (b & 0xff) * (double) (b & 0xff); }
        double n = g.pixels().length, m = s / n;
        return Math.sqrt(ss / n - m * m);
    }

    static double mean(GreyImage g) {
        double s = 0;
        for (byte b : g.pixels()) s += b & 0xff;
        return s / g.pixels().length;
    }

    @Test
    void blurSharpenAndNoiseParseDescribeAndRefuse() {
        AcquisitionShift s = AcquisitionShift.parse("noise=0.02, blur=1.5,sharpen=1");
        assertEquals(new AcquisitionShift(1, 1, 0, 1.5, 1, 0.02), s);
        assertEquals("gamma=1,contrast=1,brightness=0,blur=1.5,sharpen=1,noise=0.02", s.describe());
        assertEquals(s, AcquisitionShift.parse(s.describe()));
        assertEquals("gamma=1,contrast=1,brightness=0,blur=2", AcquisitionShift.parse("blur=2").describe());
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("blur=-1")).getMessage().contains("blur"));
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("noise=2")).getMessage().contains("noise"));
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("sharp=1")).getMessage().contains("sharpen"),
                "the refusal lists the known keys");
    }

    @Test
    void blurSoftensSharpenHardensAndNeitherMovesTheMeanGrey() {
        GreyImage img = bars();
        GreyImage soft = AcquisitionShift.parse("blur=2").apply(img);
        GreyImage hard = AcquisitionShift.parse("sharpen=1").apply(img);
        assertEquals(28.0, sd(img), 1e-9);
        assertTrue(sd(soft) < 0.8 * sd(img), "blur flattens the bars: SD " + sd(soft));
        assertTrue(sd(hard) > 1.1 * sd(img), "sharpening overshoots at the edges: SD " + sd(hard));
        assertEquals(mean(img), mean(soft), 1.0);
        assertEquals(mean(img), mean(hard), 1.0);
        assertEquals(img.width(), soft.width());
        assertEquals(img.height(), hard.height());
    }

    @Test
    void noiseHasTheAskedSpreadAndIsTheSameForTheSameFilm() {
        byte[] flat = new byte[100 * 100];
        java.util.Arrays.fill(flat, (byte) 128);
        GreyImage img = new GreyImage(100, 100, flat);
        AcquisitionShift noisy = AcquisitionShift.parse("noise=0.02");
        GreyImage a = noisy.apply(img), b = noisy.apply(img);
        assertArrayEquals(a.pixels(), b.pixels(), "seeded by the film: repeatable");
        assertEquals(0.02 * 255, sd(a), 0.25, "SD in grey levels");   // 5.1; rounding adds ~0.3^2 in quadrature
        assertEquals(128, mean(a), 0.3);
        byte[] other = flat.clone();
        other[0] = 0;
        assertFalse(java.util.Arrays.equals(a.pixels(), noisy.apply(new GreyImage(100, 100, other)).pixels()),
                "another film, other noise");
    }

    /** A 40x40 black film with a white square of the given side at its centre. */
    static GreyImage square(int side) {
        byte[] px = new byte[40 * 40];
        for (int y = 20 - side / 2; y < 20 + side / 2; y++)
            for (int x = 20 - side / 2; x < 20 + side / 2; x++) px[y * 40 + x] = (byte) 255;
        return new GreyImage(40, 40, px);
    }

    static int whiteCount(GreyImage g) {
        int n = 0;
        for (byte b : g.pixels()) if ((b & 0xff) > 127) n++;
        return n;
    }

    @Test
    void zoomFramesTheFilmTighterOrWiderAboutItsCentre() {
        AcquisitionShift z = AcquisitionShift.parse("zoom=2");
        assertEquals(new AcquisitionShift(1, 1, 0, 0, 0, 0, 2), z);
        assertEquals("zoom=2", z.label());
        assertEquals(z, AcquisitionShift.parse(z.describe()));
        GreyImage tight = z.apply(square(10));
        assertEquals(400, whiteCount(tight), 45, "the 10 px square fills 20x20 pixels (a pixel more or less at the edges)");
        assertEquals(255, tight.pixels()[20 * 40 + 20] & 0xff, "the centre stays in place");
        assertEquals(100, whiteCount(AcquisitionShift.parse("zoom=0.5").apply(square(20))), 25, "wider: 20 px becomes 10");
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("zoom=5")).getMessage().contains("zoom"));
    }

    @Test
    void squeezeNarrowsTheChestAgainstItsHeight() {
        AcquisitionShift s = AcquisitionShift.parse("squeeze=1.44");
        assertEquals(new AcquisitionShift(1, 1, 0, 0, 0, 0, 1, 1.44), s);
        assertEquals("squeeze=1.44", s.label());
        assertEquals(s, AcquisitionShift.parse(s.describe()));
        FloatImage out = FloatImage.of(s.apply(new GreyImage(64, 64, bytes(TransformsTest.patch(64, 24)))));
        int[] e = TransformsTest.extent(out);
        assertEquals(20, e[0], 1, "1.2 times narrower");
        assertEquals(29, e[1], 1, "1.2 times taller");
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("squeeze=3")).getMessage().contains("squeeze"));
    }

    static byte[] bytes(FloatImage f) {
        byte[] b = new byte[f.pixels().length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Math.round(f.pixels()[i] * 255);
        return b;
    }
}
