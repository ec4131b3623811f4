package org.pneumoscope.augment;

import java.util.List;
import java.util.Random;

/**
 * With probability {@code p}, applies exactly one of the options, chosen uniformly (albumentations OneOf with
 * the children's default equal weights).
 */
public record OneOf(double p, List<Transform> options) implements Transform {
    public OneOf {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("probability must be in [0,1], got " + p);
        if (options.isEmpty()) throw new IllegalArgumentException("OneOf needs at least one option");
        options = List.copyOf(options);
    }

    public static OneOf of(double p, Transform... options) { return new OneOf(p, List.of(options)); }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        double u = rng.nextDouble();
        int pick = rng.nextInt(options.size());
        return u < p ? options.get(pick).apply(image, rng) : image;
    }

    @Override
    public String toString() { return "OneOf(" + p + ", " + options + ")"; }
}
