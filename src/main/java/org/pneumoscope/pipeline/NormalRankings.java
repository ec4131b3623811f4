package org.pneumoscope.pipeline;

import org.pneumoscope.augment.Anisotropy;
import org.pneumoscope.augment.FloatImage;
import org.pneumoscope.data.Preprocess;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.data.TextureSplit;

/**
 * The measure each proxy strategy ranks the normal-class patients by. The shape measure is the augmentation floor's,
 * so the ranking is put together here rather than in the data floor, which splits by whatever measure it is given.
 */
public final class NormalRankings {
    private NormalRankings() {}

    /** The narrowest-looking chests first: the highest {@link Anisotropy} of the film squashed to 224x224. */
    public static final TextureSplit.Ranking SHAPE = new TextureSplit.Ranking("narrowest-chested",
            "Chest shape (gradient anisotropy: mean |horizontal| over mean |vertical| gradient after a Gaussian of 3.5 px, "
                    + "central 3/4 of the 224x224 grey film; higher = narrower-looking chest)",
            film -> Anisotropy.of(FloatImage.of(Preprocess.resize(film, TextureSplit.SIZE, ResizeMode.SQUASH))), true);

    /** The ranking of a strategy that {@link SplitStrategy#ranksNormals ranks normals}. */
    public static TextureSplit.Ranking of(SplitStrategy strategy) {
        return switch (strategy) {
            case TEXTURE -> TextureSplit.SHARPNESS;
            case SHAPE -> SHAPE;
            case PATIENT, BATCH -> throw new IllegalArgumentException(strategy.id() + " does not rank the normals");
        };
    }
}
