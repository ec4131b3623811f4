package org.pneumoscope.eval;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** The shift alarm on synthetic pooled features: quiet on the reference's own source, loud on a shifted one. */
class DriftScoreTest {
    static final int CHANNELS = 48;

    /**
     * Films from one source: correlated channels (a common factor, as pooled CNN features have), each with its own
     * mean and SD ({@code scale}), channel 0 dead (always 0, as a ReLU channel can be). {@code shift} moves every live
     * channel's mean by that many of its SDs.
     */
    static float[][] films(SplittableRandom r, int n, double shift) {
        float[][] f = new float[n][CHANNELS];
        for (float[] row : f) {
            double common = r.nextGaussian();
            for (int c = 1; c < CHANNELS; c++) {
                double scale = 0.5 + c / (double) CHANNELS;
                row[c] = (float) (c + scale * (0.954 * r.nextGaussian() + 0.3 * common + shift));
            }
        }
        return f;
    }

    /** Probabilities of n films: argmax and confidence spread over the classes. */
    static float[][] probabilities(SplittableRandom r, int n) {
        float[][] p = new float[n][];
        for (int i = 0; i < n; i++) {
            float top = (float) (0.4 + 0.59 * r.nextDouble());
            float[] row = {(1 - top) / 2, (1 - top) / 2, (1 - top) / 2};
            row[i % 3] = top;
            p[i] = row;
        }
        return p;
    }

    static DriftScore reference(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        return new DriftScore(ShiftReference.of(films(r, n, 0), probabilities(r, n), false));
    }

    @Test
    void freshWindowsFromTheReferencesSourceRarelyRaiseTheAlarm() {
        DriftScore d = reference(1, 400);
        SplittableRandom r = new SplittableRandom(2);
        for (int n : new int[] {DriftScore.MIN_WINDOW, 200}) {
            int alarms = 0;
            for (int w = 0; w < 200; w++) if (d.check(films(r, n, 0), probabilities(r, n)).alarm()) alarms++;
            assertTrue(alarms <= 10, n + "-film windows: " + alarms + " false alarms in 200 (over 5 %)");
        }
    }

    /**
     * The reference mean is an estimate too: against the resampled percentile alone, large fresh windows would
     * alarm far more often than the target — what the (N + n) / (N − 1) factor of the threshold is for.
     */
    @Test
    void theThresholdAllowsForTheReferencesOwnSamplingError() {
        int big = 400, n = 200;
        DriftScore d = reference(1, big);
        double resampledOnly = d.threshold(n) * (big - 1.0) / (big + n);
        SplittableRandom r = new SplittableRandom(3);
        int over = 0;
        for (int w = 0; w < 200; w++) if (d.score(films(r, n, 0)) > resampledOnly) over++;
        assertTrue(over > 10, "without the factor " + over + " of 200 fresh windows would alarm, within the 5 % target");
    }

    @Test
    void aMeanShiftedWindowRaisesTheAlarm() {
        DriftScore d = reference(1, 400);
        SplittableRandom r = new SplittableRandom(4);
        DriftScore.Result res = d.check(films(r, 40, 0.5), probabilities(r, 40));
        assertTrue(res.alarm(), res.line());
        assertTrue(res.score() > res.threshold());
        assertEquals(DriftScore.ALARM, res.message());
        assertTrue(res.line().endsWith("ALARM: " + DriftScore.ALARM), res.line());
        DriftScore.Result quiet = d.check(films(r, 40, 0), probabilities(r, 40));
        assertFalse(quiet.alarm(), quiet.line());
        assertTrue(res.score() > 3 * quiet.score(), res.score() + " vs " + quiet.score());
    }

