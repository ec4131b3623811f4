package org.pneumoscope.eval;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class BootstrapTest {

    /** n images of `patients` patients, roughly 75 % correct, deterministic. */
    static Object[] data(int patients, int imagesPerPatient, long seed) {
        Random rnd = new Random(seed);
        int n = patients * imagesPerPatient;
        int[] y = new int[n];
        float[][] p = new float[n][];
        String[] pid = new String[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(3);
            int pred = rnd.nextDouble() < 0.75 ? y[i] : (y[i] + 1 + rnd.nextInt(2)) % 3;
            float top = 0.4f + 0.5f * rnd.nextFloat();
            p[i] = new float[3];
            for (int k = 0; k < 3; k++) p[i][k] = k == pred ? top : (1 - top) / 2;
            pid[i] = "patient" + (i / imagesPerPatient);
        }
        return new Object[]{y, p, pid};
    }

    static EvaluationResult eval(Object[] d, BootstrapConfig cfg) {
        return Evaluation.of((int[]) d[0], (float[][]) d[1], (String[]) d[2], null, cfg);
    }

    @Test
    void intervalsContainThePointEstimateAndAreOrdered() {
        EvaluationResult r = eval(data(120, 3, 5), new BootstrapConfig(500, 42));
        assertEquals(120, r.patients());
        assertTrue(r.accuracyCi().contains(r.accuracy()), r.accuracyCi() + " vs " + r.accuracy());
        assertTrue(r.macroF1Ci().contains(r.macroF1()), r.macroF1Ci() + " vs " + r.macroF1());
        assertTrue(r.macroAucCi().contains(r.macroAuc()));
        for (ClassMetrics c : r.perClass()) assertTrue(c.recallCi().contains(c.recall()), c.name());
        assertTrue(r.pneumoniaVsNormal().accuracyCi().contains(r.pneumoniaVsNormal().accuracy()));
        assertTrue(r.bacterialVsViral().sensitivityCi().contains(r.bacterialVsViral().sensitivity()));
        // a real interval, not a point: ~360 images give a width of several points of accuracy
        double width = r.accuracyCi().hi() - r.accuracyCi().lo();
        assertTrue(width > 0.03 && width < 0.2, "width " + width);
    }

    @Test
    void deterministicBySeed() {
        Object[] d = data(60, 2, 9);
        EvaluationResult a = eval(d, new BootstrapConfig(300, 123));
        EvaluationResult b = eval(d, new BootstrapConfig(300, 123));
        EvaluationResult c = eval(d, new BootstrapConfig(300, 124));
        assertEquals(a.accuracyCi(), b.accuracyCi());
        assertEquals(a.macroF1Ci(), b.macroF1Ci());
        assertEquals(a.perClass("virus").recallCi(), b.perClass("virus").recallCi());
        assertNotEquals(a.macroF1Ci(), c.macroF1Ci());
    }

    @Test
    void evaluationUsesTheSameReplicatesAsPatientBootstrap() {
        Object[] d = data(50, 2, 3);
        int[] y = (int[]) d[0];
        float[][] p = (float[][]) d[1];
        BootstrapConfig cfg = new BootstrapConfig(200, 77);
        PatientBootstrap pb = new PatientBootstrap((String[]) d[2], y.length);
        Interval manual = pb.interval95(cfg, w -> {
            double hit = 0, tot = 0;
            for (int i = 0; i < y.length; i++) {
                tot += w[i];
                if (Metrics.argmax(p[i]) == y[i]) hit += w[i];
            }
            return hit / tot;
        });
        assertEquals(manual, eval(d, cfg).accuracyCi());
    }

    @Test
    void imagesOfOnePatientAlwaysShareTheirMultiplicity() {
        String[] pid = {"a", "a", "a", "b", "c", "c", null, ""};
        PatientBootstrap pb = new PatientBootstrap(pid, pid.length);
        assertEquals(5, pb.patients());   // a, b, c, and two images without an id count as their own patients
        SplittableRandom rng = new SplittableRandom(1);
        for (int r = 0; r < 200; r++) {
            int[] w = pb.sampleWeights(rng);
            assertEquals(w[0], w[1]);
            assertEquals(w[0], w[2]);
            assertEquals(w[4], w[5]);
            // total draws = number of patients: sum over one image per patient
            assertEquals(5, w[0] + w[3] + w[4] + w[6] + w[7]);
        }
    }

    @Test
    void duplicatingOnePatientsImagesChangesImageLevelNumbersButResamplesThePatient() {
        // 60 single-image patients, 45 correct; then one patient "dup" contributes 40 copies of a wrong image
        int base = 60, copies = 40, n = base + copies;
        int[] y = new int[n];
        float[][] p = new float[n][];
        String[] pid = new String[n], perImage = new String[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            boolean correct = i < base && i % 4 != 0;            // 45 of the first 60 right, every copy wrong
            int pred = correct ? y[i] : (y[i] + 1) % 3;
            p[i] = new float[]{0.15f, 0.15f, 0.15f};
            p[i][pred] = 0.7f;
            pid[i] = i < base ? "p" + i : "dup";
            perImage[i] = "img" + i;
        }
        BootstrapConfig cfg = new BootstrapConfig(1000, 42);
        int[] y60 = Arrays.copyOf(y, base);
        float[][] p60 = Arrays.copyOf(p, base);
        EvaluationResult without = Evaluation.of(y60, p60, Arrays.copyOf(pid, base), null, cfg);
        EvaluationResult byPatient = Evaluation.of(y, p, pid, null, cfg);
        EvaluationResult byImage = Evaluation.of(y, p, perImage, null, cfg);

        assertEquals(45.0 / 60, without.accuracy(), 1e-12);
        assertEquals(45.0 / 100, byPatient.accuracy(), 1e-12);   // image-level point estimate moves
        assertEquals(61, byPatient.patients());
        assertEquals(100, byImage.patients());
        // The 40 copies rise and fall together when the patient is the unit, so the interval is much wider
        double wPatient = byPatient.accuracyCi().hi() - byPatient.accuracyCi().lo();
        double wImage = byImage.accuracyCi().hi() - byImage.accuracyCi().lo();
        assertTrue(wPatient > 1.5 * wImage, "patient-level width " + wPatient + " vs image-level " + wImage);

        // and in every replicate the duplicated patient's images are drawn 0, 40, 80, ... times in total
        PatientBootstrap pb = new PatientBootstrap(pid, n);
        SplittableRandom rng = new SplittableRandom(42);
        for (int r = 0; r < 300; r++) {
            int[] w = pb.sampleWeights(rng);
            int dupDraws = 0;
            for (int i = base; i < n; i++) dupDraws += w[i];
            assertEquals(0, dupDraws % copies);
        }
    }

    @Test
    void zeroReplicatesLeaveIntervalsUndefined() {
        EvaluationResult r = eval(data(10, 1, 1), BootstrapConfig.NONE);
        assertFalse(r.accuracyCi().defined());
        assertTrue(r.toJson().contains("\"accuracy\" : null"));
        assertThrows(IllegalArgumentException.class, () -> new BootstrapConfig(-1, 0));
    }
}
