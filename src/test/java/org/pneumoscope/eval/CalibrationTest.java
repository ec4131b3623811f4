package org.pneumoscope.eval;

import org.junit.jupiter.api.Test;
import org.pneumoscope.eval.Calibration.Method;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bias-corrected temperature scaling: softmax(z / T + b) fitted by maximum likelihood. The data here follow that
 * model exactly, with offsets b = centred log class frequencies: what a network trained on balanced classes shows
 * when the held-out data are not balanced.
 */
class CalibrationTest {
    static final double[] PRIOR = {0.55, 0.25, 0.20};

    /** Logits z ~ N(0, 2²) per class; labels drawn from softmax(beta·z + b) with b = centred log PRIOR. */
    static Object[] synthetic(int n, double beta, long seed) {
        Random rnd = new Random(seed);
        double[] b = trueOffsets();
        float[][] z = new float[n][3];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double[] a = new double[3];
            double s = 0;
            for (int k = 0; k < 3; k++) {
                z[i][k] = (float) (2 * rnd.nextGaussian());
                s += a[k] = Math.exp(beta * z[i][k] + b[k]);
            }
            double u = rnd.nextDouble() * s, c = 0;
            y[i] = 2;
            for (int k = 0; k < 3; k++) {
                c += a[k];
                if (u < c) { y[i] = k; break; }
            }
        }
        return new Object[]{z, y};
    }

    static double[] trueOffsets() {
        double[] b = new double[3];
        double m = 0;
        for (int k = 0; k < 3; k++) m += (b[k] = Math.log(PRIOR[k])) / 3;
        for (int k = 0; k < 3; k++) b[k] -= m;
        return b;
    }

    static double accuracy(float[][] p, int[] y) {
        int ok = 0;
        for (int i = 0; i < y.length; i++) if (Metrics.argmax(p[i]) == y[i]) ok++;
        return ok / (double) y.length;
    }

    @Test
    void recoversTheTemperatureAndTheClassOffsets() {
        Object[] d = synthetic(20000, 0.7, 11);
        float[][] z = (float[][]) d[0];
        int[] y = (int[]) d[1];
        Calibration c = Calibration.fit(Method.BIAS_CORRECTED, z, y);
        assertEquals(Method.BIAS_CORRECTED, c.method());
        assertEquals(1 / 0.7, c.temperature(), 0.05 / 0.7, "T");
        double[] b = c.bias(), want = trueOffsets();
        for (int k = 0; k < 3; k++) assertEquals(want[k], b[k], 0.08, "offset of class " + k + ": " + java.util.Arrays.toString(b));
        assertEquals(0, b[0] + b[1] + b[2], 1e-9, "offsets are stored centred");
        assertTrue(c.shiftsClasses());
        // the fit is the likelihood's minimum: moving any parameter a little only raises the NLL
        double nll = c.nll(z, y);
        for (int k = 0; k < 3; k++)
            for (double h : new double[]{-0.02, 0.02}) {
                double[] bb = c.bias();
                bb[k] += h;
                assertTrue(new Calibration(c.method(), c.temperature(), bb).nll(z, y) > nll, "offset " + k + " moved by " + h);
            }
        for (double f : new double[]{0.98, 1.02})
            assertTrue(new Calibration(c.method(), c.temperature() * f, c.bias()).nll(z, y) > nll, "T scaled by " + f);
    }

    @Test
    void beatsTemperatureAloneOnFreshDataWhenTheClassMixIsUnbalanced() {
        Object[] fitSet = synthetic(3000, 0.8, 5), fresh = synthetic(20000, 0.8, 6);
        float[][] z = (float[][]) fitSet[0], zf = (float[][]) fresh[0];
        int[] y = (int[]) fitSet[1], yf = (int[]) fresh[1];
        Calibration t = Calibration.fit(Method.TEMPERATURE, z, y), bc = Calibration.fit(Method.BIAS_CORRECTED, z, y);
        assertFalse(t.shiftsClasses());
        // nested models: on the data it was fitted to, the richer one can only do as well or better
        assertTrue(bc.nll(z, y) <= t.nll(z, y) + 1e-12);
        // and on fresh data from the same source it is better calibrated and, restoring the class mix, more accurate
        float[][] pt = t.probabilities(zf), pb = bc.probabilities(zf);
        double eceT = Metrics.expectedCalibrationError(pt, yf), eceB = Metrics.expectedCalibrationError(pb, yf);
        assertTrue(eceB < eceT, eceB + " vs " + eceT);
        assertTrue(eceB < 0.02, "ECE " + eceB);
        assertTrue(bc.nll(zf, yf) < t.nll(zf, yf));
        assertTrue(accuracy(pb, yf) > accuracy(pt, yf) + 0.01, accuracy(pb, yf) + " vs " + accuracy(pt, yf));
    }

    @Test
    void balancedDataGetOffsetsNearZero() {
        Random rnd = new Random(2);
        int n = 20000;
        float[][] z = new float[n][3];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) z[i][k] = (float) (2 * rnd.nextGaussian());
            float[] p = Metrics.softmax(z[i], 1.25);
            double u = rnd.nextDouble(), c = 0;
            y[i] = 2;
            for (int k = 0; k < 3; k++) { c += p[k]; if (u < c) { y[i] = k; break; } }
        }
        Calibration c = Calibration.fit(Method.BIAS_CORRECTED, z, y);
        for (double v : c.bias()) assertEquals(0, v, 0.06);
        assertEquals(1.25, c.temperature(), 0.07);
        assertEquals(TemperatureScaling.fit(z, y), c.temperature(), 0.05, "close to the temperature-only fit");
    }

    @Test
    void offsetsCanChangeThePredictedClassTemperatureNever() {
        float[] z = {1.0f, 0.9f, -2f};
        Calibration shifted = new Calibration(Method.BIAS_CORRECTED, 1.0, new double[]{-0.3, 0.3, 0});
        assertEquals(0, Metrics.argmax(Calibration.identity().probabilities(z)));
        assertEquals(1, Metrics.argmax(shifted.probabilities(z)));
        float[] p = shifted.probabilities(z);
        double e0 = Math.exp(0.7), e1 = Math.exp(1.2), e2 = Math.exp(-2);   // by hand: z + b
        assertEquals(e1 / (e0 + e1 + e2), p[1], 1e-6);
        assertEquals(1, p[0] + p[1] + p[2], 1e-6);
        Random rnd = new Random(9);
        for (int i = 0; i < 200; i++) {
            float[] v = {(float) rnd.nextGaussian(), (float) rnd.nextGaussian(), (float) rnd.nextGaussian()};
            double t = 0.05 + 5 * rnd.nextDouble();
            assertEquals(Metrics.argmax(v), Metrics.argmax(Calibration.ofTemperature(t).probabilities(v)));
        }
    }

    @Test
    void aClassMissingFromTheFittingDataKeepsEverythingFinite() {
        Object[] d = synthetic(2000, 1.0, 8);
        float[][] z = (float[][]) d[0];
        int[] y = ((int[]) d[1]).clone();
        for (int i = 0; i < y.length; i++) if (y[i] == 2) y[i] = 1;   // nobody normal
        Calibration c = Calibration.fit(Method.BIAS_CORRECTED, z, y);
        for (double v : c.bias()) assertTrue(Double.isFinite(v) && Math.abs(v) <= 2 * Calibration.MAX_BIAS, java.util.Arrays.toString(c.bias()));
        assertTrue(c.bias()[2] < c.bias()[1] - 3, "the absent class is pushed far down: " + java.util.Arrays.toString(c.bias()));
        for (float[] p : c.probabilities(z)) for (float v : p) assertTrue(Float.isFinite(v));
    }

    @Test
    void namesAndGuards() {
        assertEquals(Method.BIAS_CORRECTED, Calibration.parse("BCTS"));
        assertEquals(Method.BIAS_CORRECTED, Calibration.parse(" bias_corrected "));
        assertEquals(Method.TEMPERATURE, Calibration.parse("Temperature"));
        assertEquals(Method.NONE, Calibration.parse("none"));
        assertNull(Calibration.parse("platt"));
        IllegalArgumentException platt = assertThrows(IllegalArgumentException.class, () -> Calibration.parse("platt", "metrics.json"));
        assertTrue(platt.getMessage().contains("metrics.json") && platt.getMessage().contains("temperature, bias-corrected or none"),
                platt.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Calibration(null, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new Calibration(Method.TEMPERATURE, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new Calibration(Method.BIAS_CORRECTED, 1, new double[]{0, Double.NaN, 0}));
        assertThrows(IllegalArgumentException.class, () -> new Calibration(Method.BIAS_CORRECTED, 1, new double[]{0, 0}).probabilities(new float[]{1, 2, 3}));
        Calibration none = Calibration.fit(Method.NONE, new float[][]{{1, 2, 3}}, new int[]{0});
        assertArrayEquals(Metrics.softmax(new float[]{1, 2, 3}, 1.0), none.probabilities(new float[]{1, 2, 3}), 1e-7f);
        assertEquals("T = 1.200", Calibration.ofTemperature(1.2).describe(List.of("bacteria", "virus", "normal")));
        assertEquals("T = 0.900, class offsets bacteria +0.400 virus -0.300 normal -0.100",
                new Calibration(Method.BIAS_CORRECTED, 0.9, new double[]{0.4, -0.3, -0.1}).describe(List.of("bacteria", "virus", "normal")));
        // a caller cannot change a calibration through the array it passed or got
        double[] b = {0.4, -0.3, -0.1};
        Calibration c = new Calibration(Method.BIAS_CORRECTED, 1, b);
        b[0] = 9;
        c.bias()[1] = 9;
        assertArrayEquals(new double[]{0.4, -0.3, -0.1}, c.bias(), 0);
    }
}
