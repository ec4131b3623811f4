package org.pneumoscope.pipeline;

import org.junit.jupiter.api.Test;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.explain.CamResult;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class PointingGameTest {

    @Test
    void toleranceIsZhangEtAlsFifteenPixelsAt224() {
        assertEquals(15, PointingGame.tolerance(224));
        assertEquals(9, PointingGame.tolerance(128));
        assertEquals(1, PointingGame.tolerance(8));
    }

    @Test
    void chanceIsTheShareOfPixelsWithinTheToleranceOfTheMask() {
        Random r = new Random(3);
        for (int trial = 0; trial < 5; trial++) {
            int w = 40 + r.nextInt(20), h = 30 + r.nextInt(20), tol = r.nextInt(6);
            byte[] px = new byte[w * h];
            for (int k = 0; k < 3; k++) px[r.nextInt(px.length)] = (byte) 255;
            GreyImage mask = new GreyImage(w, h, px);
            int near = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    boolean hit = false;
                    for (int yy = Math.max(0, y - tol); yy <= Math.min(h - 1, y + tol); yy++)
                        for (int xx = Math.max(0, x - tol); xx <= Math.min(w - 1, x + tol); xx++)
                            hit |= mask.get(xx, yy) > 127;
                    if (hit) near++;
                }
            assertEquals(near / (double) (w * h), PointingGame.chance(mask, tol), 1e-12, "trial " + trial);
        }
    }

    @Test
    void measureCountsAHitWithinTheToleranceAndTheEnergyInside() {
        int w = 20, h = 10;
        byte[] px = new byte[w * h];
        for (int y = 2; y < 4; y++) for (int x = 12; x < 14; x++) px[y * w + x] = (byte) 255; // 4 px lesion
        GreyImage mask = new GreyImage(w, h, px);
        float[] map = new float[w * h];
        map[7 * w + 15] = 1f; // peak at (15,7): 2 columns and 4 rows from the lesion
        map[2 * w + 12] = 0.5f;
        CamResult c = new CamResult(map, w, h, new float[] {1, 0, 0}, 0);
        assertEquals(0, PointingGame.measure(c, mask, 3)[0], "4 rows away is outside a 3-px tolerance");
        double[] r = PointingGame.measure(c, mask, 4);
        assertEquals(1, r[0], "within 4 px (Chebyshev)");
        assertEquals(0.5 / 1.5, r[1], 1e-9);
        assertEquals(4.0 / (w * h), r[2], 1e-12);
        assertNull(PointingGame.measure(c, new GreyImage(w, h, new byte[w * h]), 4), "no lesion, no score");
    }
}
