package org.pneumoscope.export;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The part of the protocol-buffers wire format an ONNX file needs: varints, 64-bit integers, 32-bit floats, strings,
 * bytes and nested messages (a nested message is written as a length-delimited field holding another writer's
 * bytes). Fields are appended in call order; protobuf readers accept any order, and repeated fields may interleave.
 */
final class ProtoWriter {
    private static final int VARINT = 0, FIXED32 = 5, LENGTH_DELIMITED = 2;

    private final Buffer buf = new Buffer();

    /** A {@code int64}/{@code int32}/enum field. */
    ProtoWriter int64(int field, long value) {
        tag(field, VARINT);
        varint(value);
        return this;
    }

    /** A {@code float} field. */
    ProtoWriter float32(int field, float value) {
        tag(field, FIXED32);
        int bits = Float.floatToIntBits(value);
        for (int i = 0; i < 4; i++) buf.write(bits >>> (8 * i));
        return this;
    }

    /** A {@code string} field, as UTF-8. */
    ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A {@code bytes} field. */
    ProtoWriter bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        varint(value.length);
        buf.write(value, 0, value.length);
        return this;
    }

    /** A nested message field. */
    ProtoWriter message(int field, ProtoWriter message) {
        tag(field, LENGTH_DELIMITED);
        varint(message.size());
        message.buf.copyTo(buf);
        return this;
    }

    /**
     * The start of a length-delimited field whose {@code length} bytes the caller writes next, straight from where
     * they are (the graph, with all its weights, is not copied once more into the model).
     */
    ProtoWriter lengthPrefix(int field, int length) {
        tag(field, LENGTH_DELIMITED);
        varint(length);
        return this;
    }

    /** A {@code repeated int64} field in packed form (one length-delimited run of varints). */
    ProtoWriter packedInt64(int field, long... values) {
        ProtoWriter run = new ProtoWriter();
        for (long v : values) run.varint(v);
        tag(field, LENGTH_DELIMITED);
        varint(run.size());
        run.buf.copyTo(buf);
        return this;
    }

    int size() { return buf.size(); }

    byte[] toByteArray() { return buf.toByteArray(); }

    void writeTo(OutputStream out) throws IOException { buf.writeTo(out); }

    private void tag(int field, int wireType) {
        varint(((long) field << 3) | wireType);
    }

    /** Base-128, least significant group first; a negative value takes ten bytes, as protobuf's int64 does. */
    private void varint(long v) {
        while ((v & ~0x7FL) != 0) {
            buf.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        buf.write((int) v);
    }

    /** A byte buffer that copies into another without an intermediate array (weights run to hundreds of megabytes). */
    private static final class Buffer extends ByteArrayOutputStream {
        void copyTo(Buffer other) { other.write(buf, 0, count); }
    }
}
