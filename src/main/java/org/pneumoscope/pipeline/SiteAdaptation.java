package org.pneumoscope.pipeline;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.eval.ShiftReference;
import org.pneumoscope.model.BatchNormStatistics;
import org.pneumoscope.model.Head;
import org.pneumoscope.model.OneBatchAlive;
import org.pneumoscope.model.XrayNet;
import org.pneumoscope.train.Optimizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Unsupervised adaptation of a trained network to another site's films: AdaBN (Li et al. 2016). Every BatchNorm's
 * running mean and variance are re-estimated on the new films, fed exactly as inference feeds them; no weight that
 * training learnt changes and no label is needed. Films from another scanner or period shift the feature statistics
 * the BatchNorms normalise by, which is where networks trained here fail on new films.
 */
public final class SiteAdaptation {
    /** Films per forward pass while estimating: large enough for stable batch statistics, small enough for memory. */
    public static final int BATCH = 32;

    private SiteAdaptation() {}

    /** True when the network has BatchNorm statistics to re-estimate (a group-norm network has none). */
    public static boolean hasBatchNorm(XrayNet net) {
        for (Parameter p : net.block().getParameters().values())
            if (p.getType() == Parameter.Type.RUNNING_MEAN) return true;
        return false;
    }

    /**
     * Re-estimates the BatchNorm statistics of {@code model}'s network in place from {@code films} (already at the
     * model's size) and returns the number of batches used. With the run's flip TTA, each batch holds the mirrored
     * films too, because inference feeds both.
     */
    public static int adaBn(TrainedModel model, List<GreyImage> films) {
        if (!hasBatchNorm(model.net()))
            throw new IllegalArgumentException("the network has no BatchNorm statistics to re-estimate");
        if (films.isEmpty()) throw new IllegalArgumentException("no films to adapt to");
        try (NDManager sub = model.manager().newSubManager()) {
            return model.net().recalibrateBatchNorm(() -> new Batches(model, films, sub));
        }
    }

    /** AdaBN's estimate on {@code films}, with the network's own statistics left as they were. */
    public static BatchNormStatistics statisticsOf(TrainedModel model, List<GreyImage> films) {
        BatchNormStatistics stored = BatchNormStatistics.of(model.net());
        try {
            adaBn(model, films);
            return BatchNormStatistics.of(model.net());
        } finally {
            stored.applyTo(model.net());
        }
    }

    /**
     * AdaBN relative to the run's own validation films: the statistics training stored are moved by the difference
     * between the new films' AdaBN estimate and {@code ownValidation}, the same estimate on the run's validation films
     * (means by the difference, variances by the ratio). AdaBN replaces the stored statistics, which training
     * accumulated on augmented batches, by clean films' batch statistics, and that alone cost up to 4 points on a run's
     * own validation films; moved relative to them, those films leave the network as it was. Returns the batches used.
     */
    public static int relative(TrainedModel model, List<GreyImage> films, BatchNormStatistics ownValidation) {
        BatchNormStatistics stored = BatchNormStatistics.of(model.net());
        int batches = adaBn(model, films);
        stored.movedBy(ownValidation, BatchNormStatistics.of(model.net())).applyTo(model.net());
        return batches;
    }

    /**
     * Feature-statistics alignment at the pooled layer, through the linear head: each channel of the new films' pooled
     * features is moved to the mean and SD the run's validation films had there, f' = μ_ref + s·(f − μ_new) with
     * s = (σ_ref + ε)/(σ_new + ε), and because the head is linear that is the head W·f' + b rewritten as
     * (W·diag(s))·f + b + W·(μ_ref − s·μ_new). No BatchNorm statistic and no feature changes; the films' answers move
     * only through the head. Where AdaBN aligns each BatchNorm's input, this aligns what the head reads, which AdaBN
     * leaves unaligned after the last block's convolutions, ReLU and pooling. The features are those of the network's
     * inference (mirror-averaged with its flip TTA), as the reference's were. Returns the largest scale applied.
     */
    public static double alignPooledFeatures(XrayNet net, float[][] features, double[] refMean, double[] refSd) {
        Parameter w = net.namedParameters().get("fc.weight"), b = net.namedParameters().get("fc.bias");
        if (net.spec().head() != Head.LINEAR || w == null || b == null)
            throw new IllegalArgumentException("feature alignment needs a linear head after the pooled features");
        int k = refMean.length;
        if (features.length < 2 || features[0].length != k)
            throw new IllegalArgumentException("need at least two films with " + k + " pooled features each");
        Aligned a = alignedHead(w.getArray().toFloatArray(), b.getArray().toFloatArray(), features, refMean, refSd);
        w.getArray().set(a.weight());
        b.getArray().set(a.bias());
        return a.largestScale();
    }

    /** A linear head rewritten to read aligned features, and the largest per-channel scale it took. */
    record Aligned(float[] weight, float[] bias, double largestScale) {}

