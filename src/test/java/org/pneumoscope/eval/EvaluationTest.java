package org.pneumoscope.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Every metric against values computed by hand (the arithmetic is in the comments). */
class EvaluationTest {
    static final double EPS = 1e-6;

    /*
     * Eight images, labels 0 bacteria, 1 virus, 2 normal; predicted = argmax.
     *   i  y  p=(b, v, n)        pred  p_true
     *   0  0  (0.7, 0.2, 0.1)    0     0.7
     *   1  0  (0.5, 0.4, 0.1)    0     0.5
     *   2  0  (0.2, 0.6, 0.2)    1     0.2
     *   3  1  (0.3, 0.6, 0.1)    1     0.6
     *   4  1  (0.6, 0.3, 0.1)    0     0.3
     *   5  2  (0.1, 0.1, 0.8)    2     0.8
     *   6  2  (0.2, 0.1, 0.7)    2     0.7
     *   7  2  (0.1, 0.5, 0.4)    1     0.4
     */
    static final int[] Y = {0, 0, 0, 1, 1, 2, 2, 2};
    static final float[][] P = {
            {0.7f, 0.2f, 0.1f}, {0.5f, 0.4f, 0.1f}, {0.2f, 0.6f, 0.2f}, {0.3f, 0.6f, 0.1f},
            {0.6f, 0.3f, 0.1f}, {0.1f, 0.1f, 0.8f}, {0.2f, 0.1f, 0.7f}, {0.1f, 0.5f, 0.4f}};

    static EvaluationResult fixed() {
        return Evaluation.of(Y, P, null, null, BootstrapConfig.NONE);
    }

    /** The cheap macro-F1 (validation during training) agrees with a full evaluation, also with a class absent. */
    @Test
    void macroF1AloneMatchesTheFullEvaluation() {
        assertEquals(fixed().macroF1(), Evaluation.macroF1(Y, P), 1e-12);
        java.util.Random r = new java.util.Random(3);
        int[] y = new int[50];
        float[][] logits = new float[50][3];
        float[][] p = new float[50][];
        for (int i = 0; i < 50; i++) {
            y[i] = r.nextInt(2); // no normals
            for (int k = 0; k < 3; k++) logits[i][k] = (float) r.nextGaussian() + (k == y[i] ? 0.8f : 0);
            p[i] = Metrics.softmax(logits[i], 1.0);
        }
        EvaluationResult full = Evaluation.of(y, p, null, null, BootstrapConfig.NONE);
        assertEquals(full.macroF1(), Evaluation.macroF1(y, logits), 1e-12, "from logits: the arg-max is the same");
        assertTrue(Double.isNaN(Evaluation.macroF1(new int[0], new float[0][])));
    }

    @Test
    void confusionAccuracyAndPerClassMatchHandComputation() {
        EvaluationResult r = fixed();
        // rows true, cols predicted: bacteria -> [2,1,0], virus -> [1,1,0], normal -> [0,1,2]
        assertArrayEquals(new int[]{2, 1, 0}, r.confusionMatrix()[0]);
        assertArrayEquals(new int[]{1, 1, 0}, r.confusionMatrix()[1]);
        assertArrayEquals(new int[]{0, 1, 2}, r.confusionMatrix()[2]);
        assertEquals(8, r.n());
        assertEquals(5.0 / 8, r.accuracy(), EPS);                 // trace 5 of 8

        ClassMetrics b = r.perClass("bacteria");                   // tp 2, fn 1, fp 1 (col 2+1+0 - 2), tn 4
        assertEquals(3, b.support());
        assertEquals(2, b.tp());
        assertEquals(1, b.fn());
        assertEquals(1, b.fp());
        assertEquals(4, b.tn());
        assertEquals(2.0 / 3, b.precision(), EPS);
        assertEquals(2.0 / 3, b.recall(), EPS);
        assertEquals(4.0 / 5, b.specificity(), EPS);               // tn/(tn+fp) = 4/5
        assertEquals(2.0 / 3, b.f1(), EPS);

        ClassMetrics v = r.perClass("virus");                      // tp 1, fn 1, fp 2 (col 1+1+1 - 1), tn 4
        assertEquals(1.0 / 3, v.precision(), EPS);
        assertEquals(1.0 / 2, v.recall(), EPS);
        assertEquals(4.0 / 6, v.specificity(), EPS);
        assertEquals(0.4, v.f1(), EPS);                            // 2*(1/3)(1/2)/(1/3+1/2) = (1/3)/(5/6) = 2/5

        ClassMetrics nm = r.perClass("normal");                    // tp 2, fn 1, fp 0, tn 5
        assertEquals(1.0, nm.precision(), EPS);
        assertEquals(2.0 / 3, nm.recall(), EPS);
        assertEquals(1.0, nm.specificity(), EPS);
        assertEquals(0.8, nm.f1(), EPS);                           // 2*(2/3)/(1+2/3) = 4/5

        assertEquals((2.0 / 3 + 0.4 + 0.8) / 3, r.macroF1(), EPS);   // 0.62222
        assertEquals((2.0 / 3 + 1.0 / 3 + 1.0) / 3, r.macroPrecision(), EPS);
        assertEquals((2.0 / 3 + 0.5 + 2.0 / 3) / 3, r.macroRecall(), EPS); // 11/18
        assertEquals((3 * 2.0 / 3 + 2 * 0.4 + 3 * 0.8) / 8, r.weightedF1(), EPS); // 5.2/8 = 0.65
        assertEquals(5.0 / 8, r.weightedRecall(), EPS);            // weighted recall is accuracy
    }

