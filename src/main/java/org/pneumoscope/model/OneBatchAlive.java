package org.pneumoscope.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Input batches made one at a time, each in its own sub-manager closed when the next is made (and after the last), so
 * that a pass over many films holds the native memory of one batch only.
 */
public abstract class OneBatchAlive implements Iterator<NDArray> {
    private final NDManager manager;
    private NDManager current;

    protected OneBatchAlive(NDManager manager) {
        this.manager = manager;
    }

    /** Whether another batch follows. */
    protected abstract boolean more();

    /** The next batch, made in {@code m}. */
    protected abstract NDArray make(NDManager m);

    @Override
    public final boolean hasNext() {
        boolean more = more();
        if (!more && current != null) current.close();
        return more;
    }

    @Override
    public final NDArray next() {
        if (!hasNext()) throw new NoSuchElementException();
        if (current != null) current.close();
        current = manager.newSubManager();
        return make(current);
    }
}
