package org.pneumoscope.augment;

import com.fasterxml.jackson.annotation.JsonValue;
import org.pneumoscope.core.Choice;

import java.util.List;

/** The ready-made augmentation pipelines a config's {@code augment} names (see {@link Augmentations}). */
public enum Recipe implements Choice {
    NONE, SEED, LIGHT, MEDIUM, STRONG, ACQUISITION, FRAMING, SHAPE;

    @Override
    public List<String> aliases() {
        return this == NONE ? List.of("off") : List.of();
    }

    /** The pipeline; for {@link #NONE} one that changes nothing. */
    public Transform transform() {
        return switch (this) {
            case NONE -> Compose.of();
            case SEED -> Augmentations.seedRecipe();
            case LIGHT -> Augmentations.lightRecipe();
            case MEDIUM -> Augmentations.mediumRecipe();
            case STRONG -> Augmentations.strongRecipe();
            case ACQUISITION -> Augmentations.acquisitionRecipe();
            case FRAMING -> Augmentations.framingRecipe();
            case SHAPE -> Augmentations.shapeRecipe();
        };
    }

    /** As written in YAML, JSON and log lines ("acquisition"). */
    @JsonValue
    @Override
    public String toString() { return id(); }
}
