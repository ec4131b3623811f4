package org.pneumoscope.export;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.BuildInfo;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.export.OnnxGraph.Attr;
import org.pneumoscope.model.GroupNorm;
import org.pneumoscope.model.Arch;
import org.pneumoscope.model.ModelSpec;
import org.pneumoscope.model.XrayNet;
import org.pneumoscope.pipeline.ModelInfo;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.train.RunFolder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a trained network as an ONNX model that any ONNX runtime can run (ONNX Runtime, DJL's OnnxRuntime engine,
 * Triton, onnx2torch), with what a caller needs to feed it and read it in the file's metadata and a JSON sidecar.
 *
 * <h2>The graph</h2>
 * One input, {@value #INPUT}: float32 (batch, channels, size, size), the film after the run's input recipe (fitted,
 * grey scale mapped, scaled to 0..1, mean subtracted, divided by std, repeated over the channels): exactly what
 * {@link TrainedModel#input} makes. Two outputs: {@value #LOGITS}, the network's raw (batch, 3), and
 * {@value #PROBABILITIES}, softmax(logits / T + b) with the run's calibration: the probabilities {@code predict}
 * prints (without mirror averaging). Classes in {@link Label} order.
 *
 * <p>The network is rebuilt from its parameters' torchvision names, the layout {@link XrayNet} builds: conv-norm
 * pairs, ReLU, max-pool, residual additions, global average pooling and dense layers. BatchNorm stays a
 * BatchNormalization node (runtimes fold it into the convolution themselves); GroupNorm, which opset 17 lacks, is a
 * reshape to (N, groups, rest), InstanceNormalization, a reshape back and the per-channel scale and shift; an
 * instance-batch norm is two slices of the channels, InstanceNormalization and BatchNormalization, and a concat. Dropout
 * is left out (inference). Every parameter must be used, so a layer added to XrayNet later cannot be silently
 * dropped from the export.
 *
 * <h2>Metadata</h2>
 * The sidecar ({@code OUT.json}) holds {@link #describe}'s object; the ONNX file's {@code metadata_props} hold its
 * entries, each value as JSON text ({@code input}: the recipe, {@code calibration}, {@code classes}, {@code model},
 * {@code provenance}, ...), so either is enough on its own.
 */
public final class OnnxExport {
    public static final String INPUT = "input", LOGITS = "logits", PROBABILITIES = "probabilities";
    public static final String FORMAT = "pneumoscope-onnx/1";

    private OnnxExport() {}

    /** What was written. */
    public record Result(Path onnx, Path sidecar, long weights, long bytes, String sha256) {}

    /** The sidecar of an export at {@code onnx}: the same name with {@code .json} added. */
    public static Path sidecarOf(Path onnx) {
        return onnx.resolveSibling(onnx.getFileName() + ".json");
    }

    /**
     * Writes {@code out} and its sidecar, each atomically (a reader never sees half a file); the sidecar is written
     * second and names the ONNX file's SHA-256, so a pair that does not belong together is recognisable.
     */
    public static Result write(TrainedModel model, Path out) throws IOException {
        OnnxGraph g = graph(model.net(), model.recipe(), model.calibration());
        Map<String, Object> description = describe(model, out.getFileName().toString());
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : description.entrySet())
            metadata.put(e.getKey(), RunFolder.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(e.getValue()));
        MessageDigest sha = sha256();
        AtomicFiles.write(out, os -> {
            DigestOutputStream d = new DigestOutputStream(os, sha);
            g.writeModel(d, "pneumoscope", BuildInfo.version(), "Pneumoscope chest X-ray classifier "
                    + ModelInfo.name(model.config()) + ": bacterial pneumonia, viral pneumonia, normal. Research use only.", metadata);
            d.flush();
        });
        String hex = HexFormat.of().formatHex(sha.digest());
        Map<String, Object> sidecar = new LinkedHashMap<>(description);
        sidecar.put("onnx_sha256", hex);
        Path side = sidecarOf(out);
        AtomicFiles.writeString(side, RunFolder.JSON.writeValueAsString(sidecar));
        return new Result(out, side, g.weightCount(), Files.size(out), hex);
    }

    /** The export's description: the sidecar's contents (without the file's hash) and the ONNX metadata entries. */
    public static Map<String, Object> describe(TrainedModel model, String fileName) {
        InputRecipe r = model.recipe();
        Calibration cal = model.calibration();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("format", FORMAT);
        d.put("file", fileName);
        d.put("classes", List.of(Label.ids()));
        d.put("class_names", ModelInfo.DISPLAY);
        Map<String, Object> io = new LinkedHashMap<>();
        io.put(INPUT, Map.of("shape", List.of("batch", r.channels(), r.size(), r.size()), "type", "float32",
                "is", "the film after the input recipe: fitted to size, grey scale mapped, /255, -mean, /std, repeated over channels"));
        io.put(LOGITS, Map.of("shape", List.of("batch", Label.COUNT), "type", "float32", "is", "raw network outputs"));
        io.put(PROBABILITIES, Map.of("shape", List.of("batch", Label.COUNT), "type", "float32",
                "is", "softmax(logits / temperature + class_bias): the calibrated probabilities predict reports"));
        d.put("graph", io);
        d.put("input", r.toMap());
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("method", cal.method().id());
        c.put("temperature", cal.temperature());
        c.put("class_bias", cal.bias() == null ? new double[Label.COUNT] : cal.bias());
        d.put("calibration", c);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", ModelInfo.name(model.config()));
        m.put("spec", model.net().spec().encode());
        Path dir = model.run().dir().toAbsolutePath().normalize();
        m.put("run", dir.getFileName() == null ? dir.toString() : dir.getFileName().toString());
        m.put("profile", model.profile());
        m.put("parameters", model.net().parameterCount());
        d.put("model", m);
        d.put("provenance", model.card().get("provenance"));
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("pneumoscope_version", BuildInfo.version());
        x.put("git_commit", BuildInfo.commit());
        x.put("created", Instant.now().toString());
        x.put("onnx_ir_version", OnnxGraph.IR_VERSION);
        x.put("onnx_opset", OnnxGraph.OPSET);
        d.put("exported_by", x);
        return d;
    }

    /** The network and its calibration as an ONNX graph. */
    static OnnxGraph graph(XrayNet net, InputRecipe recipe, Calibration cal) {
        ModelSpec spec = net.spec();
        if (spec.arch() == Arch.TORCHSCRIPT)
            throw new UserException("this run's network wraps a TorchScript backbone, whose layers the ONNX export cannot "
                    + "read; export the backbone from the framework that made it");
        if (recipe.channels() != spec.channels() || recipe.size() != spec.size())
            throw new IllegalStateException("input recipe " + recipe + " does not match the network " + spec.encode());
        OnnxGraph g = new OnnxGraph("pneumoscope_" + spec.arch(), spec.encode());
        g.input(INPUT, "films after the input recipe (see the metadata entry 'input')",
                "batch", (long) spec.channels(), (long) spec.size(), (long) spec.size());
        Walk w = new Walk(g, net.namedParameters());
        String x = w.stem(INPUT);
        for (int stage = 1; w.has("layer" + stage + ".0.conv1.weight"); stage++)
            for (int b = 0; w.has("layer" + stage + "." + b + ".conv1.weight"); b++)
                x = w.residual(x, "layer" + stage + "." + b, b == 0 && stage > 1 ? 2 : 1);
        String logits = w.head(x, LOGITS);
        w.checkAllUsed();
        g.output(LOGITS, "raw network outputs, classes " + String.join(", ", Label.ids()), "batch", (long) Label.COUNT);
        calibrated(g, logits, cal);
        g.output(PROBABILITIES, "calibrated probabilities (softmax(logits / temperature + class_bias))",
                "batch", (long) Label.COUNT);
        return g;
    }

    /** softmax(logits / T + b) over the classes, as {@link Calibration#probabilities(float[])}. */
    private static void calibrated(OnnxGraph g, String logits, Calibration cal) {
        double[] b = cal.bias() == null ? new double[Label.COUNT] : cal.bias();
        float[] bias = new float[b.length];
        for (int i = 0; i < b.length; i++) bias[i] = (float) b[i];
        String t = g.floats(new long[] {1}, (float) cal.temperature());
        String scaled = g.node("Div", List.of(logits, t));
        String shifted = g.node("Add", List.of(scaled, g.floats(new long[] {bias.length}, bias)));
        g.node("Softmax", "calibrated_softmax", List.of(shifted), PROBABILITIES, Attr.i("axis", 1));
    }

    /** Turns named parameters into nodes, remembering which were used. */
    private static final class Walk {
        private final OnnxGraph g;
        private final Map<String, Parameter> params;
        private final Set<String> used = new LinkedHashSet<>();

        Walk(OnnxGraph g, Map<String, Parameter> params) {
            this.g = g;
            this.params = params;
        }

        boolean has(String name) { return params.containsKey(name); }

        /** conv 7×7/2 → norm → ReLU → max-pool 3/2. */
        String stem(String x) {
            String h = relu(norm(conv(x, "conv1", 2), "bn1"));
            return g.node("MaxPool", List.of(h), Attr.ints("kernel_shape", 3, 3), Attr.ints("strides", 2, 2),
                    Attr.ints("pads", 1, 1, 1, 1));
        }

        /**
         * relu(branch(x) + shortcut(x)); the unit's stride sits on its first 3×3 convolution (a basic block's first,
         * a bottleneck's second: torchvision's v1.5) and on the downsampling shortcut.
         */
        String residual(String x, String unit, int stride) {
            String h = x;
            boolean strided = false;
            for (int i = 1; has(unit + ".conv" + i + ".weight"); i++) {
                String c = unit + ".conv" + i;
                boolean here = !strided && kernel(c) == 3;
                strided |= here;
                h = norm(conv(h, c, here ? stride : 1), unit + ".bn" + i);
                if (has(unit + ".conv" + (i + 1) + ".weight")) h = relu(h);
            }
            String shortcut = has(unit + ".downsample.0.weight")
                    ? norm(conv(x, unit + ".downsample.0", stride), unit + ".downsample.1") : x;
            return relu(g.node("Add", List.of(h, shortcut)));
        }

        /** Global average pooling, then the linear head (one dense layer) or the seed head (three BN-dense-ReLU blocks and a dense layer). */
        String head(String x, String output) {
            String f = g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(x))), Attr.i("axis", 1));
            if (has("fc.weight")) return dense(f, "fc", output);
            for (int i = 0; has("head.bn" + i + ".weight"); i++)
                f = relu(dense(norm(f, "head.bn" + i), "head.fc" + (i + 1), null));
            return dense(f, "head.out", output);
        }

        String conv(String x, String layer, int stride) {
            long k = kernel(layer);
            List<String> in = new ArrayList<>(List.of(x, weight(layer + ".weight")));
            if (has(layer + ".bias")) in.add(weight(layer + ".bias"));
            return g.node("Conv", in, Attr.ints("kernel_shape", k, k), Attr.ints("strides", stride, stride),
                    Attr.ints("pads", k / 2, k / 2, k / 2, k / 2));
        }

        /** BatchNorm when the layer has running statistics, instance-batch norm when it has both halves, else GroupNorm. */
        String norm(String x, String layer) {
            if (has(layer + ".IN.weight")) return ibn(x, layer);
            if (has(layer + ".running_mean"))
                return g.node("BatchNormalization", List.of(x, weight(layer + ".weight"), weight(layer + ".bias"),
                        weight(layer + ".running_mean"), weight(layer + ".running_var")), Attr.f("epsilon", XrayNet.BN_EPSILON));
            long c = shape(layer + ".weight")[0];
            int groups = GroupNorm.groupsFor((int) c);
            float[] ones = new float[groups], zeros = new float[groups];
            java.util.Arrays.fill(ones, 1f);
            String grouped = g.node("Reshape", List.of(x, g.int64s(0, groups, -1)));
            String normed = g.node("InstanceNormalization", List.of(grouped, g.floats(new long[] {groups}, ones),
                    g.floats(new long[] {groups}, zeros)), Attr.f("epsilon", GroupNorm.EPS));
            String back = g.node("Reshape", List.of(normed, g.node("Shape", List.of(x))));
            long[] perChannel = {c, 1, 1};
            String scaled = g.node("Mul", List.of(back, weight(layer + ".weight", perChannel)));
            return g.node("Add", List.of(scaled, weight(layer + ".bias", perChannel)));
        }

        /** IBN-a: InstanceNormalization (its scale and shift are the IN half's own) of the first channels, BatchNorm of the rest. */
        String ibn(String x, String layer) {
            long half = shape(layer + ".IN.weight")[0], c = half + shape(layer + ".BN.weight")[0];
            String first = g.node("Slice", List.of(x, g.int64s(0), g.int64s(half), g.int64s(1)));
            String rest = g.node("Slice", List.of(x, g.int64s(half), g.int64s(c), g.int64s(1)));
            String a = g.node("InstanceNormalization", List.of(first, weight(layer + ".IN.weight"), weight(layer + ".IN.bias")),
                    Attr.f("epsilon", GroupNorm.EPS));
            return g.node("Concat", List.of(a, norm(rest, layer + ".BN")), Attr.i("axis", 1));
        }

        /** x·Wᵀ + b (DJL's Linear keeps W as (out, in)). */
        String dense(String x, String layer, String output) {
            List<String> in = List.of(x, weight(layer + ".weight"), weight(layer + ".bias"));
            Attr t = Attr.i("transB", 1);
            return output == null ? g.node("Gemm", in, t) : g.node("Gemm", layer.replace('.', '_'), in, output, t);
        }

        String relu(String x) { return g.node("Relu", List.of(x)); }

        long kernel(String layer) { return shape(layer + ".weight")[2]; }

        long[] shape(String name) { return param(name).getArray().getShape().getShape(); }

        String weight(String name) { return weight(name, shape(name)); }

        /** The parameter as an initializer of shape {@code dims} (same number of values). */
        String weight(String name, long[] dims) {
            NDArray a = param(name).getArray();
            used.add(name);
            return g.weight(name, dims, a.toFloatArray());
        }

        private Parameter param(String name) {
            Parameter p = params.get(name);
            if (p == null) throw new IllegalStateException("the network has no parameter " + name);
            return p;
        }

        void checkAllUsed() {
            List<String> left = params.keySet().stream().filter(n -> !used.contains(n)).toList();
            if (!left.isEmpty())
                throw new IllegalStateException("the ONNX export does not know where these parameters go: " + left);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
