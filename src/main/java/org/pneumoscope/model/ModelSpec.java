package org.pneumoscope.model;

import org.pneumoscope.core.Choices;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What network to build.
 *
 * @param arch             resnet18, resnet34 or resnet50, or {@link Arch#TORCHSCRIPT} for a net wrapped around a
 *                         TorchScript backbone (see {@link XrayNet#fromTorchScript})
 * @param channels         1 (grey X-ray as is) or 3 (grey copied to RGB, as ImageNet weights expect)
 * @param size             square input side in pixels, at least 64 (stride 32 leaves a 2×2 map at 64)
 * @param head             linear (GAP → Dense 3) or seed (the original study's three-block head)
 * @param width            channel multiplier of the backbone: 1.0 is torchvision's 64-128-256-512,
 *                         0.5 gives 32-64-128-256 (a slimmer net may do more epochs within a CPU budget)
 * @param zeroInitResidual start every residual branch's last BatchNorm scale at 0 (see {@link XrayNet})
 * @param norm             the backbone's normalisation layers (the seed head keeps BatchNorm on its dense features)
 */
public record ModelSpec(Arch arch, int channels, int size, Head head, double width, boolean zeroInitResidual,
                        Norm norm) {

    public ModelSpec {
        if (arch == null) throw new IllegalArgumentException("arch is missing; use one of " + Choices.known(Arch.class));
        if (channels != 1 && channels != 3)
            throw new IllegalArgumentException("input channels must be 1 or 3, got " + channels);
        if (size < 64)
            throw new IllegalArgumentException("input size must be at least 64 pixels, got " + size);
        if (head == null) throw new IllegalArgumentException("head is missing; use one of " + Choices.known(Head.class));
        if (!(width >= 0.0625 && width <= 4.0))
            throw new IllegalArgumentException("width multiplier must be within 0.0625..4, got " + width);
        if (norm == null) throw new IllegalArgumentException("norm is missing; use " + Choices.either(Norm.class));
    }

    /** With BatchNorm, as every network before {@code norm} existed. */
    public ModelSpec(Arch arch, int channels, int size, Head head, double width, boolean zeroInitResidual) {
        this(arch, channels, size, head, width, zeroInitResidual, Norm.BATCH);
    }

    /** Full-width network with zero-initialised residual branches. */
    public static ModelSpec of(Arch arch, int channels, int size, Head head) {
        return new ModelSpec(arch, channels, size, head, 1.0, true);
    }

    public ModelSpec withWidth(double w) { return new ModelSpec(arch, channels, size, head, w, zeroInitResidual, norm); }

    public ModelSpec withHead(Head h) { return new ModelSpec(arch, channels, size, h, width, zeroInitResidual, norm); }

    public ModelSpec withSize(int s) { return new ModelSpec(arch, channels, s, head, width, zeroInitResidual, norm); }

    public ModelSpec withZeroInitResidual(boolean z) { return new ModelSpec(arch, channels, size, head, width, z, norm); }

    public ModelSpec withNorm(Norm n) { return new ModelSpec(arch, channels, size, head, width, zeroInitResidual, n); }

    /** The backbone a model file records (a TorchScript one included); refused with the allowed words otherwise. */
    static Arch archOf(String text) {
        if (text == null) throw new IllegalArgumentException("arch is missing; use one of " + Choices.known(Arch.class));
        Arch a = Arch.ofRecorded(text);
        if (a == null)
            throw new IllegalArgumentException("unknown architecture '" + text + "'; use one of " + Choices.known(Arch.class));
        return a;
    }

    static Head headOf(String text) {
        if (text == null) throw new IllegalArgumentException("head is missing; use one of " + Choices.known(Head.class));
        Head h = Choices.find(Head.class, text);
        if (h == null) throw new IllegalArgumentException("unknown head '" + text + "'; use one of " + Choices.known(Head.class));
        return h;
    }

    /** Channel count of a stage scaled by {@link #width}, never below 4. */
    int scaled(int channels) {
        return Math.max(4, (int) Math.round(channels * width));
    }

    /**
     * One-line form stored in checkpoints, e.g. {@code arch=resnet18 channels=1 size=224 head=seed width=1.0
     * zeroInitResidual=true}: the choices in their {@link Choices#id} spelling, which every checkpoint holds.
     */
    public String encode() {
        return "arch=" + arch.id() + " channels=" + channels + " size=" + size + " head=" + head.id()
                + " width=" + width + " zeroInitResidual=" + zeroInitResidual
                // only when not the default, so files written before norm existed keep their exact header
                + (norm == Norm.BATCH ? "" : " norm=" + norm.key());
    }

    private static Norm normOf(String text, String description) {
        Norm n = Norm.parse(text);
        if (n == null) throw new IllegalArgumentException("bad norm '" + text + "' in model description '" + description + "'");
        return n;
    }

    /** Inverse of {@link #encode()}. */
    public static ModelSpec decode(String s) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : s.trim().split("\\s+")) {
            int eq = part.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("bad model description '" + s + "'");
            kv.put(part.substring(0, eq), part.substring(eq + 1));
        }
        try {
            return new ModelSpec(archOf(kv.get("arch")), Integer.parseInt(kv.get("channels")), Integer.parseInt(kv.get("size")),
                    headOf(kv.get("head")), Double.parseDouble(kv.getOrDefault("width", "1.0")),
                    Boolean.parseBoolean(kv.getOrDefault("zeroInitResidual", "true")),
                    normOf(kv.getOrDefault("norm", "batch"), s));
        } catch (NullPointerException | NumberFormatException e) {
            throw new IllegalArgumentException("bad model description '" + s + "'", e);
        }
    }
}