    @Test
    void theThresholdGrowsWithTheWindowAndIsSaneForSmallOnes() {
        int big = 400;
        DriftScore d = reference(1, big);
        double previous = 0;
        for (int n : new int[] {DriftScore.MIN_WINDOW, 50, 100, 200, 400}) {
            double t = d.threshold(n), resampled = t * (big - 1.0) / (big + n);
            assertTrue(Double.isFinite(t), n + ": " + t);
            // a standardised squared shift averages 1 with nothing changed; its 99th percentile is above, not far above
            assertTrue(resampled > 1 && resampled < 5, n + ": resampled 99th percentile " + resampled);
            assertEquals(t, reference(1, big).threshold(n), 0, "a fixed seed gives the same threshold");
            if (n >= 200) assertTrue(t > previous, n + ": " + t + " after " + previous);
            previous = t;
        }
        assertTrue(d.threshold(400) > 1.5 * d.threshold(DriftScore.MIN_WINDOW));
    }

    @Test
    void tooFewFilmsJudgeNothing() {
        DriftScore d = reference(1, 400);
        SplittableRandom r = new SplittableRandom(5);
        int n = DriftScore.MIN_WINDOW - 1;
        DriftScore.Result res = d.check(films(r, n, 3), probabilities(r, n));
        assertFalse(res.alarm());
        assertFalse(res.judged());
        assertEquals("too few films to judge (" + n + ")", res.message());
        assertEquals("shift check: too few films to judge (" + n + ")", res.line());
        assertNull(res.toMap().get("score"), "NaN is written as null");

        DriftScore small = reference(1, 10);
        DriftScore.Result s = small.check(films(r, 40, 3), probabilities(r, 40));
        assertFalse(s.alarm());
        assertTrue(s.message().contains("holds 10 validation films"), s.message());
    }

    @Test
    void aCheckCarriesTheLabelFreeAccuracyEstimateWhenTheReferenceHasOne() {
        SplittableRandom r = new SplittableRandom(9);
        int[] y = new int[400];
        float[][] valP = AccuracyEstimateTest.films(r, 400, 1, y);
        AccuracyEstimate est = AccuracyEstimate.fit(valP, y);
        DriftScore d = new DriftScore(ShiftReference.of(films(r, 400, 0), valP, false), est);
        float[][] sure = AccuracyEstimateTest.films(r, 100, 3, null);
        DriftScore.Result res = d.check(films(r, 100, 0), sure);
        assertEquals(est.estimate(sure), res.estimatedAccuracy(), 0);
        assertEquals(est.validationAccuracy(), res.validationAccuracy(), 0);
        assertTrue(res.estimatedAccuracy() > res.validationAccuracy(), "surer films, a higher estimate");
        assertTrue(res.line().contains(String.format(java.util.Locale.ROOT, "label-free accuracy estimate %.0f %% (validation films %.0f %%; rough)",
                100 * res.estimatedAccuracy(), 100 * res.validationAccuracy())), res.line());
        assertEquals(res.estimatedAccuracy(), (Double) res.toMap().get("estimated_accuracy"), 0);
        assertEquals(DriftScore.ESTIMATE_METHOD, res.toMap().get("estimate_method"));

        DriftScore.Result plain = reference(1, 400).check(films(r, 100, 0), sure);
        assertFalse(plain.estimated());
        assertNull(plain.toMap().get("estimated_accuracy"));
        assertFalse(plain.line().contains("estimate"), plain.line());
        DriftScore.Result few = d.check(films(r, 5, 0), AccuracyEstimateTest.films(r, 5, 1, null));
        assertFalse(few.estimated(), "too few films to judge, none to estimate from");
        DriftScore.Result mirrored = d.check(films(r, 100, 0), sure, true);
        assertTrue(mirrored.judged() && !mirrored.estimated(), "mirror-averaged films against a reference scored without");
        assertNull(mirrored.toMap().get("estimate_method"));
    }

