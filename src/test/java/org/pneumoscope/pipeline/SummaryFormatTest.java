package org.pneumoscope.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.eval.BootstrapConfig;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.eval.CalibrationResult;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.eval.Metrics;
import org.pneumoscope.eval.PredictionsCsv;
import org.pneumoscope.eval.ReliabilityDiagram;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** metrics.json and evaluate's console lines rendered from an evaluation summary, without a model. */
class SummaryFormatTest {
    /** The keys evaluate adds after the evaluation's own, in metrics.json's order (all optional ones present). */
    static final List<String> ADDED_KEYS = List.of("split", "temperature", "calibration_method", "class_bias",
            "ece_uncalibrated", "ece_calibrated", "ece_if_calibrated", "tta", "profile", "shift", "unreadable_files",
            "skipped_inputs", "training_overlap", "shift_alarm", "gradcam_pointing_game",
            "gradcam_pointing_game_layer3", "peak_rss_mb", "provenance");

    static EvaluationSummary summary(Calibration cal, String profile, EvaluationSummary.Pointing pointing, long peak,
                                     AcquisitionShift shift) {
        float[][] logits = {{2, 0, 0}, {0, 2, 0}, {0, 0, 2}, {1, 0.5f, 0}, {0, 1, 0.5f}, {0.5f, 0, 1}};
        int[] labels = {0, 1, 2, 1, 1, 2};
        String[] files = {"a.png", "b.png", "c.png", "d.png", "e.png", "f.png"};
        String[] pids = {"p1", "p1", "p2", "p3", "p3", "p4"};
        float[][] probs = cal.probabilities(logits);
        PredictionsCsv.Predictions p = new PredictionsCsv.Predictions(files, labels, probs, pids);
        EvaluationSummary.Measured m = new EvaluationSummary.Measured(p, p.evaluate(new BootstrapConfig(50, 1)),
                CalibrationResult.of(cal, logits, labels), ReliabilityDiagram.calibratedFloor(probs, Metrics.ECE_BINS, 50, 1),
                DriftScore.Result.noReference(probs));
        EvaluateJob.Options o = new EvaluateJob.Options("test", true, false, true, null, null, 1).withShift(shift);
        return new EvaluationSummary(o, profile, m, 1, 3, pointing, peak,
                new TrainingOverlap(true, Map.of("train", 0, "val", 0, "test", 0), Map.of("train", 0, "val", 0, "test", 0), 6),
                java.util.Map.of("config_sha256", "c0ffee"));
    }

    static final EvaluationSummary.Pointing PLAYED = new EvaluationSummary.Pointing("layer4",
            new PointingGame.Score(2, 0.5, 0.25, 0.125, 0.1), 4, new PointingGame.Score(2, 1.0, 0.5, 0.125, 0.1));

    @Test
    void metricsJsonAddsItsKeysAfterTheEvaluationsOwnInAFixedOrder() {
        Calibration cal = new Calibration(Calibration.Method.BIAS_CORRECTED, 1.5, new double[] {0.2, -0.1, -0.1});
        EvaluationSummary s = summary(cal, "site-a", PLAYED, 512, AcquisitionShift.parse("gamma=1.4"));
        ObjectNode json = SummaryFormat.json(s);
        List<String> own = new ArrayList<>();
        s.measured().result().toJsonNode().fieldNames().forEachRemaining(own::add);
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        List<String> want = new ArrayList<>(own);
        want.addAll(ADDED_KEYS);
        assertEquals(want, keys);

        assertEquals("bias-corrected", json.path("calibration_method").asText());
        assertEquals(3, json.path("class_bias").size());
        assertEquals("site-a", json.path("profile").asText());
        assertEquals("gamma=1.4,contrast=1,brightness=0", json.path("shift").asText());
        assertEquals(1, json.path("unreadable_files").asInt());
        assertEquals(3, json.path("skipped_inputs").asInt());
        assertEquals(512, json.path("peak_rss_mb").asLong());
        assertEquals("c0ffee", json.path("provenance").path("config_sha256").asText());
        JsonNode pg = json.path("gradcam_pointing_game");
        assertEquals(List.of("layer", "n", "hit_rate", "energy_in_mask", "mask_area_fraction", "chance_hit_rate", "tolerance_px"),
                names(pg));
        assertEquals(1.0, json.path("gradcam_pointing_game_layer3").path("hit_rate").asDouble());
        assertEquals(List.of("mean", "p95", "draws", "seed"), names(json.path("ece_if_calibrated")));
    }

    @Test
    void optionalKeysAreLeftOutAndAnUnknownPeakIsNull() {
        EvaluationSummary s = summary(Calibration.ofTemperature(1.2), null, EvaluationSummary.Pointing.NONE, -1, AcquisitionShift.NONE);
        ObjectNode json = SummaryFormat.json(s);
        for (String k : List.of("class_bias", "profile", "gradcam_pointing_game", "gradcam_pointing_game_layer3"))
            assertFalse(json.has(k), k);
        assertTrue(json.get("peak_rss_mb").isNull());
        assertEquals("none", json.path("shift").asText());
    }

    @Test
    void consoleLinesComeInEvaluatesOrder() {
        EvaluationSummary s = summary(Calibration.ofTemperature(1.2), null, PLAYED, 512, AcquisitionShift.parse("gamma=1.4"));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        SummaryFormat.print(s, new PrintStream(b, true, StandardCharsets.UTF_8));
        List<String> lines = b.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals("Grad-CAM on layer3: 100.0 % hits (10.0 % by chance), 50.0 % of the map's energy inside masks "
                + "covering 12.5 % of the image", lines.get(0));
        assertEquals("every image re-rendered before the model: gamma=1.4,contrast=1,brightness=0", lines.get(1));
        assertTrue(lines.get(2).startsWith("Class "), lines.get(2));
        Iterator<String> tail = lines.subList(lines.size() - 5, lines.size()).iterator();
        assertTrue(tail.next().startsWith("ECE (15 bins): "));
        assertTrue(tail.next().startsWith("  a perfectly calibrated model with these confidences would score "));
        assertEquals("Grad-CAM pointing game on 2 bacterial phantoms (layer4): 50.0 % hits (10.0 % by chance), "
                + "25.0 % of the map's energy inside masks covering 12.5 % of the image", tail.next());
        assertEquals(s.measured().shiftAlarm().line(), tail.next());
        assertEquals("peak RSS after evaluation: 512 MB", tail.next());
    }

    static List<String> names(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
