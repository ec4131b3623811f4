package org.pneumoscope.augment;

import java.util.Random;

/**
 * Applies a pipeline with a random stream that depends only on (run seed, epoch, sample index), never on which
 * thread got the sample or in what order: training runs are reproducible whatever the scheduling.
 */
public final class Augmenter {
    private final Transform pipeline;
    private final long runSeed;

    public Augmenter(Transform pipeline, long runSeed) {
        this.pipeline = pipeline;
        this.runSeed = runSeed;
    }

    public FloatImage apply(FloatImage image, int epoch, long sampleIndex) {
        return pipeline.apply(image, rngFor(epoch, sampleIndex));
    }

    /** The random stream a given sample gets in a given epoch. */
    public Random rngFor(int epoch, long sampleIndex) {
        return new Random(mix(runSeed, epoch, sampleIndex));
    }

    public Transform pipeline() { return pipeline; }

    public long runSeed() { return runSeed; }

    /** Hashes the three numbers into one well-spread seed (SplitMix64 finaliser, chained). */
    public static long mix(long runSeed, long epoch, long sampleIndex) {
        long h = splitmix(runSeed);
        h = splitmix(h ^ epoch * 0x9E3779B97F4A7C15L);
        return splitmix(h ^ sampleIndex * 0xC2B2AE3D27D4EB4FL);
    }

    static long splitmix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
