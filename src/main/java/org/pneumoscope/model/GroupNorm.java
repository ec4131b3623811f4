package org.pneumoscope.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

/**
 * Group normalisation (Wu &amp; He 2018) of an (N, C, H, W) map: each image's channels are split into groups, each
 * group is normalised by its own mean and variance, then every channel gets a learnt scale and shift. The same in
 * training and inference, so it keeps no running statistics.
 *
 * <p>The normalisation itself runs as one fused batch-norm kernel on the map viewed as (1, N·G, C/G, H·W) in training
 * mode (its "batch statistics" are then exactly the per-image, per-group ones), which DJL's engine differentiates and
 * runs far faster than the same arithmetic written as separate mean, variance and division ops. Axis −1 is the
 * engine's own channel axis (see {@link BatchNorm2d}): no axis swaps around the kernel.
 *
 * <p>{@link #instance()} makes instance normalisation (Ulyanov et al. 2016): one group per channel.
 */
public final class GroupNorm extends AbstractBlock {
    /** Wu &amp; He's default; channels fewer than this get one group each (instance normalisation). */
    static final int MAX_GROUPS = 32;
    /** Added to each group's variance (PyTorch's default). */
    public static final float EPS = 1e-5f;

    private final Parameter gamma;
    private final Parameter beta;
    /** One group per channel (instance normalisation) rather than {@link #groupsFor}'s. */
    private final boolean perChannel;

    public GroupNorm() {
        this(false);
    }

    /** Instance normalisation: every channel of every image normalised by its own mean and variance. */
    public static GroupNorm instance() {
        return new GroupNorm(true);
    }

    private GroupNorm(boolean perChannel) {
        this.perChannel = perChannel;
        gamma = addParameter(Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA)
                .optInitializer(Initializer.ONES).build());
        beta = addParameter(Parameter.builder().setName("beta").setType(Parameter.Type.BETA)
                .optInitializer(Initializer.ZEROS).build());
    }

    /** The largest divisor of {@code channels} not above {@link #MAX_GROUPS}. */
    public static int groupsFor(int channels) {
        for (int g = Math.min(MAX_GROUPS, channels); g > 1; g--) if (channels % g == 0) return g;
        return 1;
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        gamma.setShape(new Shape(inputShapes[0].get(1)));
        beta.setShape(new Shape(inputShapes[0].get(1)));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape s = x.getShape();
        long n = s.get(0), c = s.get(1), groups = perChannel ? c : groupsFor((int) c), rows = n * groups;
        NDManager m = x.getManager();
        NDArray g = ps.getValue(gamma, x.getDevice(), training);
        NDArray b = ps.getValue(beta, x.getDevice(), training);
        NDArray view = x.reshape(1, rows, c / groups, s.get(2) * s.get(3));
        // scratch running statistics the kernel insists on updating; never read
        NDArray mean = m.zeros(new Shape(rows)), var = m.ones(new Shape(rows));
        NDArray one = m.ones(new Shape(rows)), zero = m.zeros(new Shape(rows));
        NDArray normed = x.getNDArrayInternal()
                .batchNorm(view, mean, var, one, zero, -1, 0.9f, EPS, true).singletonOrThrow();
        mean.close();
        var.close();
        one.close();
        zero.close();
        Intermediates.release(view, x, normed);
        NDArray back = normed.reshape(s);
        Intermediates.release(normed, x, back);
        // in place on the scaled copy: the product's backward needs only the normalised map and the scale
        NDArray out = back.mul(g.reshape(1, c, 1, 1));
        Intermediates.release(back, x, out);
        out.addi(b.reshape(1, c, 1, 1));
        return new NDList(out);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
