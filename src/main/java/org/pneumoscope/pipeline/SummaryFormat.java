package org.pneumoscope.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.ProcessMemory;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.eval.EvaluationTables;
import org.pneumoscope.eval.ReliabilityDiagram;
import org.pneumoscope.train.RunFolder;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** Renders an {@link EvaluationSummary} as evaluate's metrics.json tree and as the lines it prints. */
final class SummaryFormat {
    private SummaryFormat() {}

    /** metrics.json: the evaluation's own figures first, then how they were made, the shift alarm and the pointing game. */
    static ObjectNode json(EvaluationSummary s) {
        EvaluationSummary.Measured m = s.measured();
        Calibration cal = m.calibration().calibration();
        ObjectNode json = m.result().toJsonNode();
        json.put("split", s.options().splitName());
        json.put("temperature", cal.temperature());
        json.put("calibration_method", cal.method().id());
        if (cal.shiftsClasses()) {
            ArrayNode cb = json.putArray("class_bias");
            for (double v : cal.bias()) cb.add(v);
        }
        json.put("ece_uncalibrated", m.calibration().eceBefore());
        json.put("ece_calibrated", m.result().ece());
        floor(json.putObject("ece_if_calibrated"), m.calibratedFloor());
        json.put("tta", s.options().tta());
        if (s.profile() != null) json.put("profile", s.profile());
        json.put("shift", s.options().shift().describe());
        json.put("unreadable_files", s.unreadable());
        json.put("skipped_inputs", s.skipped());
        json.set("training_overlap", RunFolder.JSON.valueToTree(s.overlap().toMap()));
        // no reader figure here: it comes from another study on other films, so it is context in report.html, not a metric
        // "shift" names the --shift stress test above; the alarm's check of these films is "shift_alarm"
        json.set("shift_alarm", RunFolder.JSON.valueToTree(m.shiftAlarm().toMap()));
        pointing(json, s.pointing());
        if (s.peakRssMb() >= 0) json.put("peak_rss_mb", s.peakRssMb()); else json.putNull("peak_rss_mb");
        json.set("provenance", RunFolder.JSON.valueToTree(s.provenance()));
        return json;
    }

    private static void floor(ObjectNode o, ReliabilityDiagram.Floor floor) {
        o.put("mean", floor.mean());
        o.put("p95", floor.p95());
        o.put("draws", floor.draws());
        o.put("seed", floor.seed());
    }

    private static void pointing(ObjectNode json, EvaluationSummary.Pointing p) {
        if (!p.scored()) return;
        ObjectNode o = json.putObject("gradcam_pointing_game");
        o.put("layer", p.layer());
        p.score().writeTo(o);
        o.put("tolerance_px", p.tolerancePx());
        if (p.layer3() != null) p.layer3().writeTo(json.putObject("gradcam_pointing_game_layer3"));
    }

    /** What evaluate prints once everything is written: the tables, calibration, pointing game, shift alarm, memory. */
    static void print(EvaluationSummary s, PrintStream out) {
        EvaluationSummary.Measured m = s.measured();
        EvaluationResult r = m.result();
        ReliabilityDiagram.Floor floor = m.calibratedFloor();
        EvaluationSummary.Pointing pg = s.pointing();
        warnTrainedOn(s.overlap(), out);
        if (pg.layer3() != null) out.println("Grad-CAM on layer3: " + figures(pg.layer3()));
        if (!s.options().shift().isNone()) out.println("every image re-rendered before the model: " + s.options().shift().describe());
        out.println(EvaluationTables.text(r));
        out.printf(Locale.ROOT, "ECE (15 bins): %.4f before calibration, %.4f after (%s)%n", m.calibration().eceBefore(), r.ece(),
                m.calibration().calibration().describe(List.of(Label.ids())));
        out.printf(Locale.ROOT, "  a perfectly calibrated model with these confidences would score %.4f on %d images (95 %% of %d draws <= %.4f): %s%n",
                floor.mean(), m.n(), floor.draws(), floor.p95(),
                floor.consistent(r.ece()) ? "no evidence of miscalibration" : "miscalibrated beyond chance");
        if (pg.scored()) {
            out.printf(Locale.ROOT, "Grad-CAM pointing game on %d bacterial phantoms (layer4): %s%n", pg.score().n(), figures(pg.score()));
        }
        out.println(m.shiftAlarm().line());
        out.println("peak RSS after evaluation: " + ProcessMemory.mb(s.peakRssMb()));
    }

    /** The trained-on warning, on its own lines so that it is not lost in the tables (nothing when the films are new). */
    static void warnTrainedOn(TrainingOverlap overlap, PrintStream out) {
        String w = overlap.warning();
        if (w != null) out.println("!!! WARNING: " + w);
    }

    /** "12.5 % hits (10.8 % by chance), ...": a pointing game's figures in percent. */
    private static String figures(PointingGame.Score p) {
        return String.format(Locale.ROOT, "%.1f %% hits (%.1f %% by chance), %.1f %% of the map's energy inside masks covering %.1f %% of the image",
                100 * p.hitRate(), 100 * p.chanceHitRate(), 100 * p.energyInMask(), 100 * p.maskAreaFraction());
    }
}
