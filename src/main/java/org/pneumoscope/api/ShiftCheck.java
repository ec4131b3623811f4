package org.pneumoscope.api;

import org.pneumoscope.eval.DriftScore;

import java.util.Map;

/**
 * Whether a window of scored films looks like the training site's validation films, judged on the features at the
 * pooled layer and the predicted class mix against the reference the run stored at training time.
 *
 * @param films     films in the window
 * @param score     the drift score; NaN when the run has no reference
 * @param threshold the score above which the alarm fires (calibrated on validation resamples of this window size)
 * @param alarm     whether the films differ from the training films
 * @param message   what to do, in plain words (the alarm's advice when it fires)
 * @param line      one line for a terminal: score, threshold, class mix, accuracy estimate and message
 * @param estimatedAccuracy a rough label-free estimate of the share of the window's films the classifier gets right
 *                  (average thresholded confidence, fitted on the validation films); NaN when not made (a site
 *                  profile, a run trained before it existed, too few films, films scored in more than one way)
 * @param validationAccuracy the classifier's measured accuracy on its validation films, to read the estimate against;
 *                  NaN likewise
 */
public record ShiftCheck(int films, double score, double threshold, boolean alarm, String message, String line,
                         Map<String, Object> details, double estimatedAccuracy, double validationAccuracy) {
    /** The fewest films a window needs before it is judged. */
    public static final int MIN_FILMS = DriftScore.MIN_WINDOW;

    /** What a run without a reference says instead of a judgement. */
    public static final String NO_REFERENCE = DriftScore.NO_REFERENCE;

    /** Whether score and threshold were computed (the run has a reference). */
    public boolean judged() { return !Double.isNaN(score); }

    static ShiftCheck of(DriftScore.Result r) {
        return new ShiftCheck(r.n(), r.score(), r.threshold(), r.alarm(), r.message(), r.line(), r.toMap(),
                r.estimatedAccuracy(), r.validationAccuracy());
    }
}
