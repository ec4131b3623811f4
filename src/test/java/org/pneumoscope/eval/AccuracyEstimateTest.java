package org.pneumoscope.eval;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class AccuracyEstimateTest {
    /**
     * Validation films whose answers are right more often the surer they are, as a calibrated model's are: film i
     * puts {@code top} on one class, right with probability {@code top}.
     */
    static float[][] films(SplittableRandom r, int n, double sharpen, int[] labels) {
        float[][] p = new float[n][];
        for (int i = 0; i < n; i++) {
            float top = (float) Math.min(0.995, 0.34 + 0.65 * Math.pow(r.nextDouble(), 1 / sharpen));
            int answer = i % 3;
            p[i] = new float[] {(1 - top) / 2, (1 - top) / 2, (1 - top) / 2};
            p[i][answer] = top;
            if (labels != null) labels[i] = r.nextDouble() < top ? answer : (answer + 1) % 3;
        }
        return p;
    }

    @Test
    void onItsOwnValidationFilmsTheEstimateIsTheirAccuracy() {
        int n = 400;
        int[] y = new int[n];
        float[][] p = films(new SplittableRandom(3), n, 1, y);
        AccuracyEstimate e = AccuracyEstimate.fit(p, y);
        int right = 0;
        for (int i = 0; i < n; i++) if (Metrics.argmax(p[i]) == y[i]) right++;
        assertEquals(right / (double) n, e.validationAccuracy(), 1e-12);
        assertEquals(e.validationAccuracy(), e.estimate(p), 1e-12, "as many films at or above the threshold as were right");
        assertEquals(n, e.films());
        assertTrue(e.validationAccuracy() > 0.5 && e.validationAccuracy() < 0.9, "a model neither useless nor perfect");
    }

    @Test
    void surerFilmsAreEstimatedHigherAndLessSureOnesLower() {
        int n = 600;
        int[] y = new int[n];
        AccuracyEstimate e = AccuracyEstimate.fit(films(new SplittableRandom(5), n, 1, y), y);
        double sure = e.estimate(films(new SplittableRandom(6), n, 3, null));
        double unsure = e.estimate(films(new SplittableRandom(7), n, 0.4, null));
        double same = e.estimate(films(new SplittableRandom(8), n, 1, null));
        assertTrue(sure > same + 0.1, sure + " vs " + same);
        assertTrue(unsure < same - 0.1, unsure + " vs " + same);
        assertEquals(e.validationAccuracy(), same, 0.06, "films from the same source: about the validation accuracy");
    }

    @Test
    void theExtremes() {
        float[][] p = {{0.9f, 0.05f, 0.05f}, {0.6f, 0.2f, 0.2f}, {0.2f, 0.7f, 0.1f}};
        AccuracyEstimate none = AccuracyEstimate.fit(p, new int[] {1, 1, 0});
        assertEquals(0, none.validationAccuracy());
        assertEquals(0, none.estimate(p), "none right: no film lies above the threshold");
        AccuracyEstimate all = AccuracyEstimate.fit(p, new int[] {0, 0, 1});
        assertEquals(1, all.estimate(p));
        assertEquals(1, all.estimate(new float[][] {{0.6f, 0.2f, 0.2f}}), 0, "as sure as the least sure validation film");
        assertEquals(0, all.estimate(new float[][] {{1f / 3, 1f / 3, 1f / 3}}), 0, "less sure than every validation film");
        assertTrue(Double.isNaN(all.estimate(new float[0][])));
        assertEquals(0, AccuracyEstimate.score(new float[] {1, 0, 0}), 0);
        assertEquals(-Math.log(3), AccuracyEstimate.score(new float[] {1f / 3, 1f / 3, 1f / 3}), 1e-6);
    }

    @Test
    void filmsWithoutFiniteProbabilitiesAreLeftOut() {
        float[][] p = {{0.9f, 0.05f, 0.05f}, {0.6f, 0.2f, 0.2f}, {Float.NaN, 0.5f, 0.5f}, {0.2f, 0.7f, 0.1f}};
        AccuracyEstimate e = AccuracyEstimate.fit(p, new int[] {0, 1, 2, 1});
        assertEquals(3, e.films());
        assertEquals(2 / 3.0, e.validationAccuracy(), 1e-12);
        assertEquals(2 / 3.0, e.estimate(p), 1e-12, "the NaN film counts neither above nor below");
        assertTrue(Double.isNaN(e.estimate(new float[][] {{Float.NaN, 0, 1}})));
    }

    @Test
    void refusesMismatchedOrEmptyInput() {
        assertThrows(IllegalArgumentException.class, () -> AccuracyEstimate.fit(new float[2][3], new int[3]));
        assertThrows(IllegalArgumentException.class, () -> AccuracyEstimate.fit(new float[0][], new int[0]));
    }
}
