package org.pneumoscope.augment;

import java.util.List;
import java.util.Random;

/** Applies each step in order (albumentations Compose / MONAI Compose). Steps decide their own probability. */
public record Compose(List<Transform> steps) implements Transform {
    public Compose {
        steps = List.copyOf(steps);
    }

    public static Compose of(Transform... steps) { return new Compose(List.of(steps)); }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        FloatImage out = image;
        for (Transform t : steps) out = t.apply(out, rng);
        return out;
    }

    @Override
    public String toString() { return "Compose" + steps; }
}