    @Test
    void aucIsMannWhitneyWithTies() {
        EvaluationResult r = fixed();
        // bacteria: pos p0 {0.7,0.5,0.2}, neg {0.3,0.6,0.1,0.2,0.1}
        //   0.7 beats 5; 0.5 beats 4 (not 0.6); 0.2 beats 0.1,0.1 and ties 0.2 -> 2.5; 11.5/15
        assertEquals(11.5 / 15, r.perClass("bacteria").auc(), EPS);
        // virus: pos p1 {0.6,0.3}, neg {0.2,0.4,0.6,0.1,0.1,0.5}
        //   0.6 beats 5, ties 1 -> 5.5; 0.3 beats 0.2,0.1,0.1 -> 3; 8.5/12
        assertEquals(8.5 / 12, r.perClass("virus").auc(), EPS);
        // normal: pos p2 {0.8,0.7,0.4} all above neg {0.1,0.1,0.2,0.1,0.1} -> 1
        assertEquals(1.0, r.perClass("normal").auc(), EPS);
        assertEquals((11.5 / 15 + 8.5 / 12 + 1.0) / 3, r.macroAuc(), EPS);   // 0.825
    }

    @Test
    void calibrationAndProbabilisticScores() {
        EvaluationResult r = fixed();
        // log loss = -(ln.7+ln.5+ln.2+ln.6+ln.3+ln.8+ln.7+ln.4)/8 = 5.870169/8
        double ll = -(Math.log(0.7) + Math.log(0.5) + Math.log(0.2) + Math.log(0.6) + Math.log(0.3)
                + Math.log(0.8) + Math.log(0.7) + Math.log(0.4)) / 8;
        assertEquals(0.733771, ll, 1e-6);
        assertEquals(ll, r.logLoss(), 1e-6);
        // Brier per image: .14 .42 1.04 .26 .86 .06 .14 .62, sum 3.54, mean 0.4425
        assertEquals(0.4425, r.brier(), 1e-6);
        // ECE: confidence groups (each within one of the 15 bins):
        //   0.7 {i0 ok, i6 ok}: |1-0.7| * 2/8 = 0.075
        //   0.5 {i1 ok, i7 wrong}: |0.5-0.5| = 0
        //   0.6 {i2 wrong, i3 ok, i4 wrong}: |1/3-0.6| * 3/8 = 0.1
        //   0.8 {i5 ok}: 0.2 * 1/8 = 0.025      -> ECE 0.2
        assertEquals(0.2, r.ece(), 1e-6);
        int nonEmpty = 0;
        for (ReliabilityDiagram.Bin bin : r.reliability().bins()) if (bin.count() > 0) nonEmpty++;
        assertEquals(4, nonEmpty);
        assertEquals(15, r.reliability().bins().size());
    }

