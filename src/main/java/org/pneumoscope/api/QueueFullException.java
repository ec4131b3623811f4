package org.pneumoscope.api;

import java.util.concurrent.RejectedExecutionException;

/**
 * A {@link BatchingClassifier} refused a film because {@link BatchPolicy#queueLimit()} films already wait for a pass:
 * back-pressure, to be answered by trying again shortly (the server answers 503 with Retry-After).
 */
public final class QueueFullException extends RejectedExecutionException {
    private final int waiting;

    public QueueFullException(int waiting) {
        super(waiting + " film(s) are already waiting for a forward pass; try again shortly");
        this.waiting = waiting;
    }

    /** Films that were waiting when this one was refused (the queue limit). */
    public int waiting() { return waiting; }
}
