package org.pneumoscope.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a {@link BatchingClassifier} has done so far: how many forward passes of each size it ran, how many films it
 * refused, and how many passes failed as a whole and were split into passes of one film (so that one bad film fails
 * only its own caller). Those single-film retries are counted apart ({@code retriedSingly}), not as passes of one:
 * the histogram says how films were gathered, and each film counts once in {@link #films()}.
 *
 * @param sizes         {@code sizes[k]} passes of k films, each film's first pass (index 0 unused)
 * @param rejected      films refused because the queue was full
 * @param split         passes that failed and were retried film by film
 * @param retriedSingly films run again alone after their pass failed
 */
public record BatchStats(long[] sizes, long rejected, long split, long retriedSingly) {
    public BatchStats {
        sizes = sizes.clone();
    }

    public long passes() {
        long n = 0;
        for (long s : sizes) n += s;
        return n;
    }

    public long films() {
        long n = 0;
        for (int k = 1; k < sizes.length; k++) n += k * sizes[k];
        return n;
    }

    /** Films per pass on average; 0 before the first pass. */
    public double meanSize() {
        long p = passes();
        return p == 0 ? 0 : films() / (double) p;
    }

    /** The largest pass so far; 0 before the first. */
    public int maxSize() {
        for (int k = sizes.length - 1; k > 0; k--) if (sizes[k] > 0) return k;
        return 0;
    }

    /** What happened between {@code before} and this (both from the same batcher). */
    public BatchStats since(BatchStats before) {
        long[] d = sizes.clone();
        for (int k = 0; k < Math.min(d.length, before.sizes.length); k++) d[k] -= before.sizes[k];
        return new BatchStats(d, rejected - before.rejected, split - before.split, retriedSingly - before.retriedSingly);
    }

    /**
     * For JSON: passes, films, mean and largest size, the histogram as {"size": passes}, the refusals, the failed
     * passes and the films they retried alone.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("passes", passes());
        m.put("films", films());
        m.put("mean_size", Math.round(meanSize() * 100) / 100.0);
        m.put("max_size", maxSize());
        Map<String, Long> h = new LinkedHashMap<>();
        for (int k = 1; k < sizes.length; k++) if (sizes[k] > 0) h.put(String.valueOf(k), sizes[k]);
        m.put("sizes", h);
        m.put("rejected", rejected);
        m.put("split", split);
        m.put("retried_singly", retriedSingly);
        return m;
    }
}
