package org.pneumoscope.api;

import java.time.Duration;

/**
 * How a {@link BatchingClassifier} gathers films into forward passes.
 *
 * @param maxWait    how long the oldest waiting film may be held back for others to join its pass. The wait applies
 *                   under load only: a film arriving when the previous one came longer than {@code maxWait} earlier
 *                   is run at once, so a lone caller never waits for company that is not coming
 * @param maxBatch   films per pass at most; a pass starts as soon as this many wait. With several runners a pass also
 *                   takes no more than its runner's share of the films waiting or in passes, so that passes run side by
 *                   side stay about equal in size
 * @param queueLimit films that may wait for a pass; one more is refused with {@link QueueFullException}
 * @param runners    passes computed at the same time (threads of the batcher; each pass uses PyTorch's own threads)
 * @param beforePass runs on the runner thread before every pass; null normally (tests use it to hold a runner busy)
 */
public record BatchPolicy(Duration maxWait, int maxBatch, int queueLimit, int runners, Runnable beforePass) {
    /** A few milliseconds: small beside a pass (~10 ms for one film on two cores), long enough for a burst to gather. */
    public static final Duration DEFAULT_WAIT = Duration.ofMillis(5);
    /** Enough films to keep two cores busy, few enough that the last of them is not kept waiting long. */
    public static final int DEFAULT_MAX_BATCH = 16;
    public static final int DEFAULT_QUEUE_LIMIT = 64;
    /** Longest wait accepted: beyond a second batching would cost more than it saves. */
    public static final Duration MAX_WAIT_LIMIT = Duration.ofSeconds(1);
    public static final int MAX_BATCH_LIMIT = 256;

    public BatchPolicy {
        if (maxWait == null || maxWait.isNegative() || maxWait.compareTo(MAX_WAIT_LIMIT) > 0)
            throw new IllegalArgumentException("the batch wait must be between 0 and " + MAX_WAIT_LIMIT.toMillis() + " ms, got " + maxWait);
        if (maxBatch < 1 || maxBatch > MAX_BATCH_LIMIT)
            throw new IllegalArgumentException("the largest batch must be between 1 and " + MAX_BATCH_LIMIT + ", got " + maxBatch);
        if (queueLimit < 1) throw new IllegalArgumentException("the queue limit must be at least 1, got " + queueLimit);
        if (runners < 1) throw new IllegalArgumentException("a batcher needs at least one runner, got " + runners);
    }

    /** The defaults: {@link #DEFAULT_WAIT}, {@link #DEFAULT_MAX_BATCH}, {@link #DEFAULT_QUEUE_LIMIT}, one runner. */
    public static BatchPolicy defaults() {
        return new BatchPolicy(DEFAULT_WAIT, DEFAULT_MAX_BATCH, DEFAULT_QUEUE_LIMIT, 1, null);
    }

    public BatchPolicy withMaxWait(Duration d) { return new BatchPolicy(d, maxBatch, queueLimit, runners, beforePass); }
    public BatchPolicy withMaxBatch(int n) { return new BatchPolicy(maxWait, n, queueLimit, runners, beforePass); }
    public BatchPolicy withQueueLimit(int n) { return new BatchPolicy(maxWait, maxBatch, n, runners, beforePass); }
    public BatchPolicy withRunners(int n) { return new BatchPolicy(maxWait, maxBatch, queueLimit, n, beforePass); }
    public BatchPolicy withBeforePass(Runnable r) { return new BatchPolicy(maxWait, maxBatch, queueLimit, runners, r); }
}