    @Test
    void binaryViewsMatchHandComputation() {
        EvaluationResult r = fixed();
        BinaryMetrics pvn = r.pneumoniaVsNormal();
        // pneumonia score p0+p1: positives i0..i4 = .9 .9 .8 .9 .9 (all >= .5 -> tp 5);
        // normals i5 .2, i6 .3 (tn), i7 .6 (fp) -> accuracy 7/8, sens 1, spec 2/3, AUC 1 (.8 > .6)
        assertEquals(8, pvn.n());
        assertEquals(5, pvn.tp());
        assertEquals(0, pvn.fn());
        assertEquals(1, pvn.fp());
        assertEquals(2, pvn.tn());
        assertEquals(7.0 / 8, pvn.accuracy(), EPS);
        assertEquals(1.0, pvn.sensitivity(), EPS);
        assertEquals(2.0 / 3, pvn.specificity(), EPS);
        assertEquals(1.0, pvn.auc(), EPS);

        BinaryMetrics bvv = r.bacterialVsViral();
        // only i0..i4; score p0/(p0+p1): bacteria .778 .556 .25, virus .333 .667
        // tp 2 (i0,i1), fn 1 (i2), tn 1 (i3), fp 1 (i4): acc 3/5, sens 2/3, spec 1/2
        // AUC pairs: .778 beats both, .556 beats .333, .25 none -> 3/6
        assertEquals(5, bvv.n());
        assertEquals(3.0 / 5, bvv.accuracy(), EPS);
        assertEquals(2.0 / 3, bvv.sensitivity(), EPS);
        assertEquals(0.5, bvv.specificity(), EPS);
        assertEquals(0.5, bvv.auc(), EPS);
    }

    /*
     * A class never predicted (bacteria) and a class absent from the data (virus):
     *   i  y  p=(b, v, n)          pred
     *   0  0  (0.2, 0.5, 0.3)      1
     *   1  0  (0.1, 0.2, 0.7)      2
     *   2  2  (0.1, 0.1, 0.8)      2
     *   3  2  (0.3, 0.1, 0.6)      2
     *   4  2  (0.25, 0.45, 0.3)    1
     * confusion: bacteria [0,1,1], virus [0,0,0], normal [0,1,2]
     */
    static final int[] Y2 = {0, 0, 2, 2, 2};
    static final float[][] P2 = {{0.2f, 0.5f, 0.3f}, {0.1f, 0.2f, 0.7f}, {0.1f, 0.1f, 0.8f},
            {0.3f, 0.1f, 0.6f}, {0.25f, 0.45f, 0.3f}};

    @Test
    void classNeverPredictedAndClassAbsent() throws Exception {
        EvaluationResult r = Evaluation.of(Y2, P2, new String[]{"a", "a", "b", "c", "d"}, null, new BootstrapConfig(200, 1));
        assertEquals(0.4, r.accuracy(), EPS);                     // 2 of 5

        ClassMetrics b = r.perClass("bacteria");                   // never predicted
        assertEquals(0.0, b.precision(), 0.0);                     // zero_division = 0
        assertEquals(0.0, b.recall(), 0.0);                        // 0 of 2
        assertEquals(0.0, b.f1(), 0.0);                            // p + r = 0 -> 0
        assertEquals(1.0, b.specificity(), EPS);                   // tn 3 / (3 + 0)
        // AUC: pos p0 {.2,.1}, neg {.1,.3,.25}: .2 beats .1 (1), .1 ties .1 (.5) -> 1.5/6
        assertEquals(0.25, b.auc(), EPS);

        ClassMetrics v = r.perClass("virus");                      // absent, predicted twice
        assertEquals(0, v.support());
        assertEquals(0.0, v.precision(), 0.0);                     // 0 of 2 predictions right
        assertTrue(Double.isNaN(v.recall()));
        assertTrue(Double.isNaN(v.f1()));
        assertTrue(Double.isNaN(v.auc()));
        assertEquals(3.0 / 5, v.specificity(), EPS);               // tn 3 / (tn 3 + fp 2)
        assertFalse(v.recallCi().defined());

        ClassMetrics nm = r.perClass("normal");                    // tp 2, fp 1, fn 1
        assertEquals(2.0 / 3, nm.precision(), EPS);
        assertEquals(2.0 / 3, nm.recall(), EPS);
        // AUC: pos p2 {.8,.6,.3}, neg {.3,.7}: .8 beats 2, .6 beats .3, .3 ties .3 -> 3.5/6
        assertEquals(3.5 / 6, nm.auc(), EPS);

        // scikit-learn's macro averages run over true and predicted classes: virus, predicted but absent, counts 0
        // (f1_score(y, pred, average="macro") = 0.2222 here, not the 0.3333 of the present classes alone)
        assertEquals((0 + 0 + 2.0 / 3) / 3, r.macroF1(), EPS);
        assertEquals((0 + 0 + 2.0 / 3) / 3, r.macroPrecision(), EPS);
        assertEquals((0 + 0 + 2.0 / 3) / 3, r.macroRecall(), EPS);
        assertEquals(r.macroF1(), Evaluation.macroF1(Y2, P2), EPS);
        // AUC of an absent class is undefined (scikit-learn refuses it): the macro AUC averages the defined ones
        assertEquals((0.25 + 3.5 / 6) / 2, r.macroAuc(), EPS);
        assertEquals((2 * 0 + 3 * 2.0 / 3) / 5, r.weightedF1(), EPS);

        // bacterial-vs-viral has no viral image: specificity and AUC undefined
        BinaryMetrics bvv = r.bacterialVsViral();
        assertEquals(2, bvv.n());
        assertEquals(0.0, bvv.sensitivity(), 0.0);                 // .2/.7 and .1/.3 both < .5
        assertTrue(Double.isNaN(bvv.specificity()));
        assertTrue(Double.isNaN(bvv.auc()));
        // pneumonia-vs-normal: pos scores .7,.3; neg .2,.4,.7 -> tp1 fn1 tn2 fp1; AUC (1+1+.5 + 1)/6
        assertEquals(0.6, r.pneumoniaVsNormal().accuracy(), EPS);
        assertEquals(3.5 / 6, r.pneumoniaVsNormal().auc(), EPS);

        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertTrue(json.get("per_class").get("virus").get("recall").isNull());
        assertTrue(json.get("per_class").get("virus").get("f1").isNull());
        assertTrue(json.get("per_class").get("virus").get("auc").isNull());
        assertTrue(json.get("ci95").get("recall").get("virus").isNull());
        assertTrue(json.get("binary").get("bacterial_vs_viral").get("auc").isNull());
        assertEquals(0.0, json.get("per_class").get("bacteria").get("precision").asDouble(), 0.0);
    }

