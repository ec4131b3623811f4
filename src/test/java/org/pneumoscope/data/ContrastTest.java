package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.UserException;
import org.pneumoscope.train.TrainConfig;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ContrastTest {
    static double meanAbsDiff(GreyImage a, GreyImage b) {
        double s = 0;
        for (int i = 0; i < a.pixels().length; i++) s += Math.abs((a.pixels()[i] & 0xff) - (b.pixels()[i] & 0xff));
        return s / a.pixels().length;
    }

    @Test
    void equalizeUndoesAMonotoneChangeOfTheGreyScale() {
        GreyImage img = TestImages.chest(128, 128, 3);
        // darker mid-tones and a flatter film, no clipping: a strictly monotone map except where levels merge
        GreyImage shifted = new AcquisitionShift(1.6, 0.8, 0).apply(img);
        assertTrue(meanAbsDiff(img, shifted) > 15, "the shift must change the image: " + meanAbsDiff(img, shifted));
        double d = meanAbsDiff(Contrast.EQUALIZE.apply(img), Contrast.EQUALIZE.apply(shifted));
        assertTrue(d < 2.0, "equalised images should agree to within merged levels: " + d);
        // stretch only undoes the linear part, so it leaves the gamma difference
        double s = meanAbsDiff(Contrast.STRETCH.apply(img), Contrast.STRETCH.apply(shifted));
        assertTrue(s > 5 * d, "stretch " + s + " vs equalize " + d);
    }

    @Test
    void stretchUndoesWindowLevelAndWidth() {
        GreyImage img = TestImages.chest(96, 96, 4);
        GreyImage flat = new AcquisitionShift(1, 0.5, 0.08).apply(img);
        assertTrue(meanAbsDiff(img, flat) > 10);
        double d = meanAbsDiff(Contrast.STRETCH.apply(img), Contrast.STRETCH.apply(flat));
        assertTrue(d < 3.0, "stretched images should agree: " + d);
        // the stretched image spans the whole scale: 1 % of pixels at 0 or below, 1 % at 255
        int[] h = new int[256];
        for (byte b : Contrast.STRETCH.apply(flat).pixels()) h[b & 0xff]++;
        int n = 96 * 96;
        assertTrue(h[0] >= 0.01 * n && h[255] >= 0.005 * n, "ends: " + h[0] + ", " + h[255]);
    }

    @Test
    void equalizedHistogramIsNearlyUniform() {
        GreyImage e = Contrast.EQUALIZE.apply(TestImages.chest(128, 128, 5));
        int[] quarter = new int[4];
        for (byte b : e.pixels()) quarter[(b & 0xff) / 64]++;
        for (int q : quarter) assertEquals(0.25, q / (128.0 * 128), 0.05, "quarters " + java.util.Arrays.toString(quarter));
    }

    @Test
    void aFlatImageStaysFlatAndNoneChangesNothing() {
        byte[] p = new byte[64];
        java.util.Arrays.fill(p, (byte) 40);
        GreyImage flat = new GreyImage(8, 8, p);
        for (byte b : Contrast.EQUALIZE.apply(flat).pixels()) assertEquals(128, b & 0xff, "mid-rank of a single level");
        assertArrayEquals(p, Contrast.STRETCH.apply(flat).pixels());
        assertSame(flat, Contrast.NONE.apply(flat));
    }

    @Test
    void configNamesTheContrastAndOldRunsReadAsNone() {
        assertEquals(Contrast.EQUALIZE, TrainConfig.fromMap(Map.of("contrast", "Equalize")).contrastMode());
        assertEquals(Contrast.NONE, TrainConfig.fromMap(Map.of()).contrastMode(), "configs written before the key existed");
        UserException e = assertThrows(UserException.class, () -> TrainConfig.fromMap(Map.of("contrast", "clahe")));
        assertTrue(e.getMessage().contains("contrast must be none, stretch or equalize, not clahe"), e.getMessage());
    }
}
