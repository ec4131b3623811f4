package org.pneumoscope.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Instance-batch normalisation (IBN-a, Pan et al. 2018): the first half of the channels is normalised per image and
 * channel (instance normalisation, {@link GroupNorm#instance()}), the rest by batch statistics ({@link BatchNorm2d}).
 *
 * <p>Why: in a network's shallow layers, how a film was exposed, processed and sharpened shows up as per-channel
 * means and variances of the feature maps. Instance normalisation takes those out of each film by itself, in
 * training and at inference, so the layers after it see them less; the BatchNorm half keeps what instance
 * normalisation would wash out (the contrast between films that the classes differ in). IBN-Net put it in the first
 * normalisation of every residual unit of the first three stages and gained on unseen domains without losing on the
 * training domain; {@link XrayNet} places it the same way for {@link Norm#IBN}.
 *
 * <p>Parameters are named as the two parts: {@code IN.weight}, {@code IN.bias}, {@code BN.weight}, {@code BN.bias},
 * {@code BN.running_mean}, {@code BN.running_var}; {@code adapt} re-estimates the BatchNorm half's statistics.
 */
public final class IbnNorm extends AbstractBlock {
    private final Block in;
    private final Block bn;

    /** @param bn the BatchNorm of the second half, as the rest of the network makes them */
    IbnNorm(Block bn) {
        this.in = addChildBlock("IN", GroupNorm.instance());
        this.bn = addChildBlock("BN", bn);
    }

    /** Channels given instance normalisation: the first half, rounded down (IBN-Net's ratio 0.5). */
    static long instanceChannels(long channels) {
        return channels / 2;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long channels = inputShapes[0].get(1), half = instanceChannels(channels);
        in.initialize(manager, dataType, part(inputShapes[0], half));
        bn.initialize(manager, dataType, part(inputShapes[0], channels - half));
    }

    private static Shape part(Shape s, long c) {
        return new Shape(s.get(0), c, s.get(2), s.get(3));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        long half = instanceChannels(x.getShape().get(1));
        NDList parts = x.split(new long[] {half}, 1);
        NDArray a = in.forward(ps, new NDList(parts.get(0)), training).singletonOrThrow();
        NDArray b = bn.forward(ps, new NDList(parts.get(1)), training).singletonOrThrow();
        NDArray out = a.concat(b, 1);
        for (NDArray p : parts) Intermediates.release(p, x, out);
        Intermediates.release(a, x, out);
        Intermediates.release(b, x, out);
        return new NDList(out);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