    /** A class neither in the data nor predicted is left out of the macro averages, as scikit-learn leaves it out. */
    @Test
    void classNeitherPresentNorPredictedIsLeftOut() {
        int[] y = {0, 0, 2, 2};
        float[][] p = {{0.9f, 0.05f, 0.05f}, {0.2f, 0.1f, 0.7f}, {0.1f, 0.1f, 0.8f}, {0.1f, 0.2f, 0.7f}};
        EvaluationResult r = Evaluation.of(y, p, null, null, BootstrapConfig.NONE);
        // bacteria: tp 1, fn 1, fp 0 -> F1 2/3; normal: tp 2, fp 1 -> F1 0.8; virus neither -> left out
        assertEquals((2.0 / 3 + 0.8) / 2, r.macroF1(), EPS);
        assertEquals((1.0 + 2.0 / 3) / 2, r.macroPrecision(), EPS);
    }

    @Test
    void aucWithOneClassOnlyIsNull() throws Exception {
        int[] y = {2, 2, 2};
        float[][] p = {{0.1f, 0.2f, 0.7f}, {0.3f, 0.3f, 0.4f}, {0.5f, 0.1f, 0.4f}};
        EvaluationResult r = Evaluation.of(y, p, null, null, BootstrapConfig.NONE);
        for (ClassMetrics c : r.perClass()) assertTrue(Double.isNaN(c.auc()), c.name());
        assertTrue(Double.isNaN(r.macroAuc()));
        assertTrue(Double.isNaN(r.perClass("normal").specificity()));  // no negatives at all
        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertTrue(json.get("macro_auc").isNull());
        assertTrue(json.get("per_class").get("normal").get("auc").isNull());
        assertEquals(0, r.roc().get(2).size());
    }

    @Test
    void jsonHasTheAgreedShape() throws Exception {
        EvaluationResult r = Evaluation.of(Y, P, new String[]{"p1", "p1", "p2", "p3", "p4", "p5", "p6", "p7"}, null,
                new BootstrapConfig(100, 7));
        JsonNode j = new ObjectMapper().readTree(r.toJson());
        assertEquals(8, j.get("n").asInt());
        assertEquals(7, j.get("patients").asInt());
        assertEquals("[\"bacteria\",\"virus\",\"normal\"]", j.get("classes").toString());
        assertEquals(0.625, j.get("accuracy").asDouble(), EPS);
        assertEquals(r.macroF1(), j.get("macro_f1").asDouble(), EPS);
        assertEquals("[[2,1,0],[1,1,0],[0,1,2]]", j.get("confusion_matrix").toString());
        for (String c : new String[]{"bacteria", "virus", "normal"})
            for (String k : new String[]{"precision", "recall", "specificity", "f1", "auc", "support"})
                assertTrue(j.get("per_class").get(c).has(k), c + "." + k);
        assertEquals(3, j.get("per_class").get("normal").get("support").asInt());
        assertEquals(0.825, j.get("macro_auc").asDouble(), EPS);
        assertEquals(0.2, j.get("ece").asDouble(), EPS);
        assertEquals(2, j.get("ci95").get("accuracy").size());
        assertEquals(2, j.get("ci95").get("macro_f1").size());
        assertTrue(j.get("ci95").get("accuracy").get(0).asDouble() <= j.get("ci95").get("accuracy").get(1).asDouble());
        assertEquals(1.0, j.get("binary").get("pneumonia_vs_normal").get("sensitivity").asDouble(), EPS);
        assertEquals(0.6, j.get("binary").get("bacterial_vs_viral").get("accuracy").asDouble(), EPS);
        assertEquals(15, j.get("reliability").size());
    }

