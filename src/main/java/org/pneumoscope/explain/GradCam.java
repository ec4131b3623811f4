package org.pneumoscope.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.pneumoscope.core.Ranks;
import org.pneumoscope.model.Head;
import org.pneumoscope.model.XrayNet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Grad-CAM (Selvaraju et al. 2017): which regions of the X-ray pushed the network towards a class.
 *
 * <p>The activations A of the chosen layer are computed in inference mode and cut from the graph as a new leaf;
 * the rest of the network runs on that leaf inside a gradient collector and the target class's logit is
 * back-propagated to it. Each channel k is weighted by the spatial mean of ∂logit/∂A_k, the weighted channels are
 * summed, negative evidence is dropped (ReLU), and the map is upsampled bilinearly to the input size — each cell
 * placed where its receptive field is centred ({@link #toInputGrid}) — and scaled to [0,1]. The network's own
 * parameters are switched out of gradient tracking meanwhile, so a Grad-CAM between training steps does not add
 * to the gradients the optimiser will apply — but do not run it on another thread while a training step of the
 * same network is in flight. At the last feature map of a network with a linear head the gradient is known without
 * the backward pass (the head's weights, {@link #headWeights}), which then is skipped.
 */
public final class GradCam {
    private GradCam() {}

    /** DJL allows one gradient collector at a time per process. */
    private static final Object LOCK = new Object();

    /**
     * @param net         the classifier
     * @param manager     where the results' temporaries live (a sub-manager is opened and closed inside)
     * @param image       (1,C,H,W) float32, prepared exactly as for prediction
     * @param layer       a layer name from {@link XrayNet#camLayers()}, or null for the last feature map (layer4)
     * @param targetClass the class to explain, or null for the predicted class
     */
    public static CamResult compute(XrayNet net, NDManager manager, NDArray image, String layer, Integer targetClass) {
        String l = checkedLayer(net, layer);
        Shape s = image.getShape();
        if (s.dimension() != 4 || s.get(0) != 1 || s.get(1) != net.spec().channels())
            throw new IllegalArgumentException("Grad-CAM needs one image shaped (1," + net.spec().channels()
                    + ",H,W); got " + s);
        if (targetClass != null && (targetClass < 0 || targetClass >= net.numClasses()))
            throw new IllegalArgumentException("target class " + targetClass + " outside 0.." + (net.numClasses() - 1));
        // one image is a batch of one: the same passes, the same lock, the same map
        return computeBatch(net, manager, image, l,
                probs -> new int[] {targetClass != null ? targetClass : Ranks.argmax(probs[0])}).get(0);
    }

    /**
     * Grad-CAM of every image of a batch from one forward pass and, where the head's weights do not give the gradient
     * ({@link #headWeights}), one backward pass. With the network in inference mode
     * (BatchNorm uses its running statistics) no image's logits depend on another's activations, so the gradient of
     * the sum of each image's target logit with respect to the batch's activations holds, at image i, exactly the
     * gradient of image i's own target logit: the maps equal {@link #compute}'s for each image alone.
     *
     * @param images  (N,C,H,W) float32, prepared exactly as for prediction
     * @param targets given the softmax of each image's logits (one row per image), the class each map explains
     */
    public static List<CamResult> computeBatch(XrayNet net, NDManager manager, NDArray images, String layer,
                                               Function<float[][], int[]> targets) {
        return computeBatch(net, manager, images, layer, false, targets);
    }

    /**
     * As {@link #computeBatch(XrayNet, NDManager, NDArray, String, Function)}; with {@code mirror} the mirror images
     * run in the same pass, and each image's probabilities (the softmax of its and its mirror's logits averaged) and
     * pooled features (averaged too) are those of prediction with mirror averaging, while the map stays the image's
     * own. One pass does what a prediction with mirror averaging followed by a Grad-CAM of its class did in two.
     */
    public static List<CamResult> computeBatch(XrayNet net, NDManager manager, NDArray images, String layer,
                                               boolean mirror, Function<float[][], int[]> targets) {
        String l = checkedLayer(net, layer);
        Shape s = images.getShape();
        if (s.dimension() != 4 || s.get(1) != net.spec().channels())
            throw new IllegalArgumentException("Grad-CAM needs images shaped (N," + net.spec().channels() + ",H,W); got " + s);
        int n = (int) s.get(0), height = (int) s.get(2), width = (int) s.get(3);
        if (n == 0) return List.of();
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = images.duplicate();
            x.attach(sub);
            ParameterStore ps = new ParameterStore(sub, false);
            // the network up to the layer is a plain inference pass, the costly part: it runs outside the lock, so
            // two batches' passes overlap and only the short way back from the layer is serialised
            NDArray all = net.forwardTo(ps, mirror ? x.concat(x.flip(3)) : x, l, false).singletonOrThrow();
            if (all.getShape().dimension() != 4)
                throw new IllegalArgumentException("layer '" + l + "' outputs " + all.getShape() + ", not a feature map");
            float[] features = l.equals(net.lastFeatureLayer()) ? halvesAveraged(XrayNet.pool(all).toFloatArray(), mirror) : null;
            float[] mirrorLogits = mirror ? net.forwardFrom(ps, all.get(n + ":"), l, false).toFloatArray() : null;
            NDArray leaf = (mirror ? all.get(":" + n) : all).stopGradient().duplicate();
            leaf.attach(sub);
            NDArray fc = linearHeadAfter(net, l);
            Backward b = fc != null ? headWeights(net, ps, leaf, l, n, mirrorLogits, targets, fc)
                    : backward(net, ps, leaf, l, n, mirrorLogits, targets);
            return maps(net, l, leaf, b, n, width, height, features);
        }
    }

    private static String checkedLayer(XrayNet net, String layer) {
        String l = layer == null ? net.lastFeatureLayer() : layer;
        if (!net.camLayers().contains(l))
            throw new IllegalArgumentException("Grad-CAM layer '" + l + "' is not a feature-map layer of this "
                    + net.spec().arch() + "; valid layers: " + String.join(", ", net.camLayers()));
        return l;
    }

    /**
     * What the way back from the layer gives: each image's probabilities and target, and each channel's weight, the
     * spatial mean of ∂(target logit)/∂A_k or a positive multiple of it (the same for every channel), shaped (N,K,1,1).
     */
    private record Backward(float[][] probs, int[] target, NDArray weights) {}

    /** Forces the gradient pass even where the head's weights give the same channel weights (for tests). */
    static volatile boolean alwaysBackward;

    /** Whether Grad-CAM of {@code layer} takes its channel weights from the head's weights, without a backward pass. */
    static boolean usesHeadWeights(XrayNet net, String layer) { return linearHeadAfter(net, layer) != null; }

    /** The linear layer's weights, (classes, K), when only global average pooling and that layer follow {@code layer}; null otherwise. */
    private static NDArray linearHeadAfter(XrayNet net, String layer) {
        if (alwaysBackward || net.spec().head() != Head.LINEAR || !layer.equals(net.lastFeatureLayer())) return null;
        Parameter w = net.namedParameters().get("fc.weight");
        return w == null ? null : w.getArray();
    }

    /**
     * The channel weights without a backward pass: after the last feature map a linear head computes
     * logit_c = Σ_k W_ck · mean_ij A_kij + b_c, so ∂logit_c/∂A_kij = W_ck / (h·w) at every cell (Grad-CAM is CAM here,
     * Zhou et al. 2016). The weights are the target's row of W without the 1/(h·w): one positive factor for every
     * channel, which the ReLU and the scaling of the map to [0,1] remove. Rows are sliced from W on the native side,
     * so no buffer is made per call. Needs no gradient collector, so no lock.
     */
    private static Backward headWeights(XrayNet net, ParameterStore ps, NDArray leaf, String l, int n, float[] mirrorLogits,
                                        Function<float[][], int[]> targets, NDArray fc) {
        NDArray logits = net.forwardFrom(ps, leaf, l, false);
        float[][] probs = mirrorLogits == null ? rows(logits.softmax(1).toFloatArray(), n)
                : softmaxRows(averaged(logits.toFloatArray(), mirrorLogits), n);
        int[] target = targets.apply(probs);
        if (target.length != n) throw new IllegalArgumentException(target.length + " target classes for " + n + " images");
        NDList rows = new NDList(n);
        for (int i = 0; i < n; i++) {
            checkTarget(target, i, net.numClasses());
            NDArray row = fc.get(target[i]);
            row.attach(leaf.getManager()); // freed with the call's temporaries, not kept with the weights
            rows.add(row);
        }
        long k = leaf.getShape().get(1);
        return new Backward(probs, target, NDArrays.stack(rows).reshape(n, k, 1, 1));
    }

    private static void checkTarget(int[] target, int i, int classes) {
        if (target[i] < 0 || target[i] >= classes)
            throw new IllegalArgumentException("target class " + target[i] + " outside 0.." + (classes - 1));
    }

    private static Backward backward(XrayNet net, ParameterStore ps, NDArray leaf, String l, int n, float[] mirrorLogits,
                                     Function<float[][], int[]> targets) {
        synchronized (LOCK) {
            List<NDArray> tracked = new ArrayList<>();
            try {
                untrack(net, tracked);
                leaf.setRequiresGradient(true);
                try (GradientCollector gc = leaf.getManager().getEngine().newGradientCollector()) {
                    NDArray logits = net.forwardFrom(ps, leaf, l, false);
                    float[][] probs = mirrorLogits == null ? rows(logits.softmax(1).toFloatArray(), n)
                            : softmaxRows(averaged(logits.toFloatArray(), mirrorLogits), n);
                    int[] target = targets.apply(probs);
                    gc.backward(targetSum(logits, target, net.numClasses()));
                    NDArray g = leaf.getGradient();
                    return new Backward(probs, target, g.mean(new int[] {3}).mean(new int[] {2}).reshape(n, g.getShape().get(1), 1, 1));
                }
            } finally {
                for (NDArray a : tracked) a.setRequiresGradient(true);
            }
        }
    }

    private static List<CamResult> maps(XrayNet net, String l, NDArray leaf, Backward b, int n, int width, int height, float[] features) {
        long k = leaf.getShape().get(1);
        NDArray cam = leaf.stopGradient().mul(b.weights()).sum(new int[] {1}); // (N,h,w)
        int h = (int) cam.getShape().get(1), w = (int) cam.getShape().get(2);
        float[] all = cam.toFloatArray();
        List<CamResult> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] small = Arrays.copyOfRange(all, i * h * w, (i + 1) * h * w);
            for (int j = 0; j < small.length; j++) small[j] = Math.max(0f, small[j]);
            float[] big = normalise(toInputGrid(small, w, h, net.cellStride(l), width, height));
            float[] f = features == null ? null : Arrays.copyOfRange(features, (int) (i * k), (int) ((i + 1) * k));
            out.add(new CamResult(big, width, height, b.probs()[i], b.target()[i], f));
        }
        return out;
    }

    /** Rows 0..N-1 of a (2N, K) array averaged with rows N..2N-1 when {@code mirror}; the array as it is otherwise. */
    private static float[] halvesAveraged(float[] a, boolean mirror) {
        return mirror ? averaged(Arrays.copyOf(a, a.length / 2), Arrays.copyOfRange(a, a.length / 2, a.length)) : a;
    }

    /** (a + b) / 2 element-wise, into a, as prediction averages an image's and its mirror's outputs. */
    private static float[] averaged(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) a[i] = (a[i] + b[i]) / 2f;
        return a;
    }

    private static float[][] softmaxRows(float[] logits, int n) {
        float[][] r = rows(logits, n);
        for (float[] z : r) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (float v : z) max = Math.max(max, v);
            double[] e = new double[z.length];
            for (int i = 0; i < z.length; i++) sum += e[i] = Math.exp(z[i] - max);
            for (int i = 0; i < z.length; i++) z[i] = (float) (e[i] / sum);
        }
        return r;
    }

    /** The sum over the batch of each image's target logit: its gradient at image i is that of image i's own. */
    private static NDArray targetSum(NDArray logits, int[] target, int classes) {
        int n = (int) logits.getShape().get(0);
        if (target.length != n) throw new IllegalArgumentException(target.length + " target classes for " + n + " images");
        NDArray total = null;
        for (int i = 0; i < n; i++) {
            checkTarget(target, i, classes);
            NDArray one = logits.get(new NDIndex(i, target[i]));
            total = total == null ? one : total.add(one);
        }
        return total;
    }

    /** Switches the network's parameters out of gradient tracking, remembering which were tracked. */
    private static void untrack(XrayNet net, List<NDArray> tracked) {
        for (Parameter p : net.block().getParameters().values()) {
            NDArray a = p.getArray();
            if (a.hasGradient()) { // PyTorch: requires_grad
                a.setRequiresGradient(false);
                tracked.add(a);
            }
        }
    }

    private static float[][] rows(float[] flat, int n) {
        int k = flat.length / n;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(flat, i * k, (i + 1) * k);
        return out;
    }

    /**
     * A feature map laid on the input grid: bilinear, with cell j centred on input pixel {@code j·stride} (where a
     * ResNet cell's receptive field is centred, see {@link XrayNet#cellStride}); beyond the last cell the map keeps
     * its edge value. Treating cell j as the middle of the j-th tile instead would shift a layer4 map by 15.5 px
     * right and down. With {@code stride} 0 (geometry unknown) the cells are spread as tiles ({@link #upsample}).
     */
    static float[] toInputGrid(float[] src, int sw, int sh, int stride, int dw, int dh) {
        if (stride <= 0) return upsample(src, sw, sh, dw, dh);
        return bilinear(src, sw, sh, dw, dh, 1.0 / stride, 0, 1.0 / stride, 0);
    }

    /** Bilinear resampling of one image grid to another, pixel centres aligned (align_corners=false), edges clamped. */
    static float[] upsample(float[] src, int sw, int sh, int dw, int dh) {
        double fx = (double) sw / dw, fy = (double) sh / dh;
        return bilinear(src, sw, sh, dw, dh, fx, 0.5 * fx - 0.5, fy, 0.5 * fy - 0.5);
    }

    /** Output pixel (x, y) reads the source at (ax·x + bx, ay·y + by), clamped to the source, bilinearly. */
    private static float[] bilinear(float[] src, int sw, int sh, int dw, int dh, double ax, double bx, double ay, double by) {
        float[] out = new float[dw * dh];
        for (int y = 0; y < dh; y++) {
            double sy = Math.min(Math.max(ay * y + by, 0), sh - 1);
            int y0 = (int) sy, y1 = Math.min(y0 + 1, sh - 1);
            double ty = sy - y0;
            for (int x = 0; x < dw; x++) {
                double sx = Math.min(Math.max(ax * x + bx, 0), sw - 1);
                int x0 = (int) sx, x1 = Math.min(x0 + 1, sw - 1);
                double tx = sx - x0;
                double top = src[y0 * sw + x0] * (1 - tx) + src[y0 * sw + x1] * tx;
                double bottom = src[y1 * sw + x0] * (1 - tx) + src[y1 * sw + x1] * tx;
                out[y * dw + x] = (float) (top * (1 - ty) + bottom * ty);
            }
        }
        return out;
    }

    /** Min–max scaling to [0,1]; a flat map (no positive evidence anywhere) becomes all zeros. */
    static float[] normalise(float[] v) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float f : v) {
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        float range = max - min;
        float[] out = new float[v.length];
        if (!(range > 1e-12f) || !Float.isFinite(range)) return out;
        for (int i = 0; i < v.length; i++) out[i] = (v[i] - min) / range;
        return out;
    }
}
