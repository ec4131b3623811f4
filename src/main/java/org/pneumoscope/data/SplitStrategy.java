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
    TEXTURE,
    /**
     * The normal-class patients whose chests look narrowest after the squash to a square (highest gradient
     * anisotropy, the measure the shape recipe draws anew) plus a random share of the others ({@link TextureSplit}
     * with another ranking): a proxy for normals whose originals were shaped like the pneumonia films'.
     */
    SHAPE;

    /** Whether the strategy holds out one end of the normal-class patients ranked by a measure of their films. */
    public boolean ranksNormals() { return this == TEXTURE || this == SHAPE; }

    public String id() { return Choices.id(this); }

    /** What the tables call the split this strategy holds out. */
    public String heldOutName() {
        return switch (this) {
            case PATIENT -> "test split";
            case BATCH -> "held-out batch (proxy for new films)";
            case TEXTURE -> "held-out blurry normals (proxy for new films)";
            case SHAPE -> "held-out narrow-chested normals (proxy for new films)";
        };
    }

    /** "patient", "batch", "texture" or "shape" (any case); IllegalArgumentException listing them otherwise. */
    public static SplitStrategy parse(String text) { return Choices.parse(SplitStrategy.class, text); }
}
