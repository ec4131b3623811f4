package org.pneumoscope.model;

import ai.djl.Application;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.util.ProgressBar;
import org.pneumoscope.core.DjlSetup;
import org.pneumoscope.core.UserException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where a network's starting weights come from ({@code --weights}):
 * <ul>
 *   <li>{@code none} — random initialisation;</li>
 *   <li>a Pneumoscope model file ({@link XrayNet#save}) — its backbone is copied by name into the new network; the
 *       head is copied too when its shapes match, otherwise it starts fresh;</li>
 *   <li>a TorchScript file — either a torchvision ResNet (parameter names {@code conv1.weight}, {@code layer1.0…},
 *       {@code fc.weight}; as written by {@code scripts/export_torchvision_resnet.py}) whose weights are imported into
 *       our own ResNet, or any other backbone mapping images to a feature map, which is wrapped as a fine-tunable
 *       block with our head after it;</li>
 *   <li>{@code imagenet} — torchvision's ImageNet ResNet-18/50 through DJL's PyTorch model zoo. Hospitals run
 *       offline, so this needs {@code --allow-download}; the usual route is a local file instead.</li>
 * </ul>
 */
public final class PretrainedWeights {

    public enum Kind { NONE, CHECKPOINT, TORCHSCRIPT, IMAGENET }

    /** A network with its starting weights and what happened on the way. */
    public record Result(XrayNet net, List<String> notes, boolean needsBatchNormRecalibration) {}

    private final Kind kind;
    private final Path file;

    private PretrainedWeights(Kind kind, Path file) {
        this.kind = kind;
        this.file = file;
    }

    public static PretrainedWeights none() { return new PretrainedWeights(Kind.NONE, null); }

    public Kind kind() { return kind; }

    public Optional<Path> file() { return Optional.ofNullable(file); }

    /**
     * Interprets a {@code --weights} value: null, empty or {@code none}; {@code imagenet}; or a file path.
     *
     * @throws UserException when ImageNet weights are asked for without permission to download, or the file is
     *                       missing or of an unknown kind
     */
    public static PretrainedWeights resolve(String arg, boolean allowDownload) {
        if (arg == null || arg.isBlank() || arg.trim().equalsIgnoreCase("none")) return none();
        String a = arg.trim();
        if (a.toLowerCase(Locale.ROOT).equals("imagenet")) {
            if (!allowDownload)
                throw new UserException("ImageNet weights must be downloaded: add --allow-download, or pass a local file "
                        + "with --weights FILE (e.g. made offline by scripts/export_torchvision_resnet.py)");
            return new PretrainedWeights(Kind.IMAGENET, null);
        }
        Path f = Path.of(a);
        if (!Files.isRegularFile(f))
            throw new UserException("weights file " + f + " does not exist (use --weights none, imagenet, or a file)");
        if (XrayNet.isCheckpoint(f)) return new PretrainedWeights(Kind.CHECKPOINT, f);
        if (isZip(f)) return new PretrainedWeights(Kind.TORCHSCRIPT, f); // TorchScript archives are zip files
        throw new UserException("weights file " + f + " is neither a Pneumoscope model file nor a TorchScript module");
    }

    /** Builds the network described by {@code spec} and gives it these weights. */
    public Result createNet(ModelSpec spec) throws IOException {
        return switch (kind) {
            case NONE -> new Result(XrayNet.build(spec), List.of("random initialisation"), false);
            case CHECKPOINT -> fromCheckpoint(spec);
            case TORCHSCRIPT -> fromTorchScript(spec);
            case IMAGENET -> fromImageNet(spec);
        };
    }

    // ------------------------------------------------------------------ Pneumoscope model files

    private Result fromCheckpoint(ModelSpec spec) throws IOException {
        ModelSpec src = XrayNet.readSpec(file);
        if (src.arch() == Arch.TORCHSCRIPT) {
            if (src.head() != spec.head() || src.channels() != spec.channels())
                throw new UserException(file + " holds a TorchScript-backbone model with a " + src.head() + " head and "
                        + src.channels() + " input channels; asked for a " + spec.head() + " head and " + spec.channels());
            return new Result(XrayNet.open(file), List.of("loaded TorchScript-backbone model " + file), false);
        }
        if (src.arch() != spec.arch() || src.width() != spec.width())
            throw new UserException(file + " holds a " + src.arch() + " (width " + src.width() + ") backbone; this model is "
                    + spec.arch() + " (width " + spec.width() + ")");
        XrayNet target = XrayNet.build(spec);
        try (XrayNet source = XrayNet.open(file)) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            source.namedParameters().forEach((k, p) -> arrays.put(k, p.getArray()));
            List<String> notes = new ArrayList<>();
            notes.add("backbone from " + file);
            copyInto(target, arrays, file.toString(), notes);
            return new Result(target, notes, false);
        } catch (IOException | RuntimeException e) {
            target.close();
            throw e;
        }
    }

    // ------------------------------------------------------------------ TorchScript

    private Result fromTorchScript(ModelSpec spec) throws IOException {
        boolean torchvision;
        try (NDManager m = NDManager.newBaseManager()) {
            PtSymbolBlock b = loadModule(m, file);
            torchvision = looksLikeTorchvisionResNet(b.getParameters().keys());
            if (torchvision) return importTorchvision(spec, b, file.toString());
        }
        return new Result(XrayNet.fromTorchScript(file, spec),
                List.of("TorchScript backbone " + file + " (fine-tunable), " + spec.head() + " head after it"), false);
    }

    private static PtSymbolBlock loadModule(NDManager m, Path f) {
        try {
            return JniUtils.loadModule((PtNDManager) m, f.toAbsolutePath(), false, new String[0], new String[0], false);
        } catch (RuntimeException e) {
            throw new UserException("cannot load TorchScript file " + f + ": " + XrayNet.firstLine(e));
        }
    }

    /** A TorchScript file's parameters by name, as arrays owned by {@code manager}. */
    public static Map<String, NDArray> torchScriptParameters(NDManager manager, Path file) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        loadModule(manager, file).getParameters().forEach(p -> arrays.put(p.getKey(), p.getValue().getArray()));
        return arrays;
    }

    static boolean looksLikeTorchvisionResNet(List<String> names) {
        return names.contains("conv1.weight") && names.contains("layer1.0.conv1.weight") && names.contains("fc.weight");
    }

    private static Result importTorchvision(ModelSpec spec, PtSymbolBlock module, String source) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        module.getParameters().forEach(p -> arrays.put(p.getKey(), p.getValue().getArray()));
        return fromTorchvisionArrays(spec, arrays, source);
    }

    /**
     * A network of {@code spec} with torchvision-named {@code arrays} copied in ({@link #copyInto}); flagged for BatchNorm
     * recalibration when the arrays hold no running statistics, as a TorchScript file's parameters never do unless its
     * exporter made them parameters.
     */
    public static Result fromTorchvisionArrays(ModelSpec spec, Map<String, NDArray> arrays, String source) {
        XrayNet target = XrayNet.build(spec);
        try {
            List<String> notes = new ArrayList<>();
            notes.add("torchvision " + spec.arch() + " weights from " + source);
            boolean stats = copyInto(target, arrays, source, notes);
            if (!stats)
                notes.add("the file has no BatchNorm running statistics (TorchScript lists parameters, not buffers): "
                        + "training re-estimates them on the training films before its first step");
            return new Result(target, notes, !stats);
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
    }

    // ------------------------------------------------------------------ ImageNet through DJL's model zoo

    private Result fromImageNet(ModelSpec spec) throws IOException {
        if (!(spec.arch() == Arch.RESNET18 || spec.arch() == Arch.RESNET50) || spec.width() != 1.0)
            throw new UserException("ImageNet weights exist for resnet18 and resnet50 at width 1.0 only; asked for "
                    + spec.arch() + " width " + spec.width());
        DjlSetup.allowDownload();
        String layers = spec.arch().id().substring("resnet".length());
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optApplication(Application.CV.IMAGE_CLASSIFICATION)
                .optGroupId("ai.djl.pytorch").optArtifactId("resnet")
                .optFilter("layers", layers).optFilter("dataset", "imagenet")
                .optEngine("PyTorch")
                .optProgress(new ProgressBar())
                .build();
        try (ZooModel<NDList, NDList> zoo = criteria.loadModel()) {
            if (!(zoo.getBlock() instanceof PtSymbolBlock b) || !looksLikeTorchvisionResNet(b.getParameters().keys()))
                throw new UserException("the model zoo's ImageNet " + spec.arch() + " does not have torchvision's layer names");
            return importTorchvision(spec, b, "DJL model zoo ai.djl.pytorch/resnet (ImageNet, " + spec.arch() + ")");
        } catch (ModelNotFoundException | MalformedModelException e) {
            throw new UserException("could not get ImageNet " + spec.arch() + " weights: " + XrayNet.firstLine(e));
        }
    }

    // ------------------------------------------------------------------ copying by name

    /**
     * Copies arrays into {@code target}'s parameters of the same torchvision-style name. Backbone parameters must
     * all be present with matching shapes, except the first convolution, which is adapted between grey and RGB input
     * (RGB kernels summed for grey; grey kernel spread over three channels for RGB). Head parameters (fc.*, head.*)
     * are copied only when every one of them matches, so a 1000-class ImageNet head is left out.
     *
     * @return whether BatchNorm running statistics were found and copied
     */
    public static boolean copyInto(XrayNet target, Map<String, NDArray> source, String sourceName, List<String> notes) {
        Map<String, Parameter> dst = target.namedParameters();
        boolean sawStats = false;
        int copied = 0;
        Map<String, Parameter> head = new LinkedHashMap<>();
        for (var e : dst.entrySet()) {
            String name = e.getKey();
            if (name.startsWith("fc.") || name.startsWith("head.")) {
                head.put(name, e.getValue());
                continue;
            }
            boolean stat = name.endsWith(".running_mean") || name.endsWith(".running_var");
            NDArray src = source.get(name);
            if (src == null) {
                if (stat) continue;
                throw new UserException(sourceName + " has no parameter " + name + " for this " + target.spec().arch()
                        + " backbone (architecture, width or norm differ)");
            }
            NDArray d = e.getValue().getArray();
            NDArray s = src;
            if (name.equals("conv1.weight") && !s.getShape().equals(d.getShape())) {
                s = adaptInputChannels(src, d.getShape());
                if (s != null) notes.add("first convolution adapted from " + src.getShape().get(1) + " to "
                        + d.getShape().get(1) + " input channel(s)");
            }
            if (s == null || !s.getShape().equals(d.getShape()))
                throw new UserException(sourceName + ": parameter " + name + " has shape " + src.getShape()
                        + " but this model needs " + d.getShape() + " (architecture, width or channels differ)");
            copy(s, d);
            if (s != src) s.close();
            if (stat) sawStats = true;
            copied++;
        }
        boolean headMatches = !head.isEmpty();
        for (var e : head.entrySet()) {
            NDArray src = source.get(e.getKey());
            if (src == null || !src.getShape().equals(e.getValue().getArray().getShape())) headMatches = false;
        }
        if (headMatches) {
            for (var e : head.entrySet()) copy(source.get(e.getKey()), e.getValue().getArray());
            copied += head.size();
            notes.add("head copied too (same shape)");
        } else {
            notes.add("head starts fresh (not in the source, or a different shape)");
        }
        notes.add(copied + " tensors copied");
        return sawStats;
    }

    private static void copy(NDArray src, NDArray dst) {
        try (NDArray c = src.toType(dst.getDataType(), true)) {
            c.copyTo(dst);
        }
    }

    /** (out, 3, k, k) ↔ (out, 1, k, k): grey = R+G+B kernels; RGB = grey kernel / 3 on each channel. */
    private static NDArray adaptInputChannels(NDArray src, Shape want) {
        Shape have = src.getShape();
        if (have.dimension() != 4 || want.dimension() != 4 || have.get(0) != want.get(0)
                || have.get(2) != want.get(2) || have.get(3) != want.get(3)) return null;
        if (have.get(1) == 3 && want.get(1) == 1) return src.sum(new int[] {1}, true);
        if (have.get(1) == 1 && want.get(1) == 3) return src.div(3f).repeat(1, 3);
        return null;
    }

    private static boolean isZip(Path f) {
        try (InputStream in = Files.newInputStream(f)) {
            return in.read() == 'P' && in.read() == 'K';
        } catch (IOException e) {
            return false;
        }
    }
}
