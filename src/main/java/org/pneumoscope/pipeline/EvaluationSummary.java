package org.pneumoscope.pipeline;

import org.pneumoscope.eval.CalibrationResult;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.eval.PredictionsCsv;
import org.pneumoscope.eval.ReliabilityDiagram;

/**
 * What one evaluation found, computed by {@link EvaluateJob} and then only rendered: as metrics.json and the
 * console lines by {@link SummaryFormat}, as report.html by {@link EvaluateJob}.
 *
 * @param options    how the films were evaluated (split, TTA, acquisition shift, bootstrap seed)
 * @param profile    the site profile the model was loaded with; null for the run's own weights
 * @param measured   the calibrated predictions and what they measure
 * @param unreadable films that did not decode
 * @param skipped    inputs left out in all: those the dataset scan skipped and the unreadable films
 * @param pointing   the Grad-CAM pointing game on phantom masks ({@link Pointing#NONE} without masks)
 * @param peakRssMb  the process's peak RSS after the heavy parts (-1 where /proc is absent)
 * @param overlap    which of the films the run has seen (its split.csv, by file and by patient)
 * @param provenance what made the figures: the software, the model's config and the evaluated films (fingerprints),
 *                   and under {@code "model"} the provenance model.json holds (null for runs from before it was kept)
 */
record EvaluationSummary(EvaluateJob.Options options, String profile, Measured measured, int unreadable, int skipped,
                         Pointing pointing, long peakRssMb, TrainingOverlap overlap, java.util.Map<String, Object> provenance) {

    /**
     * The calibrated predictions of the readable films (in their order) and what they measure.
     *
     * @param calibratedFloor what ECE a perfectly calibrated model would score with these confidences
     * @param shiftAlarm      the shift alarm's check of these films against the model's reference
     */
    record Measured(PredictionsCsv.Predictions predictions, EvaluationResult result, CalibrationResult calibration,
                    ReliabilityDiagram.Floor calibratedFloor, DriftScore.Result shiftAlarm) {
        int n() { return predictions.size(); }
    }

    /**
     * The pointing game on the network's last feature layer, and on the finer layer3 where the network has one.
     *
     * @param layer       the last feature layer's name; null when nothing was scored
     * @param tolerancePx how far from a lesion a map's peak may fall and still count as a hit
     * @param layer3      the same game on layer3; null when it was not played
     */
    record Pointing(String layer, PointingGame.Score score, int tolerancePx, PointingGame.Score layer3) {
        static final Pointing NONE = new Pointing(null, PointingGame.Score.NONE, 0, null);

        boolean scored() { return score.n() > 0; }
    }
}
