package org.pneumoscope.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A reusable native-order direct buffer for one model input. DJL's {@code manager.create(float[])} copies the array
 * into a fresh direct buffer that the tensor uses in place and that only the GC frees: one batch's worth of native
 * memory per step waits for a collection, so RSS rose and fell with GC timing (docs/models.md). Created from this
 * buffer the tensor uses it without a copy; the caller must close the array before the next {@link #create}.
 *
 * <p>Not thread-safe: the tensor reads the buffer during the forward pass, so concurrent callers each need their own
 * (see {@code TrainedModel}, which lends one to each caller at a time).
 */
public final class DirectInput {
    private ByteBuffer buf;

    public NDArray create(NDManager m, float[] data, Shape shape) {
        int n = Math.toIntExact(shape.size()), bytes = n * Float.BYTES;
        if (data.length < n) throw new IllegalArgumentException(data.length + " values for shape " + shape);
        if (buf == null || buf.capacity() < bytes) buf = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        buf.clear();
        buf.asFloatBuffer().put(data, 0, n);
        buf.limit(bytes);
        return m.create(buf, shape, DataType.FLOAT32);
    }
}