    /**
     * Channels the reference barely used are judged on an ordinary channel's scale: a film that wakes one up a little
     * does not raise the alarm alone, while a window in which it is clearly awake still counts.
     */
    @Test
    void channelsTheReferenceBarelyUsedAreJudgedOnAnOrdinaryScale() {
        SplittableRandom r = new SplittableRandom(6);
        float[][] ref = films(r, 400, 0);
        ref[7][0] = 1e-4f; // one small activation among zeros: an SD of 5e-6
        DriftScore d = new DriftScore(ShiftReference.of(ref, probabilities(r, 400), false));
        assertEquals(CHANNELS, d.usableChannels());
        float[][] w = films(r, 40, 0);
        w[3][0] = 0.05f; // four orders of magnitude above that SD, a tenth of an ordinary channel's
        DriftScore.Result one = d.check(w, probabilities(r, 40));
        assertTrue(Double.isFinite(one.score()));
        assertFalse(one.alarm(), one.line());
        for (float[] f : w) f[0] = 1f; // the whole window activates it at an ordinary channel's SD
        assertTrue(d.check(w, probabilities(r, 40)).alarm());
    }

    @Test
    void theWindowsClassMixAndConfidenceAreDescribed() {
        DriftScore d = reference(1, 400);
        SplittableRandom r = new SplittableRandom(7);
        float[][] p = new float[40][];
        for (int i = 0; i < 40; i++) p[i] = i < 30 ? new float[] {0.9f, 0.05f, 0.05f} : new float[] {0.2f, 0.2f, 0.6f};
        DriftScore.Result res = d.check(films(r, 40, 0), p);
        assertArrayEquals(new double[] {0.75, 0, 0.25}, res.classMix(), 1e-12);
        assertEquals(0.75 * 0.9 + 0.25 * 0.6, res.meanConfidence(), 1e-6);
        assertArrayEquals(d.reference().classMix(), res.referenceMix());
        assertTrue(res.line().contains("predicted bacteria/virus/normal 75/0/25 %"), res.line());
        Map<String, Object> m = res.toMap();
        assertEquals(40, m.get("window"));
        assertEquals(false, m.get("alarm"));
        assertEquals(0.75, ((Map<?, ?>) m.get("class_mix")).get("bacteria"));
        assertEquals(res.threshold(), (Double) m.get("threshold"), 0);
    }

    @Test
    void aWindowJudgesOnlyItsLastFilms() {
        DriftScore d = reference(1, 400);
        SplittableRandom r = new SplittableRandom(8);
        DriftWindow oldShifted = new DriftWindow(d, 50), newShifted = new DriftWindow(d, 50);
        float[][] shifted = films(r, 30, 1), plain = films(r, 50, 0), p = probabilities(r, 50);
        for (int i = 0; i < 30; i++) oldShifted.add(shifted[i], p[i], false);
        for (int i = 0; i < 50; i++) {
            oldShifted.add(plain[i], p[i], false);
            newShifted.add(plain[i], p[i], false);
        }
        for (int i = 0; i < 30; i++) newShifted.add(shifted[i], p[i], false);
        DriftScore.Result a = oldShifted.check(), b = newShifted.check();
        assertEquals(50, a.n());
        assertFalse(a.alarm(), "the shifted films left the window: " + a.line());
        assertTrue(b.alarm(), "30 of the last 50 are shifted: " + b.line());
        assertEquals(DriftScore.NO_REFERENCE, new DriftWindow(null, 50).check().message());
    }

    @Test
    void aWindowTakesFilmsFromManyThreads() throws Exception {
        DriftWindow w = new DriftWindow(reference(1, 400), 200);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                long seed = 10 + t;
                jobs.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    float[][] f = films(r, 300, 0), p = probabilities(r, 300);
                    for (int i = 0; i < 300; i++) {
                        w.add(f[i], p[i], false);
                        if (i % 50 == 0) assertTrue(w.check().n() <= 200);
                    }
                }));
            }
            for (Future<?> j : jobs) j.get();
        } finally {
            pool.shutdownNow();
        }
        DriftScore.Result res = w.check();
        assertEquals(200, res.n());
        assertTrue(res.judged());
    }
}
