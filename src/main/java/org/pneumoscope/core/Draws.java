package org.pneumoscope.core;

import java.util.Random;

/**
 * Random draws that training needs on more than one floor (mixup mixes images, style mixing feature statistics),
 * taken from a caller's seeded {@link Random} so that a run repeats exactly.
 */
public final class Draws {
    private Draws() {}

    /** λ ~ Beta(a, a), from two gamma draws; a &lt; 1 puts most of the mass near 0 and 1. */
    public static double beta(double a, Random rng) {
        double x = gamma(a, rng), y = gamma(a, rng);
        double sum = x + y;
        return sum > 0 ? x / sum : rng.nextBoolean() ? 1 : 0; // both underflowed: a is tiny, so λ is 0 or 1
    }

    /** Marsaglia–Tsang gamma sampler (with the a &lt; 1 boost). */
    public static double gamma(double a, Random rng) {
        if (a < 1) return gamma(a + 1, rng) * Math.pow(rng.nextDouble(), 1 / a);
        double d = a - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = rng.nextGaussian(), v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = rng.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
        }
    }

    /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
    public static int[] permutation(int n, Random rng) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }
}
