package org.pneumoscope.augment;

import java.util.Random;

/** Applies {@code transform} with probability {@code p}, else passes the image through (albumentations' p). */
public record Maybe(double p, Transform transform) implements Transform {
    public Maybe {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("probability must be in [0,1], got " + p);
    }

    public static Maybe of(double p, Transform t) { return new Maybe(p, t); }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        // Always draw, so the random stream (and thus later steps) doesn't depend on p being 0 or 1.
        double u = rng.nextDouble();
        return u < p ? transform.apply(image, rng) : image;
    }

    @Override
    public String toString() { return "Maybe(" + p + ", " + transform + ")"; }
}
