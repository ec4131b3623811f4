package org.pneumoscope.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.XavierInitializer.FactorType;
import ai.djl.training.initializer.XavierInitializer.RandomType;
import ai.djl.training.initializer.XavierInitializer;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The classifier: a ResNet backbone written with DJL blocks (or a TorchScript backbone) followed by a head that
 * turns the last feature map into three logits (bacterial, viral, normal).
 *
 * <h2>Backbones</h2>
 * ResNet-18/34 use basic blocks ([2,2,2,2] / [3,4,6,3]); ResNet-50 uses bottlenecks [3,4,6,3] with the stride on the
 * 3×3 conv (torchvision's "v1.5"). The stem is conv 7×7/2 → BN → ReLU → max-pool 3/2. Convolutions have no bias
 * (BN follows), exactly as torchvision, so parameter counts match torchvision's {@code parameters()}.
 *
 * <h2>Zero-initialised residual branches</h2>
 * With {@link ModelSpec#zeroInitResidual()} the scale (gamma) of the last BN in every residual branch starts at 0,
 * so each block starts as the identity and the untrained network behaves like a much shallower one: gradients reach
 * the stem undamped and the first epochs from scratch are more stable (Goyal et al. 2017, "Accurate, Large
 * Minibatch SGD"; He et al. 2019, "Bag of Tricks"). It only matters when training from scratch — pretrained weights
 * overwrite it.
 *
 * <h2>Layer names</h2>
 * torchvision's: {@code stem} (conv1/bn1/maxpool), {@code layer1}…{@code layer4} (a stage; its output is that of its
 * last block), {@code layer3.2} (one block), {@code head}. A TorchScript net has {@code backbone} and {@code head}.
 */
public final class XrayNet implements AutoCloseable {
    /** Output classes: bacterial pneumonia, viral pneumonia, normal. */
    public static final int CLASSES = Label.COUNT;
    /** Keras-style L2 factor of the seed head: the penalty is {@code L2_FACTOR * sum(w²)} (no ½). */
    public static final float L2_FACTOR = 1e-3f;
    /** Name that unfreezes everything in {@link #freezeThrough(String)}. */
    public static final String NONE = "none";
    /** Added to every BatchNorm's running variance (PyTorch's default). */
    public static final float BN_EPSILON = 1e-5f;

    private static final String MAGIC = "PNEUMOSCOPE-NET";
    private static final int FORMAT = 1;
    private static final int[] PLANES = {64, 128, 256, 512};
    private static final Set<Parameter.Type> RUNNING =
            Set.of(Parameter.Type.RUNNING_MEAN, Parameter.Type.RUNNING_VAR);

    private final ModelSpec spec;
    private final int numClasses;
    private final NDManager manager;
    private final NetBlock net;
    private final List<String> layerNames = new ArrayList<>();
    private final Map<String, Integer> lastUnit = new LinkedHashMap<>();
    /** torchvision-style names of the parameters of our own DJL blocks (not of a TorchScript unit). */
    private final Map<String, Parameter> ownNames = new LinkedHashMap<>();
    private final List<Parameter> l2 = new ArrayList<>();
    private String frozenThrough = NONE;

    private XrayNet(ModelSpec spec, int numClasses, NDManager manager) {
        this.spec = spec;
        this.numClasses = numClasses;
        this.manager = manager;
        this.net = new NetBlock();
    }

    // ------------------------------------------------------------------ building

    /** Builds and initialises the network for three classes. */
    public static XrayNet build(ModelSpec spec) {
        return build(spec, CLASSES);
    }

    /** Builds and initialises the network with any number of outputs (1000 reproduces torchvision's counts). */
    public static XrayNet build(ModelSpec spec, int numClasses) {
        if (spec.arch() == Arch.TORCHSCRIPT)
            throw new IllegalArgumentException("a TorchScript backbone needs its file: use XrayNet.fromTorchScript");
        if (numClasses < 2) throw new IllegalArgumentException("need at least 2 classes, got " + numClasses);
        NDManager manager = NDManager.newBaseManager();
        try {
            XrayNet x = new XrayNet(spec, numClasses, manager);
            x.addResNet();
            x.addHead();
            x.net.initialize(manager, DataType.FLOAT32, new Shape(1, spec.channels(), spec.size(), spec.size()));
            return x;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Wraps a TorchScript module that maps (N,C,H,W) images to a (N,K,h,w) feature map, and puts our head after it.
     * The module's parameters stay trainable (loaded with {@code trainParam=true}); freeze them with
     * {@code freezeThrough("backbone")}. Script rather than trace the module if it has BatchNorm: a traced module
     * keeps the train/eval mode it was traced in.
     */
    public static XrayNet fromTorchScript(Path file, ModelSpec spec) {
        if (!Files.isRegularFile(file))
            throw new UserException("TorchScript backbone " + file + " does not exist or is not a file");
        ModelSpec s = new ModelSpec(Arch.TORCHSCRIPT, spec.channels(), spec.size(), spec.head(), 1.0, false);
        NDManager manager = NDManager.newBaseManager();
        try {
            PtSymbolBlock backbone;
            try {
                backbone = JniUtils.loadModule((PtNDManager) manager, file.toAbsolutePath(), false,
                        new String[0], new String[0], true);
            } catch (RuntimeException e) {
                throw new UserException("cannot load TorchScript backbone " + file + ": " + firstLine(e));
            }
            backbone.getParameters().values().forEach(p -> p.freeze(false));
            Shape in = new Shape(1, s.channels(), s.size(), s.size());
            Shape out;
            try {
                out = backbone.getOutputShapes(new Shape[] {in})[0];
            } catch (RuntimeException e) {
                throw new UserException("TorchScript backbone " + file + " failed on a " + in + " input: " + firstLine(e));
            }
            if (out.dimension() != 4 || out.get(2) < 1 || out.get(3) < 1)
                throw new UserException("TorchScript backbone " + file + " outputs " + out
                        + " for a " + in + " input; expected a (N,C,h,w) feature map");
            XrayNet x = new XrayNet(s, CLASSES, manager);
            x.addUnit("backbone", backbone);
            x.layerNames.add("backbone");
            x.lastUnit.put("backbone", 0);
            x.addHead(); // its input width (out.get(1)) is inferred at initialisation
            x.net.initialize(manager, DataType.FLOAT32, in);
            return x;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Adds the stem and the four stages. */
    private void addResNet() {
        boolean bottleneck = spec.arch() == Arch.RESNET50;
        int[] depth = spec.arch() == Arch.RESNET18 ? new int[] {2, 2, 2, 2} : new int[] {3, 4, 6, 3};
        int expansion = bottleneck ? 4 : 1;

        int stemOut = spec.scaled(64);
        Block conv1 = conv(stemOut, 7, 2, 3);
        Block bn1 = norm();
        SequentialBlock stem = new ChainBlock()
                .add(conv1).add(bn1).add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
        register("conv1", conv1);
        register("bn1", bn1);
        addUnit("stem", stem);
        layerNames.add("stem");
        lastUnit.put("stem", 0);

        int in = stemOut;
        for (int s = 0; s < 4; s++) {
            String stage = "layer" + (s + 1);
            layerNames.add(stage);
            int planes = spec.scaled(PLANES[s]);
            for (int b = 0; b < depth[s]; b++) {
                int stride = (b == 0 && s > 0) ? 2 : 1;
                String name = stage + "." + b;
                ResidualUnit u = new ResidualUnit();
                // IBN-a: the unit's first normalisation, in the first three stages (layer4's features stay batch-normalised)
                Block first = spec.norm() == Norm.IBN && s < 3 ? new IbnNorm(bn()) : norm();
                if (bottleneck) {
                    u.addPair(conv(planes, 1, 1, 0), first);
                    u.addPair(conv(planes, 3, stride, 1), norm());       // v1.5: stride on the 3×3
                    u.addPair(conv(planes * expansion, 1, 1, 0), norm());
                } else {
                    u.addPair(conv(planes, 3, stride, 1), first);
                    u.addPair(conv(planes, 3, 1, 1), norm());
                }
                if (stride != 1 || in != planes * expansion)
                    u.setDownsample(conv(planes * expansion, 1, stride, 0), norm());
                if (spec.zeroInitResidual()) u.lastNorm().setInitializer(Initializer.ZEROS, Parameter.Type.GAMMA);
                u.getChildren().forEach(c -> register(name + "." + c.getKey().substring(2), c.getValue()));
                addUnit(name, u);
                layerNames.add(name);
                lastUnit.put(name, net.unitCount() - 1);
                in = planes * expansion;
            }
            lastUnit.put(stage, net.unitCount() - 1);
        }
    }

    private void addHead() {
        SequentialBlock head = new ChainBlock();
        head.addSingleton(XrayNet::pool, "gap");
        if (spec.head() == Head.LINEAR) {
            Block fc = dense(numClasses);
            head.add(fc);
            register("fc", fc);
        } else {
            // the seed study's best head: three BN → Dense → ReLU → Dropout(0.5) blocks, then Dense(3)
            int[] units = {128, 64, 64};
            for (int i = 0; i < units.length; i++) {
                Block norm = bn();
                Block fc = dense(units[i]);
                head.add(norm).add(fc).add(Activation.reluBlock()).add(Dropout.builder().optRate(0.5f).build());
                register("head.bn" + i, norm);
                register("head.fc" + (i + 1), fc);
                l2.add(fc.getParameters().get("weight"));
            }
            Block out = dense(numClasses);
            head.add(out);
            register("head.out", out);
        }
        addUnit("head", head);
        layerNames.add("head");
        lastUnit.put("head", net.unitCount() - 1);
    }

    private void addUnit(String name, Block b) { net.addUnit(name, b); }

    private static Block conv(int filters, int kernel, int stride, int pad) {
        Block c = Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride)).optPadding(new Shape(pad, pad)).optBias(false).build();
        // He-normal with fan-out, as torchvision initialises ResNet convolutions
        c.setInitializer(new XavierInitializer(RandomType.GAUSSIAN, FactorType.OUT, 2), Parameter.Type.WEIGHT);
        return c;
    }

    /** The backbone's normalisation layer as the spec asks for. */
    private Block norm() {
        return spec.norm() == Norm.GROUP ? new GroupNorm() : bn();
    }

    private static Block bn() {
        // momentum 0.9 here is PyTorch's 0.1: running = 0.9·running + 0.1·batch
        return new BatchNorm2d(BN_EPSILON, 0.9f);
    }

    private static Block dense(int units) {
        Block d = Linear.builder().setUnits(units).optBias(true).build();
        // Glorot-uniform, the Keras Dense default the seed head was trained with
        d.setInitializer(new XavierInitializer(RandomType.UNIFORM, FactorType.AVG, 3), Parameter.Type.WEIGHT);
        return d;
    }

    /** Records torchvision-style names for one conv / BN / dense block. */
    private void register(String prefix, Block b) {
        if (b instanceof IbnNorm) { // its two halves, named as IBN-Net names them
            for (var c : b.getChildren()) register(prefix + "." + c.getKey().substring(2), c.getValue());
            return;
        }
        for (var e : b.getDirectParameters()) {
            Parameter p = e.getValue();
            String suffix = switch (p.getType()) {
                case WEIGHT, GAMMA -> "weight";
                case BIAS, BETA -> "bias";
                case RUNNING_MEAN -> "running_mean";
                case RUNNING_VAR -> "running_var";
                default -> e.getKey();
            };
            ownNames.put(prefix + "." + suffix, p);
        }
    }

    // ------------------------------------------------------------------ facts

    public ModelSpec spec() { return spec; }

    public int numClasses() { return numClasses; }

    /** The whole network: (N,C,H,W) float32 in, (N,classes) logits out. */
    public Block block() { return net; }

    /** The manager that owns the parameters; closed by {@link #close()}. */
    public NDManager manager() { return manager; }

    /** stem, layer1, layer1.0, layer1.1, …, layer4, layer4.0, …, head (torchvision's named_modules order). */
    public List<String> layerNames() { return Collections.unmodifiableList(layerNames); }

    /** Layers whose output is a spatial feature map, i.e. every layer but the head. */
    public List<String> camLayers() { return layerNames.subList(0, layerNames.size() - 1); }

    /** The stages from the input on: stem, layer1…layer4 (a TorchScript backbone is one stage). */
    public List<String> stages() { return camLayers().stream().filter(l -> !l.contains(".")).toList(); }

    /**
     * The stage a parameter belongs to, by its name ({@link #namedParameters}): {@code conv1} and {@code bn1} are the
     * stem's, {@code layer3.1.bn2.running_var} layer3's, {@code fc} and {@code head.*} the head's.
     */
    public static String stageOf(String parameterName) {
        int dot = parameterName.indexOf('.');
        String first = dot < 0 ? parameterName : parameterName.substring(0, dot);
        return first.equals("conv1") || first.equals("bn1") ? "stem" : first.equals("fc") ? "head" : first;
    }

    /** The layer Grad-CAM uses by default: the last feature map (layer4, or the TorchScript backbone). */
    public String lastFeatureLayer() { return layerNames.contains("layer4") ? "layer4" : layerNames.get(0); }

    /**
     * The input-pixel step between neighbouring cells of a layer's feature map, for our own ResNets (stem and
     * layer1 4, layer2 8, layer3 16, layer4 32, blocks as their stage), or 0 when unknown (a TorchScript backbone).
     * Every stride-2 step of a ResNet is an odd kernel with padding k/2 (conv 7/2 pad 3, max-pool 3/2 pad 1, conv 3/2
     * pad 1, 1×1/2 shortcut), so cell j of such a map is centred on input pixel {@code j·stride}, not on the middle
     * of the j-th stride-wide tile: Grad-CAM must be laid on the image accordingly.
     */
    public int cellStride(String layer) {
        if (spec.arch() == Arch.TORCHSCRIPT || !camLayers().contains(layer)) return 0;
        if (layer.equals("stem") || layer.startsWith("layer1")) return 4;
        return 4 << (layer.charAt(5) - '1');
    }

    /**
     * Every parameter under a torchvision-style name ({@code conv1.weight}, {@code layer3.2.bn1.running_mean},
     * {@code fc.bias}, {@code head.fc1.weight}; a TorchScript backbone's as {@code backbone.<its name>}), BN running
     * statistics included.
     */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> all = new LinkedHashMap<>();
        for (int i = 0; i < net.unitCount(); i++) {
            if (net.unit(i) instanceof PtSymbolBlock ts) {
                for (var e : ts.getParameters()) all.put(net.unitNames().get(i) + "." + e.getKey(), e.getValue());
            }
        }
        all.putAll(ownNames);
        return all;
    }

    /** Learnable values, BN scale/shift included and BN running statistics excluded (torchvision's parameters()). */
    public long parameterCount() {
        return count(false);
    }

    /** Like {@link #parameterCount()} but only what the optimiser will update. */
    public long trainableParameterCount() {
        return count(true);
    }

    private long count(boolean trainableOnly) {
        long n = 0;
        for (Parameter p : net.getParameters().values()) {
            if (RUNNING.contains(p.getType())) continue;
            if (trainableOnly && !p.requiresGradient()) continue;
            n += p.getArray().size();
        }
        return n;
    }

    /**
     * The weights the seed study regularised: the kernels of the three hidden Dense layers of the seed head
     * (Keras {@code kernel_regularizer=l2(1e-3)}; biases and the final Dense(3) were not). Empty for the linear head.
     */
    public List<Parameter> l2Parameters() { return Collections.unmodifiableList(l2); }

    /** {@link #L2_FACTOR}·Σw² over {@link #l2Parameters()}, to add to the loss inside the gradient collector; null if none. */
    public NDArray l2Penalty() {
        NDArray sum = null;
        for (Parameter p : l2) {
            NDArray sq = p.getArray().square().sum();
            sum = sum == null ? sq : sum.add(sq);
        }
        return sum == null ? null : sum.mul(L2_FACTOR);
    }

    // ------------------------------------------------------------------ freezing

    /**
     * Stops training every layer up to and including {@code name} (e.g. {@code layer3} = stem…layer3, the seed's
     * Keras {@code layers[:144]}); later layers train. {@code none} unfreezes everything. Frozen layers also keep
     * their BatchNorm in inference mode (see {@link NetBlock}). Call before creating the trainer.
     */
    public void freezeThrough(String name) {
        int through = name != null && name.equals(NONE) ? -1 : unitIndex(name);
        for (int i = 0; i < net.unitCount(); i++) {
            boolean freeze = i <= through;
            for (Parameter p : net.unit(i).getParameters().values()) {
                if (!RUNNING.contains(p.getType())) p.freeze(freeze);
            }
        }
        net.setFrozenThrough(through);
        frozenThrough = through < 0 ? NONE : name;
    }

    /** The name last given to {@link #freezeThrough(String)}, or {@code none}. */
    public String frozenThrough() { return frozenThrough; }

    private int unitIndex(String layer) {
        Integer i = layer == null ? null : lastUnit.get(layer);
        if (i == null)
            throw new IllegalArgumentException("unknown layer '" + layer + "'; valid layers: " + String.join(", ", layerNames));
        return i;
    }

    // ------------------------------------------------------------------ style mixing

    /**
     * Mixes the films' feature statistics after each of {@code stages} in training passes ({@link StyleMixing});
     * {@code null} turns it off. {@link #recalibrateBatchNorm} sets it aside while it runs: re-estimated statistics
     * are the films' own.
     */
    public void mixStylesAfter(StyleMixing mixing, List<String> stages) {
        boolean[] after = new boolean[net.unitCount()];
        if (mixing != null) for (String s : stages) after[unitIndex(s)] = true;
        net.setStyleMixing(mixing, after);
    }

    // ------------------------------------------------------------------ partial forward (Grad-CAM)

    /** Runs the network from the input up to and including {@code layer}; returns that layer's activations. */
    public NDList forwardTo(ParameterStore ps, NDArray x, String layer, boolean training) {
        return net.run(ps, new NDList(x), 0, unitIndex(layer) + 1, training, null);
    }

    /** Runs the rest of the network on {@code layer}'s activations; returns the logits. */
    public NDArray forwardFrom(ParameterStore ps, NDArray activation, String layer, boolean training) {
        return net.run(ps, new NDList(activation), unitIndex(layer) + 1, net.unitCount(), training, null).singletonOrThrow();
    }

    /**
     * Logits and pooled features of a batch in inference mode, from one forward pass: the features are the global
     * average of the last feature map, i.e. the (N,C) vector the head reads. The logits are those of
     * {@link #block()}'s forward: the same units run in the same order, only the feature map is kept.
     */
    public NDList logitsAndFeatures(ParameterStore ps, NDArray x) {
        int head = net.unitCount() - 1;
        NDList map = net.run(ps, new NDList(x), 0, head, false, null);
        NDArray features = pool(map.singletonOrThrow());
        NDArray logits = net.run(ps, map, head, head + 1, false, null).singletonOrThrow();
        return new NDList(logits, features);
    }

    /** Global average pooling, (N,C,h,w) → (N,C); reshaped so that one mean over one axis suffices. */
    public static NDArray pool(NDArray x) {
        return x.reshape(x.getShape().get(0), x.getShape().get(1), -1).mean(new int[] {2});
    }

    /** Logits for a batch in inference mode. */
    public NDArray predict(NDArray x) {
        return net.forward(new ParameterStore(x.getManager(), false), new NDList(x), false).singletonOrThrow();
    }

    // ------------------------------------------------------------------ BatchNorm statistics

    /**
     * Re-estimates every BatchNorm's running mean and variance as the plain average of the batch statistics over
     * {@code batches} (images as the net takes them), leaving all learnable weights alone. Needed when imported
     * weights came without running statistics, and useful after moving pretrained weights to X-rays (AdaBN, Li et
     * al. 2016). Frozen layers are included. Returns the number of batches used.
     */
    public int recalibrateBatchNorm(Iterable<NDArray> batches) {
        List<Parameter> stats = new ArrayList<>();
        for (Parameter p : net.getParameters().values()) if (RUNNING.contains(p.getType())) stats.add(p);
        int saved = net.frozenThrough();
        StyleMixing mixing = net.styleMixing();
        boolean[] mixAfter = net.mixAfter();
        net.setFrozenThrough(-1);
        net.setStyleMixing(null, mixAfter); // the statistics are the films' own, never mixed ones
        int n = 0;
        try (NDManager sums = manager.newSubManager()) {
            NDArray[] sum = new NDArray[stats.size()];
            ParameterStore ps = new ParameterStore(manager, false);
            for (NDArray x : batches) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray[] before = new NDArray[stats.size()];
                    for (int i = 0; i < before.length; i++) {
                        before[i] = stats.get(i).getArray().duplicate();
                        before[i].attach(step);
                    }
                    net.forward(ps, new NDList(x), true).attach(step);
                    // a BN step stores 0.9·old + 0.1·batch, so the batch statistic is (new − 0.9·old) / 0.1
                    for (int i = 0; i < before.length; i++) {
                        NDArray b = before[i].mul(-0.9f).addi(stats.get(i).getArray()).divi(0.1f);
                        if (sum[i] == null) {
                            sum[i] = b;
                            b.attach(sums);
                        } else {
                            sum[i].addi(b);
                        }
                    }
                }
                n++;
            }
            if (n > 0) for (int i = 0; i < sum.length; i++) sum[i].divi(n).copyTo(stats.get(i).getArray());
        } finally {
            net.setFrozenThrough(saved);
            net.setStyleMixing(mixing, mixAfter);
        }
        if (n == 0) throw new IllegalArgumentException("no batches to estimate BatchNorm statistics from");
        return n;
    }

    // ------------------------------------------------------------------ saving

    /**
     * Writes every parameter (BN running statistics included) after a one-line description of the model, via a
     * temporary file in the same folder and an atomic rename, so a crash never leaves a half-written file.
     */
    public void save(Path file) throws IOException {
        org.pneumoscope.core.AtomicFiles.write(file, os -> {
            DataOutputStream dos = new DataOutputStream(os);
            dos.writeUTF(MAGIC);
            dos.writeInt(FORMAT);
            dos.writeUTF(spec.encode());
            dos.writeInt(numClasses);
            net.saveParameters(dos);
            dos.flush();
        });
    }

    /**
     * Reads parameters written by {@link #save(Path)} for the same architecture, head, width, input channels and
     * class count (input size may differ). Call before creating a trainer: a trainer caches parameter arrays.
     */
    public void load(Path file) throws IOException {
        try (DataInputStream in = openCheckpoint(file)) {
            Header h = Header.read(in, file);
            if (!h.compatibleWith(spec, numClasses))
                throw new UserException(file + " holds a " + h.describe() + " model; this one is " + describe(spec, numClasses)
                        + " (use it as --weights to copy the matching backbone layers instead)");
            readParameters(in);
        } catch (MalformedModelException | EOFException e) {
            throw new UserException(file + " is damaged or not a Pneumoscope model file: " + firstLine(e));
        }
    }

    /**
     * Reads parameters in DJL's stream format (as {@code block().saveParameters} wrote them, e.g. inside a
     * training checkpoint), keeping the freezing and freeing the replaced arrays.
     */
    public void readParameters(DataInputStream in) throws IOException, MalformedModelException {
        Map<Parameter, NDArray> before = new IdentityHashMap<>();
        for (Parameter p : net.getParameters().values()) before.put(p, p.getArray());
        net.loadParameters(manager, in);
        Set<NDArray> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Parameter p : net.getParameters().values()) kept.add(p.getArray());
        // DJL's Parameter.load replaces the array without the requires-grad flag or freeing the old one
        freezeThrough(frozenThrough);
        for (NDArray old : before.values()) if (!kept.contains(old)) old.close();
    }

    /** Builds the network a {@link #save(Path)} file describes and loads its parameters. */
    public static XrayNet open(Path file) throws IOException {
        Header h;
        try (DataInputStream in = openCheckpoint(file)) {
            h = Header.read(in, file);
        }
        if (h.spec.arch() != Arch.TORCHSCRIPT) {
            XrayNet x = build(h.spec, h.numClasses);
            try {
                x.load(file);
                return x;
            } catch (IOException | RuntimeException e) {
                x.close();
                throw e;
            }
        }
        NDManager manager = NDManager.newBaseManager();
        try (DataInputStream in = openCheckpoint(file)) {
            Header.read(in, file);
            XrayNet x = new XrayNet(h.spec, h.numClasses, manager);
            x.net.addPendingTorchScript("backbone", manager);
            x.layerNames.add("backbone");
            x.lastUnit.put("backbone", 0);
            x.addHead();
            x.net.loadParameters(manager, in);
            x.freezeThrough(NONE);
            return x;
        } catch (MalformedModelException | EOFException e) {
            manager.close();
            throw new UserException(file + " is damaged or not a Pneumoscope model file: " + firstLine(e));
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The model description stored at the start of a {@link #save(Path)} file. */
    public static ModelSpec readSpec(Path file) throws IOException {
        try (DataInputStream in = openCheckpoint(file)) {
            return Header.read(in, file).spec;
        }
    }

    static DataInputStream openCheckpoint(Path file) throws IOException {
        try {
            return new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
        } catch (NoSuchFileException e) {
            throw new UserException("model file " + file + " does not exist");
        }
    }

    static boolean isCheckpoint(Path file) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            return MAGIC.equals(in.readUTF());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    record Header(ModelSpec spec, int numClasses) {
        static Header read(DataInputStream in, Path file) throws IOException {
            String magic;
            try {
                magic = in.readUTF();
            } catch (IOException | RuntimeException e) {
                magic = null;
            }
            if (!MAGIC.equals(magic)) throw new UserException(file + " is not a Pneumoscope model file");
            int format = in.readInt();
            if (format != FORMAT)
                throw new UserException(file + " uses model file format " + format + "; this version reads format " + FORMAT);
            ModelSpec spec;
            try {
                spec = ModelSpec.decode(in.readUTF());
            } catch (IllegalArgumentException e) {
                throw new UserException(file + ": " + e.getMessage());
            }
            return new Header(spec, in.readInt());
        }

        boolean compatibleWith(ModelSpec s, int classes) {
            return spec.arch() == s.arch() && spec.channels() == s.channels() && spec.head() == s.head()
                    && spec.width() == s.width() && numClasses == classes;
        }

        String describe() { return XrayNet.describe(spec, numClasses); }
    }

    static String describe(ModelSpec s, int classes) {
        return s.arch() + (s.width() != 1.0 ? " width " + s.width() : "") + " " + s.channels() + "-channel, "
                + s.head() + " head, " + classes + " classes";
    }

    static String firstLine(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return describe(spec, numClasses) + ", " + parameterCount() + " parameters (" + trainableParameterCount() + " trainable)";
    }
}
