package org.pneumoscope.api;

import org.pneumoscope.core.Label;

import java.util.Arrays;
import java.util.Locale;

/**
 * What the model says about one film.
 *
 * @param film          the film's name ({@link Film#name()})
 * @param label         the predicted class: the most probable one after calibration
 * @param probabilities calibrated probabilities in {@link Label} order (bacteria, virus, normal); they sum to 1
 * @param tta           whether the film's mirror image was averaged in
 * @param features      the pooled features the network's head read, for a caller that watches for shifted films
 *                      (the same vector the shift alarm compares with the training site's)
 * @param logits        the network's raw scores before calibration, in {@link Label} order (null where not kept), for
 *                      a caller that measures calibration on labelled films, as {@code evaluate} does
 */
public record Prediction(String film, Label label, float[] probabilities, boolean tta, float[] features, float[] logits) {
    public Prediction {
        if (probabilities.length != Label.COUNT)
            throw new IllegalArgumentException("need " + Label.COUNT + " probabilities, got " + probabilities.length);
        probabilities = probabilities.clone();
        features = features == null ? null : features.clone();
        logits = logits == null ? null : logits.clone();
    }

    public Prediction(String film, Label label, float[] probabilities, boolean tta, float[] features) {
        this(film, label, probabilities, tta, features, null);
    }

    /** The calibrated probability of class {@code l}. */
    public double probability(Label l) {
        return probabilities[l.index()];
    }

    /** The probability of the predicted class. */
    public double confidence() {
        return probabilities[label.index()];
    }

    @Override
    public float[] probabilities() { return probabilities.clone(); }

    @Override
    public float[] features() { return features == null ? null : features.clone(); }

    @Override
    public float[] logits() { return logits == null ? null : logits.clone(); }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %s (p %.3f; %s)", film, label.id(), confidence(), Arrays.toString(probabilities));
    }
}
