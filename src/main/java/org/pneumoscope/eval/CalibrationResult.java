package org.pneumoscope.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Effect of a temperature on one set of logits: NLL, ECE and reliability diagram before (T = 1) and after.
 * Fit T on validation logits and build this from test logits to see whether the calibration generalises.
 */
public record CalibrationResult(double temperature, int n,
                                double nllBefore, double nllAfter, double eceBefore, double eceAfter,
                                ReliabilityDiagram before, ReliabilityDiagram after) {

    /** Measures {@code temperature} on {@code logits}/{@code labels}. */
    public static CalibrationResult of(double temperature, float[][] logits, int[] labels) {
        TemperatureScaling.check(logits, labels);
        ReliabilityDiagram before = ReliabilityDiagram.of(TemperatureScaling.apply(logits, 1.0), labels, Metrics.ECE_BINS);
        ReliabilityDiagram after = ReliabilityDiagram.of(TemperatureScaling.apply(logits, temperature), labels, Metrics.ECE_BINS);
        return new CalibrationResult(temperature, labels.length,
                TemperatureScaling.nll(logits, labels, 1.0), TemperatureScaling.nll(logits, labels, temperature),
                before.ece(), after.ece(), before, after);
    }

    public ObjectNode toJsonNode() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        EvaluationResult.num(o, "temperature", temperature);
        o.put("n", n);
        EvaluationResult.num(o, "nll_before", nllBefore);
        EvaluationResult.num(o, "nll_after", nllAfter);
        EvaluationResult.num(o, "ece_before", eceBefore);
        EvaluationResult.num(o, "ece_after", eceAfter);
        bins(o.putArray("reliability_before"), before);
        bins(o.putArray("reliability_after"), after);
        return o;
    }

    private static void bins(ArrayNode a, ReliabilityDiagram d) {
        for (ReliabilityDiagram.Bin b : d.bins()) {
            ObjectNode o = a.addObject();
            EvaluationResult.num(o, "lower", b.lower());
            EvaluationResult.num(o, "upper", b.upper());
            o.put("count", b.count());
            EvaluationResult.num(o, "mean_confidence", b.meanConfidence());
            EvaluationResult.num(o, "accuracy", b.accuracy());
        }
    }
}
