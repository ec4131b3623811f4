package org.pneumoscope.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Batch normalisation of an (N, C, H, W) map over its channel axis, as PyTorch's {@code BatchNorm2d}: one call of
 * the engine's fused kernel and nothing else.
 *
 * <p>DJL's own {@code BatchNorm} block swaps the normalised axis to position 1 and back around that kernel, even when
 * it is already there. The swaps cost nothing forward, but they make the block's output a view, and an in-place
 * op on a view (the residual sum {@code h.addi(shortcut)}) is recorded by autograd as a copy into the view's base:
 * its backward pass then allocates a zero-filled map of the base's size and copies through it, at every residual
 * unit. Without the swaps the recorded graph is op for op torchvision's (docs/models.md, "Speed").
 *
 * <p>Parameters, their names and the stored format (version 2: input shapes, then the channel count) are those of
 * DJL's block, so networks saved with it load into this one unchanged.
 */
public final class BatchNorm2d extends AbstractBlock {
    /** The stored format of DJL's {@code BatchNorm}, kept so earlier model files read. */
    private static final byte VERSION = 2;
    /** In DJL's PyTorch engine axis −1 means "PyTorch's own channel axis": the kernel is called on the map as it is. */
    private static final int ENGINE_CHANNEL_AXIS = -1;

    private final float epsilon;
    private final float momentum;
    private long channels;
    private final Parameter gamma;
    private final Parameter beta;
    private final Parameter runningMean;
    private final Parameter runningVar;

    /**
     * @param momentum DJL's convention, the weight of the old running statistics: 0.9 is PyTorch's momentum 0.1
     */
    public BatchNorm2d(float epsilon, float momentum) {
        super(VERSION);
        this.epsilon = epsilon;
        this.momentum = momentum;
        gamma = addParameter(Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA)
                .optInitializer(Initializer.ONES).build());
        beta = addParameter(Parameter.builder().setName("beta").setType(Parameter.Type.BETA)
                .optInitializer(Initializer.ZEROS).build());
        runningMean = addParameter(Parameter.builder().setName("runningMean").setType(Parameter.Type.RUNNING_MEAN)
                .optInitializer(Initializer.ZEROS).optRequiresGrad(false).build());
        runningVar = addParameter(Parameter.builder().setName("runningVar").setType(Parameter.Type.RUNNING_VAR)
                .optInitializer(Initializer.ONES).optRequiresGrad(false).build());
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        channels = inputShapes[0].get(1);
        for (Parameter p : new Parameter[] {gamma, beta, runningMean, runningVar}) p.setShape(new Shape(channels));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        return x.getNDArrayInternal().batchNorm(x,
                ps.getValue(runningMean, x.getDevice(), training), ps.getValue(runningVar, x.getDevice(), training),
                ps.getValue(gamma, x.getDevice(), training), ps.getValue(beta, x.getDevice(), training),
                ENGINE_CHANNEL_AXIS, momentum, epsilon, training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        saveInputShapes(os);
        os.writeLong(channels);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        if (loadVersion == VERSION) readInputShapes(is);
        else if (loadVersion != 1) throw new MalformedModelException("unsupported BatchNorm encoding version " + loadVersion);
        channels = is.readLong();
    }
}