    @Test
    void accumulatorGivesTheSameResultAsOneCall() {
        Evaluation.Accumulator acc = Evaluation.accumulator();
        acc.addAll(new int[]{Y[0], Y[1], Y[2]}, new float[][]{P[0], P[1], P[2]}, null, null);
        for (int i = 3; i < Y.length; i++) acc.add(Y[i], P[i], null, "img" + i);
        assertEquals(8, acc.size());
        EvaluationResult r = acc.evaluate(BootstrapConfig.NONE);
        EvaluationResult direct = fixed();
        assertEquals(direct.accuracy(), r.accuracy(), 0.0);
        assertEquals(direct.macroF1(), r.macroF1(), 0.0);
        assertEquals(direct.macroAuc(), r.macroAuc(), 0.0);
        assertEquals(direct.ece(), r.ece(), 0.0);
    }

    @Test
    void badInputIsRejectedNamingTheImage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Evaluation.of(
                new int[]{0, 1}, new float[][]{{0.5f, 0.5f, 0f}, {2f, 1f, 0.5f}}, null, new String[]{"a.jpeg", "b.jpeg"}));
        assertTrue(e.getMessage().startsWith("b.jpeg"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Evaluation.of(
                new int[]{0, 1}, new float[][]{{0.5f, 0.5f, 0f}, {0.3f, 0.3f, 0.3f}}, null, new String[]{"a.jpeg", "b.jpeg"}));
        assertTrue(e.getMessage().contains("b.jpeg") && e.getMessage().contains("sum"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Evaluation.of(new int[]{3}, new float[][]{{1, 0, 0}}, null, null));
        assertTrue(e.getMessage().contains("label 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Evaluation.of(new int[0], new float[0][], null, null));
        assertThrows(IllegalArgumentException.class, () -> Evaluation.accumulator().add(0, new float[]{0.5f, 0.5f}, null, "x"));
    }

    @Test
    void textAndHtmlTablesShowEveryClassAndUndefinedAsNa() {
        EvaluationResult r = Evaluation.of(Y2, P2, null, new String[]{"a<b", "b", "c", "d", "e"}, new BootstrapConfig(50, 3));
        String text = r.toText();
        assertTrue(text.lines().anyMatch(l -> l.startsWith("bacteria") && l.contains("0.000")), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("virus") && l.contains("n/a")), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("Macro average")), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("Weighted average")), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("Accuracy") && l.contains("0.400")), text);
        String html = r.toHtmlTable();
        assertTrue(html.startsWith("<table"));
        assertEquals(html.split("<tr").length - 1, 3 + 1 + 4);    // header + 3 classes + total, macro, weighted, accuracy
        assertTrue(html.contains(">n/a<"));
        assertTrue(html.contains("Macro average") && html.contains("Weighted average"));
    }

    @Test
    void galleryCasesAreTheMostConfidentCorrectAndWrong() {
        // bacteria images: i0 correct p0 .7, i1 correct p0 .5, i2 wrong (virus .6)
        assertEquals(0, CaseSelection.mostConfidentCorrect(Y, P, 0));
        assertEquals(2, CaseSelection.mostConfidentWrong(Y, P, 0));
        // virus: i3 correct (.6); i4 wrong (bacteria .6)
        assertEquals(3, CaseSelection.mostConfidentCorrect(Y, P, 1));
        assertEquals(4, CaseSelection.mostConfidentWrong(Y, P, 1));
        // normal: i5 correct .8 beats i6 .7; i7 wrong (virus .5)
        assertEquals(5, CaseSelection.mostConfidentCorrect(Y, P, 2));
        assertEquals(7, CaseSelection.mostConfidentWrong(Y, P, 2));
        // no virus image in the second set
        assertEquals(-1, CaseSelection.mostConfidentCorrect(Y2, P2, 1));
        assertEquals(-1, CaseSelection.mostConfidentWrong(Y2, P2, 1));
    }
}
