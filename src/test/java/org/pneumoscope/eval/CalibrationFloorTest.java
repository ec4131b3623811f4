package org.pneumoscope.eval;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class CalibrationFloorTest {
    static float[][] constant(int n, float... p) {
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = p.clone();
        return out;
    }

    @Test
    void certainPredictionsHaveNoFloor() {
        ReliabilityDiagram.Floor f = ReliabilityDiagram.calibratedFloor(constant(50, 1f, 0f, 0f), 15, 200, 1);
        assertEquals(0.0, f.mean(), 0.0);
        assertEquals(0.0, f.p95(), 0.0);
    }

    @Test
    void coinFlipsMatchTheBinomialByHand() {
        // one bin, confidence 0.5, 400 images: ECE = |acc − 0.5| with acc ~ Binomial(400, 0.5)/400 (SD 0.025),
        // so E|·| = 0.025·sqrt(2/π) = 0.0199 and the 95th percentile ≈ 1.96·0.025 = 0.049
        ReliabilityDiagram.Floor f = ReliabilityDiagram.calibratedFloor(constant(400, .5f, .3f, .2f), 15, 4000, 7);
        assertEquals(0.0199, f.mean(), 0.0015);
        assertEquals(0.049, f.p95(), 0.004);
        assertEquals(f, ReliabilityDiagram.calibratedFloor(constant(400, .5f, .3f, .2f), 15, 4000, 7), "seeded");
    }

    @Test
    void moreImagesLowerTheFloor() {
        Random r = new Random(3);
        float[][] big = new float[2000][];
        for (int i = 0; i < big.length; i++) big[i] = probs(r);
        float[][] small = java.util.Arrays.copyOf(big, 200);
        double a = ReliabilityDiagram.calibratedFloor(small, 15, 500, 1).mean();
        double b = ReliabilityDiagram.calibratedFloor(big, 15, 500, 1).mean();
        assertTrue(b < 0.5 * a, "2000 images " + b + " against 200 images " + a);
    }

    /** A random 3-class distribution with a clear favourite, as a trained model gives. */
    static float[] probs(Random r) {
        double a = Math.exp(3 * r.nextGaussian()), b = Math.exp(r.nextGaussian()), c = Math.exp(r.nextGaussian());
        double s = a + b + c;
        return new float[]{(float) (a / s), (float) (b / s), (float) (c / s)};
    }

    static int draw(float[] p, Random r) {
        double u = r.nextDouble(), acc = 0;
        for (int k = 0; k < p.length; k++) if (u < (acc += p[k])) return k;
        return p.length - 1;
    }

    @Test
    void aCalibratedModelStaysUnderTheFloorAndAnOverconfidentOneDoesNot() {
        Random r = new Random(11);
        int n = 500, sims = 40, calibratedAbove = 0, overconfidentAbove = 0;
        for (int s = 0; s < sims; s++) {
            float[][] truth = new float[n][], sharp = new float[n][];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                truth[i] = probs(r);
                labels[i] = draw(truth[i], r);
                float[] z = new float[3];
                for (int k = 0; k < 3; k++) z[k] = (float) (2 * Math.log(truth[i][k]));   // T = 0.5: overconfident
                sharp[i] = Metrics.softmax(z, 1.0);
            }
            if (!ReliabilityDiagram.calibratedFloor(truth, 15, 300, s).consistent(Metrics.expectedCalibrationError(truth, labels)))
                calibratedAbove++;
            if (!ReliabilityDiagram.calibratedFloor(sharp, 15, 300, s).consistent(Metrics.expectedCalibrationError(sharp, labels)))
                overconfidentAbove++;
        }
        assertTrue(calibratedAbove <= 6, calibratedAbove + " of " + sims + " calibrated models above the 95th percentile");
        assertTrue(overconfidentAbove >= 36, "only " + overconfidentAbove + " of " + sims + " overconfident models flagged");
    }
}
