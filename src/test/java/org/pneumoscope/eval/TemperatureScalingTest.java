package org.pneumoscope.eval;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class TemperatureScalingTest {

    /** Logits z ~ N(0, 3²); labels drawn from softmax(z / t0), so t0 is the true temperature. */
    static Object[] synthetic(int n, double t0, long seed) {
        Random rnd = new Random(seed);
        float[][] z = new float[n][3];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) z[i][k] = (float) (3 * rnd.nextGaussian());
            float[] p = Metrics.softmax(z[i], t0);
            double u = rnd.nextDouble(), c = 0;
            y[i] = 2;
            for (int k = 0; k < 3; k++) {
                c += p[k];
                if (u < c) { y[i] = k; break; }
            }
        }
        return new Object[]{z, y};
    }

    @Test
    void recoversAKnownTemperatureAndImprovesCalibration() {
        for (double t0 : new double[]{2.5, 0.6}) {
            Object[] d = synthetic(20000, t0, (long) (t0 * 100));
            float[][] z = (float[][]) d[0];
            int[] y = (int[]) d[1];
            double t = TemperatureScaling.fit(z, y);
            assertEquals(t0, t, 0.06 * t0, "fitted T for true T " + t0);

            CalibrationResult c = TemperatureScaling.calibrate(z, y);
            assertEquals(t, c.temperature(), 1e-12);
            assertTrue(c.nllAfter() < c.nllBefore(), c.nllAfter() + " vs " + c.nllBefore());
            assertTrue(c.eceAfter() < c.eceBefore(), c.eceAfter() + " vs " + c.eceBefore());
            assertTrue(c.eceAfter() < 0.02, "ECE after " + c.eceAfter());
            // the fitted T is a minimum: nudging it either way does not lower the NLL
            double at = TemperatureScaling.nll(z, y, t);
            assertTrue(at <= TemperatureScaling.nll(z, y, t * 1.05) && at <= TemperatureScaling.nll(z, y, t / 1.05));
        }
    }

    @Test
    void applyKeepsThePredictedClassAndGivesProbabilities() {
        float[][] z = {{2f, 1f, -1f}, {-3f, 0f, 5f}, {0f, 0f, 0f}};
        float[][] p = TemperatureScaling.apply(z, 1.7);
        for (int i = 0; i < z.length; i++) {
            assertEquals(Metrics.argmax(z[i]), Metrics.argmax(p[i]));
            double s = 0;
            for (float v : p[i]) s += v;
            assertEquals(1.0, s, 1e-6);
        }
        // softmax(z/2) of (2,1,-1) = e^(1, .5, -.5) normalised = (.5065, .3072, .1863)  [e^1=2.71828, e^.5=1.64872, e^-.5=.60653]
        float[] q = TemperatureScaling.apply(new float[][]{{2f, 1f, -1f}}, 2.0)[0];
        assertEquals(2.71828 / 4.97353, q[0], 1e-4);
        assertEquals(0.60653 / 4.97353, q[2], 1e-4);
        assertThrows(IllegalArgumentException.class, () -> TemperatureScaling.apply(z, 0));
    }

    @Test
    void perfectlySeparableDataStopsAtTheBound() {
        float[][] z = {{10f, 0f, 0f}, {0f, 10f, 0f}, {0f, 0f, 10f}};
        int[] y = {0, 1, 2};
        double t = TemperatureScaling.fit(z, y);
        assertEquals(TemperatureScaling.MIN_T, t, 1e-12);   // NLL keeps falling as T -> 0
        // all wrong and confident: flattening is best -> largest T
        assertEquals(TemperatureScaling.MAX_T, TemperatureScaling.fit(z, new int[]{1, 2, 0}), 1e-12);
    }

    @Test
    void badLogitsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> TemperatureScaling.fit(new float[][]{{Float.NaN, 0, 0}}, new int[]{0}));
        assertThrows(IllegalArgumentException.class, () -> TemperatureScaling.fit(new float[][]{{1, 0, 0}}, new int[]{3}));
        assertThrows(IllegalArgumentException.class, () -> TemperatureScaling.fit(new float[0][], new int[0]));
    }
}
