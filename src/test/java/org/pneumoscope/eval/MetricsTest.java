package org.pneumoscope.eval;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class MetricsTest {

    @Test
    void aucCountsTiesAsHalf() {
        // all tied: every pair is a tie -> 1/2
        assertEquals(0.5, Metrics.auc(new boolean[]{true, true, false, false}, new double[]{.5, .5, .5, .5}), 1e-12);
        // pos {.9,.3}, neg {.9,.1}: (.9 vs .9 tie .5) + (.9 vs .1 = 1) + (.3 vs .9 = 0) + (.3 vs .1 = 1) = 2.5 of 4
        assertEquals(0.625, Metrics.auc(new boolean[]{true, false, true, false}, new double[]{.9, .9, .3, .1}), 1e-12);
        // perfectly reversed
        assertEquals(0.0, Metrics.auc(new boolean[]{true, false}, new double[]{.1, .9}), 1e-12);
        assertTrue(Double.isNaN(Metrics.auc(new boolean[]{true, true}, new double[]{.1, .9})));
    }

    @Test
    void aucEqualsBruteForcePairCountAndRocTrapezoid() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 20; trial++) {
            int n = 5 + rnd.nextInt(60);
            boolean[] pos = new boolean[n];
            double[] s = new double[n];
            for (int i = 0; i < n; i++) {
                pos[i] = rnd.nextBoolean();
                s[i] = rnd.nextInt(6) / 5.0;   // coarse scores: many ties
            }
            double pairs = 0, np = 0, nn = 0;
            for (int i = 0; i < n; i++) {
                if (pos[i]) np++; else nn++;
                for (int j = 0; j < n; j++)
                    if (pos[i] && !pos[j]) pairs += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
            }
            double expected = np == 0 || nn == 0 ? Double.NaN : pairs / (np * nn);
            double auc = Metrics.auc(pos, s);
            if (Double.isNaN(expected)) {
                assertTrue(Double.isNaN(auc));
                continue;
            }
            assertEquals(expected, auc, 1e-12);
            RocCurve roc = RocCurve.of("t", pos, s);
            assertEquals(expected, roc.trapezoidArea(), 1e-12);
            assertEquals(0.0, roc.fpr()[0]);
            assertEquals(1.0, roc.tpr()[roc.size() - 1]);
            assertEquals(1.0, roc.fpr()[roc.size() - 1]);
            for (int k = 1; k < roc.size(); k++) {
                assertTrue(roc.fpr()[k] >= roc.fpr()[k - 1] && roc.tpr()[k] >= roc.tpr()[k - 1]);
                assertTrue(roc.thresholds()[k] < roc.thresholds()[k - 1]);
            }
        }
    }

    @Test
    void rocPointsOfASmallCase() {
        // scores .8(pos) .6(neg) .6(pos) .2(neg): thresholds inf, .8, .6, .2
        RocCurve roc = RocCurve.of("x", new boolean[]{true, false, true, false}, new double[]{.8, .6, .6, .2});
        assertArrayEquals(new double[]{0, 0, .5, 1}, roc.fpr(), 1e-12);
        assertArrayEquals(new double[]{0, .5, 1, 1}, roc.tpr(), 1e-12);
        // AUC: .8 beats both (2), .6 ties .6 (.5) and beats .2 (1) -> 3.5/4
        assertEquals(0.875, roc.auc(), 1e-12);
    }

    @Test
    void reliabilityBinsUseInclusiveUpperEdges() {
        assertEquals(0, ReliabilityDiagram.binOf(0.0, 15));
        assertEquals(0, ReliabilityDiagram.binOf(1.0 / 15, 15));
        assertEquals(14, ReliabilityDiagram.binOf(1.0, 15));
        assertEquals(7, ReliabilityDiagram.binOf(0.5, 15));   // (7/15, 8/15] = (.467, .533]
        // conf .95 x2 (one right) -> bin 14: |.5 - .95| * 2/4; conf .35 x2 (both wrong) -> |0 - .35| * 2/4
        ReliabilityDiagram d = ReliabilityDiagram.of(new double[]{.95, .95, .35, .35},
                new boolean[]{true, false, false, false}, 15);
        assertEquals(0.45 * 0.5 + 0.35 * 0.5, d.ece(), 1e-12);
        assertEquals(2, d.bins().get(14).count());
        assertEquals(0.5, d.bins().get(14).accuracy(), 1e-12);
        assertTrue(Double.isNaN(d.bins().get(0).accuracy()));
    }

    @Test
    void quantileInterpolatesLikeNumpy() {
        double[] v = {1, 2, 3, 4, Double.NaN};
        assertEquals(2.5, Metrics.quantile(v, 0.5), 1e-12);       // numpy.percentile([1,2,3,4], 50)
        assertEquals(1.075, Metrics.quantile(v, 0.025), 1e-12);   // 1 + 0.075 * (2 - 1)
        assertEquals(3.925, Metrics.quantile(v, 0.975), 1e-12);   // h = 2.925 -> 3 + .925
        assertTrue(Double.isNaN(Metrics.quantile(new double[]{Double.NaN}, 0.5)));
    }

    @Test
    void argmaxTiesGoToTheLowerIndex() {
        assertEquals(0, Metrics.argmax(new float[]{0.4f, 0.4f, 0.2f}));
        assertEquals(1, Metrics.argmax(new float[]{0.2f, 0.4f, 0.4f}));
    }
}
