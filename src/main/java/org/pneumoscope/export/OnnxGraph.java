package org.pneumoscope.export;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds one ONNX graph (onnx.proto's GraphProto) node by node and writes it inside a ModelProto. Field numbers are
 * those of onnx.proto; tensors carry their values as little-endian {@code raw_data}. Every value name is unique: a
 * node's output is named after the node unless the caller names it (graph outputs).
 */
final class OnnxGraph {
    /** IR version 8 (ONNX 1.10-1.12) and operator set 17 are read by every ONNX runtime and checker released since 2022. */
    static final long IR_VERSION = 8, OPSET = 17;
    static final int FLOAT = 1, INT64 = 7;

    // onnx.proto field numbers
    private static final int GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_DOC = 10, GRAPH_INPUT = 11,
            GRAPH_OUTPUT = 12;
    private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP = 4, NODE_ATTRIBUTE = 5;
    private static final int ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_INTS = 8, ATTR_TYPE = 20;
    private static final int ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_INTS_TYPE = 7;
    private static final int TENSOR_DIMS = 1, TENSOR_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW = 9;
    private static final int VALUE_NAME = 1, VALUE_TYPE = 2, VALUE_DOC = 3;
    private static final int TYPE_TENSOR = 1, TENSOR_ELEM = 1, TENSOR_SHAPE = 2, SHAPE_DIM = 1, DIM_VALUE = 1,
            DIM_PARAM = 2;
    private static final int MODEL_IR = 1, MODEL_PRODUCER = 2, MODEL_PRODUCER_VERSION = 3, MODEL_DOMAIN = 4,
            MODEL_VERSION = 5, MODEL_DOC = 6, MODEL_GRAPH = 7, MODEL_OPSET = 8, MODEL_METADATA = 14;
    private static final int OPSET_DOMAIN = 1, OPSET_VERSION = 2, ENTRY_KEY = 1, ENTRY_VALUE = 2;

    /** One node attribute. */
    record Attr(String name, int type, long i, float f, long[] ints) {
        static Attr i(String name, long v) { return new Attr(name, ATTR_INT, v, 0, null); }
        static Attr f(String name, float v) { return new Attr(name, ATTR_FLOAT, 0, v, null); }
        static Attr ints(String name, long... v) { return new Attr(name, ATTR_INTS_TYPE, 0, 0, v); }

        ProtoWriter proto() {
            ProtoWriter a = new ProtoWriter().string(ATTR_NAME, name).int64(ATTR_TYPE, type);
            if (type == ATTR_INT) a.int64(ATTR_I, i);
            else if (type == ATTR_FLOAT) a.float32(ATTR_F, f);
            else for (long v : ints) a.int64(ATTR_INTS, v);
            return a;
        }
    }

    private final String name;
    private final ProtoWriter body = new ProtoWriter();
    private final Map<String, Integer> opCount = new HashMap<>();
    private final Map<String, String> constants = new LinkedHashMap<>();
    private long weights;

    OnnxGraph(String name, String doc) {
        this.name = name;
        body.string(GRAPH_NAME, name).string(GRAPH_DOC, doc);
    }

    String name() { return name; }

    /** Numbers held by the initializers. */
    long weightCount() { return weights; }

    /** A graph input; a dimension is a Long (fixed) or a String (symbolic, e.g. the batch). */
    void input(String value, String doc, Object... dims) {
        body.message(GRAPH_INPUT, valueInfo(value, doc, dims));
    }

    void output(String value, String doc, Object... dims) {
        body.message(GRAPH_OUTPUT, valueInfo(value, doc, dims));
    }

    /** A float initializer (a weight); returns its name. */
    String weight(String value, long[] dims, float[] data) {
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        tensor(value, FLOAT, dims, b.array());
        weights += data.length;
        return value;
    }

    /** A small int64 initializer, shared by every node that asks for the same values. */
    String int64s(long... data) {
        return constants.computeIfAbsent("i" + java.util.Arrays.toString(data), k -> {
            ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(data);
            String n = "const_" + constants.size();
            tensor(n, INT64, new long[] {data.length}, b.array());
            return n;
        });
    }

    /** A small float initializer of the given shape, shared like {@link #int64s}. */
    String floats(long[] dims, float... data) {
        return constants.computeIfAbsent("f" + java.util.Arrays.toString(dims) + java.util.Arrays.toString(data), k -> {
            String n = "const_" + constants.size();
            ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(data);
            tensor(n, FLOAT, dims, b.array());
            return n;
        });
    }

    /** Adds a node whose output is named after it; returns that name. */
    String node(String op, List<String> inputs, Attr... attrs) {
        int k = opCount.merge(op, 1, Integer::sum);
        String n = op.toLowerCase(java.util.Locale.ROOT) + "_" + k;
        return node(op, n, inputs, n, attrs);
    }

    /** Adds a node with a chosen output name (a graph output); returns it. */
    String node(String op, String nodeName, List<String> inputs, String output, Attr... attrs) {
        ProtoWriter n = new ProtoWriter();
        for (String in : inputs) n.string(NODE_INPUT, in);
        n.string(NODE_OUTPUT, output).string(NODE_NAME, nodeName).string(NODE_OP, op);
        for (Attr a : attrs) n.message(NODE_ATTRIBUTE, a.proto());
        body.message(GRAPH_NODE, n);
        return output;
    }

    /**
     * Writes the ModelProto holding this graph: IR version, the default operator set, who made it, and the metadata
     * entries in their order.
     */
    void writeModel(OutputStream out, String producer, String producerVersion, String doc,
                    Map<String, String> metadata) throws IOException {
        ProtoWriter m = new ProtoWriter()
                .int64(MODEL_IR, IR_VERSION)
                .message(MODEL_OPSET, new ProtoWriter().string(OPSET_DOMAIN, "").int64(OPSET_VERSION, OPSET))
                .string(MODEL_PRODUCER, producer)
                .string(MODEL_PRODUCER_VERSION, producerVersion)
                .string(MODEL_DOMAIN, "org.pneumoscope")
                .int64(MODEL_VERSION, 1)
                .string(MODEL_DOC, doc);
        for (Map.Entry<String, String> e : metadata.entrySet())
            m.message(MODEL_METADATA, new ProtoWriter().string(ENTRY_KEY, e.getKey()).string(ENTRY_VALUE, e.getValue()));
        // the graph last and straight from its buffer: it holds the weights
        m.writeTo(out);
        writeGraphField(out);
    }

    private void writeGraphField(OutputStream out) throws IOException {
        ProtoWriter tag = new ProtoWriter().lengthPrefix(MODEL_GRAPH, body.size());
        tag.writeTo(out);
        body.writeTo(out);
    }

    private void tensor(String value, int type, long[] dims, byte[] raw) {
        ProtoWriter t = new ProtoWriter().packedInt64(TENSOR_DIMS, dims).int64(TENSOR_TYPE, type)
                .string(TENSOR_NAME, value).bytes(TENSOR_RAW, raw);
        body.message(GRAPH_INITIALIZER, t);
    }

    private static ProtoWriter valueInfo(String value, String doc, Object... dims) {
        ProtoWriter shape = new ProtoWriter();
        for (Object d : dims) {
            ProtoWriter dim = d instanceof String s ? new ProtoWriter().string(DIM_PARAM, s)
                    : new ProtoWriter().int64(DIM_VALUE, ((Number) d).longValue());
            shape.message(SHAPE_DIM, dim);
        }
        ProtoWriter tensor = new ProtoWriter().int64(TENSOR_ELEM, FLOAT).message(TENSOR_SHAPE, shape);
        return new ProtoWriter().string(VALUE_NAME, value)
                .message(VALUE_TYPE, new ProtoWriter().message(TYPE_TENSOR, tensor))
                .string(VALUE_DOC, doc);
    }
}
