package org.pneumoscope.data;

import org.pneumoscope.core.Choices;

/**
 * Which patients a split holds out for testing ({@code dataset split --strategy}, an experiment's {@code holdout:}).
 */
public enum SplitStrategy {
    /** A random, class-stratified share of patients: how well the model does on new patients of the same batch. */
    PATIENT,
    /**
     * The lowest-numbered patients of each file-name family ({@link BatchSplit}): a proxy for films from another
     * acquisition period, the shift a random patient split never shows.
     */
    BATCH,
    /**
     * The blurriest normal-class patients plus a random share of the others ({@link TextureSplit}): a proxy for
     * normal films from another batch, which a model that learnt "sharp = normal" calls pneumonia.
     */
    TEXTURE;

    public String id() { return Choices.id(this); }

    /** What the tables call the split this strategy holds out. */
    public String heldOutName() {
        return switch (this) {
            case PATIENT -> "test split";
            case BATCH -> "held-out batch (proxy for new films)";
            case TEXTURE -> "held-out blurry normals (proxy for new films)";
        };
    }

    /** "patient", "batch" or "texture" (any case); IllegalArgumentException listing them otherwise. */
    public static SplitStrategy parse(String text) { return Choices.parse(SplitStrategy.class, text); }
}
