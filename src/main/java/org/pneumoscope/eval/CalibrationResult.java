package org.pneumoscope.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Effect of a calibration on one set of logits: NLL, ECE and reliability diagram before (plain softmax) and after.
 * Fit the calibration on validation logits and build this from test logits to see whether it generalises.
 */
public record CalibrationResult(Calibration calibration, int n,
                                double nllBefore, double nllAfter, double eceBefore, double eceAfter,
                                ReliabilityDiagram before, ReliabilityDiagram after) {

    /** Measures {@code temperature} alone on {@code logits}/{@code labels}. */
    public static CalibrationResult of(double temperature, float[][] logits, int[] labels) {
        return of(Calibration.ofTemperature(temperature), logits, labels);
    }

    /** Measures {@code calibration} on {@code logits}/{@code labels}. */
    public static CalibrationResult of(Calibration calibration, float[][] logits, int[] labels) {
        TemperatureScaling.check(logits, labels);
        Calibration none = Calibration.identity();
        ReliabilityDiagram before = ReliabilityDiagram.of(none.probabilities(logits), labels, Metrics.ECE_BINS);
        ReliabilityDiagram after = ReliabilityDiagram.of(calibration.probabilities(logits), labels, Metrics.ECE_BINS);
        return new CalibrationResult(calibration, labels.length, none.nll(logits, labels), calibration.nll(logits, labels),
                before.ece(), after.ece(), before, after);
    }

    public double temperature() { return calibration.temperature(); }

    public ObjectNode toJsonNode() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("method", calibration.method().id());
        EvaluationResult.num(o, "temperature", calibration.temperature());
        if (calibration.shiftsClasses()) {
            ArrayNode b = o.putArray("class_bias");
            for (double v : calibration.bias()) b.add(v);
        }
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
