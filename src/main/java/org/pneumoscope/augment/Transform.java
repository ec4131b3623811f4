package org.pneumoscope.augment;

import java.util.Random;

/** One augmentation step. Must keep the size and the [0,1] range; randomness only from {@code rng}. */
@FunctionalInterface
public interface Transform {
    FloatImage apply(FloatImage image, Random rng);

    Transform IDENTITY = (img, rng) -> img;
}
