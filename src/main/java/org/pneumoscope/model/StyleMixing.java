package org.pneumoscope.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.pneumoscope.core.Draws;

import java.util.Random;

/**
 * Style mixing of feature maps in training (MixStyle, Zhou et al. 2021): with probability {@code p} per batch, every
 * film's per-channel feature mean and SD are replaced by a mix of its own and another film's of the batch,
 * μ' = λμ<sub>i</sub> + (1−λ)μ<sub>j</sub>, σ' = λσ<sub>i</sub> + (1−λ)σ<sub>j</sub>, with λ ~ Beta(0.1, 0.1) drawn
 * per film and j a random permutation of the batch; the film's normalised features are kept.
 *
 * <p>Why: films from another period or site differ from the training films in these statistics (the shift that AdaBN
 * re-estimates after the fact). Drawing them anew in training asks the layers after a mixing point not to read them.
 * The statistics are taken out of the gradient, as the paper does, so the network cannot learn to steer them. Inference never mixes: {@link NetBlock} applies this only in a training pass.
 */
public final class StyleMixing {
    /** Beta(α, α) of the mixing weight: the paper's 0.1, which leaves most films near their own statistics. */
    public static final double ALPHA = 0.1;
    private static final float EPSILON = 1e-6f;

    private final double probability;
    private Random rng;

    /** @param probability the chance that a batch is mixed at each mixing point, in (0, 1] */
    public StyleMixing(double probability, long seed) {
        if (!(probability > 0 && probability <= 1))
            throw new IllegalArgumentException("style mixing probability must be in (0, 1], not " + probability);
        this.probability = probability;
        reseed(seed);
    }

    public double probability() { return probability; }

    /** Starts a new stream of draws, so that an epoch mixes alike whether or not the run was resumed before it. */
    public void reseed(long seed) { rng = new Random(seed); }

    /** The batch {@code x} (N,C,H,W) with its films' statistics mixed, or {@code x} itself when this batch is not. */
    public NDArray apply(NDArray x) {
        int n = (int) x.getShape().get(0);
        if (n < 2 || rng.nextDouble() >= probability) return x;
        return mix(x, mixingMatrix(n));
    }

    /** {@code x} with film i's statistics replaced by row i of {@code matrix} (N×N, row-major) times the films'. */
    static NDArray mix(NDArray x, float[] matrix) {
        int n = (int) x.getShape().get(0);
        Shape shape = x.getShape(), stats = new Shape(n, shape.get(1), 1, 1), flat = new Shape(n, shape.get(1));
        NDManager m = x.getManager();
        int[] plane = {2}; // the engine reduces over one axis at a time, so each channel's plane is one axis
        NDArray fixed = x.stopGradient(); // statistics outside the graph: the network cannot steer them
        NDArray mu = fixed.reshape(n, shape.get(1), -1).mean(plane, true).reshape(stats);
        NDArray sigma = fixed.sub(mu).square().reshape(n, shape.get(1), -1).mean(plane, true).reshape(stats)
                .add(EPSILON).sqrt();
        NDArray centred = x.sub(mu);
        NDArray mix = m.create(matrix, new Shape(n, n));
        NDArray muMix = mix.matMul(mu.reshape(flat)).reshape(stats);
        NDArray sigmaMix = mix.matMul(sigma.reshape(flat)).reshape(stats);
        return centred.div(sigma).mul(sigmaMix).add(muMix);
    }

    /** Row i: λ<sub>i</sub> at column i and 1−λ<sub>i</sub> at column perm(i), so that row i · stats mixes film i's. */
    float[] mixingMatrix(int n) {
        int[] perm = Draws.permutation(n, rng);
        float[] w = new float[n * n];
        for (int i = 0; i < n; i++) {
            float lambda = (float) Draws.beta(ALPHA, rng);
            w[i * n + i] += lambda;
            w[i * n + perm[i]] += 1 - lambda;
        }
        return w;
    }
}
