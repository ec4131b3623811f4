package org.pneumoscope.eval;

import java.util.Arrays;

/**
 * The last {@code capacity} films a long-running service has scored, for its shift alarm: each film's pooled features
 * and calibrated probabilities in a ring. Thread-safe: workers add while health checks read; a check copies the ring
 * under the lock and scores the copy outside it.
 */
public final class DriftWindow {
    private final DriftScore drift;
    private final float[][] features, probabilities;
    private final boolean[] tta;
    private int next, count;

    /** @param drift the reference's check, or null for a run without a shift reference */
    public DriftWindow(DriftScore drift, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("a window holds at least one film, got " + capacity);
        this.drift = drift;
        this.features = new float[capacity][];
        this.probabilities = new float[capacity][];
        this.tta = new boolean[capacity];
    }

    public int capacity() { return features.length; }

    /** Adds one scored film ({@code mirrored}: with mirror averaging), replacing the oldest when the window is full. */
    public synchronized void add(float[] filmFeatures, float[] filmProbabilities, boolean mirrored) {
        features[next] = filmFeatures;
        probabilities[next] = filmProbabilities;
        tta[next] = mirrored;
        next = (next + 1) % features.length;
        count = Math.min(count + 1, features.length);
    }

    /** The check of the films now in the window. */
    public DriftScore.Result check() {
        float[][] f, p;
        boolean[] mirrored;
        synchronized (this) {
            f = Arrays.copyOf(features, count);
            p = Arrays.copyOf(probabilities, count);
            mirrored = Arrays.copyOf(tta, count);
        }
        // the ring's order does not matter to a mean, so the first `count` slots are the window as they stand
        return drift == null ? DriftScore.Result.noReference(p) : drift.check(f, p, mirrored);
    }
}