    /**
     * The arithmetic of {@link #alignPooledFeatures} on plain arrays: W row-major (classes × K). ε is a hundredth of
     * the reference's mean SD, so a channel (nearly) silent on the new films is not blown up.
     */
    static Aligned alignedHead(float[] weight, float[] bias, float[][] features, double[] refMean, double[] refSd) {
        int k = refMean.length, classes = bias.length;
        double[][] stats = ShiftReference.channelStatistics(features);
        double[] mean = stats[0], sd = stats[1];
        double eps = 0.01 * java.util.Arrays.stream(refSd).average().orElse(0) + 1e-12;
        float[] w2 = new float[weight.length], b2 = bias.clone();
        double largest = 0;
        for (int c = 0; c < k; c++) {
            double s = (refSd[c] + eps) / (sd[c] + eps), shift = refMean[c] - s * mean[c];
            largest = Math.max(largest, s);
            for (int j = 0; j < classes; j++) {
                w2[j * k + c] = (float) (weight[j * k + c] * s);
                b2[j] += (float) (weight[j * k + c] * shift);
            }
        }
        return new Aligned(w2, b2, largest);
    }

    /**
     * Entropy minimisation of the BatchNorm layers' scale and shift (TENT, Wang et al. 2021), run after {@link #adaBn}:
     * the network's predictions on the new films are made more confident by moving only the normalisation layers'
     * affine parameters (a few thousand numbers), with the re-estimated statistics held fixed. No label is used; the
     * films are shuffled (seeded) so each batch mixes the site's classes. Returns the mean entropy of the last pass.
     *
     * <p>Why only scale and shift: they are what a site's shift in feature statistics perturbs, and moving anything
     * more on unlabelled films lets the network drift to a confident but wrong answer (the method's known failure).
     */
    public static double tent(TrainedModel model, List<GreyImage> films, int passes, double lr, long seed) {
        return entropyMinimisation(model, films, passes, lr, seed, false);
    }

    /**
     * As {@link #tent}, with a diversity term (information maximisation, as in SHOT, Liang et al. 2020): each batch's
     * loss is the mean entropy of its predictions minus the entropy of their mean, so films are made surer without
     * all being pushed into one class, the collapse plain entropy minimisation shows on three imbalanced classes.
     */
    public static double infomax(TrainedModel model, List<GreyImage> films, int passes, double lr, long seed) {
        return entropyMinimisation(model, films, passes, lr, seed, true);
    }

    private static double entropyMinimisation(TrainedModel model, List<GreyImage> films, int passes, double lr, long seed,
                                              boolean diversity) {
        if (!hasBatchNorm(model.net())) throw new IllegalArgumentException("the network has no BatchNorm layers to adapt");
        PairList<String, Parameter> affine = new PairList<>();
        for (var np : model.net().block().getParameters()) {
            Parameter.Type t = np.getValue().getType();
            if (t == Parameter.Type.GAMMA || t == Parameter.Type.BETA) affine.add(np.getKey(), np.getValue());
        }
        List<GreyImage> order = new ArrayList<>(films);
        double entropy = Double.NaN;
        try (NDManager sub = model.manager().newSubManager(); Optimizer opt = new Optimizer(sub, Optimizer.Kind.ADAM, 0)) {
            for (var np : affine) np.getValue().getArray().setRequiresGradient(true);
            ParameterStore ps = new ParameterStore(sub, false);
            for (int pass = 0; pass < passes; pass++) {
                Collections.shuffle(order, new Random(seed + pass));
                double sum = 0;
                int batches = 0;
                for (Iterator<NDArray> it = new Batches(model, order, sub); it.hasNext(); batches++) {
                    NDArray x = it.next();
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = model.net().block().forward(ps, new NDList(x), false).singletonOrThrow();
                        NDArray logp = logits.logSoftmax(1);
                        NDArray p = logp.exp();
                        NDArray h = p.mul(logp).sum(new int[] {1}).neg().mean();
                        sum += h.getFloat();
                        if (diversity) {
                            NDArray mean = p.mean(new int[] {0});
                            h = h.add(mean.mul(mean.add(1e-8f).log()).sum()); // minus the entropy of the mean prediction
                        }
                        gc.backward(h);
                    }
                    opt.update(affine, lr);
                }
                entropy = sum / Math.max(1, batches);
            }
        } finally {
            for (var np : affine) np.getValue().getArray().setRequiresGradient(false);
        }
        return entropy;
    }

    /** The films as input batches, each closed when the next is made so that only one is alive at a time. */
    private static final class Batches extends OneBatchAlive {
        private final TrainedModel model;
        private final List<GreyImage> films;
        private int next;

        Batches(TrainedModel model, List<GreyImage> films, NDManager manager) {
            super(manager);
            this.model = model;
            this.films = films;
        }

        @Override
        protected boolean more() { return next < films.size(); }

        @Override
        protected NDArray make(NDManager m) {
            int to = Math.min(films.size(), next + BATCH), n = to - next;
            int c = model.recipe().channels(), s = model.recipe().size(), per = c * s * s;
            float[] data = new float[n * per];
            for (int i = next; i < to; i++) System.arraycopy(model.input(films.get(i)), 0, data, (i - next) * per, per);
            next = to;
            NDArray x = m.create(data, new Shape(n, c, s, s));
            return model.config().tta() ? NDArrays.concat(new NDList(x, x.flip(3))) : x;
        }
    }
}
