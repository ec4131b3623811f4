package org.pneumoscope.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Sample;
import org.pneumoscope.model.XrayNet;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Inference over many images in batches (no augmentation; optional horizontal-flip TTA). */
public final class Scoring {
    /**
     * Raw logits and pooled features of images already at the model's size.
     *
     * @param logits   one row of class logits per image, as {@link #logits} gives them
     * @param features one row per image: the global average of the last feature map, the vector the head reads
     */
    public record Outputs(float[][] logits, float[][] features) {}

    private Scoring() {}

    public record Scores(float[][] logits, int[] labels, double loss, double accuracy, double[] recall) {}

    /**
     * Logits of normalised NCHW batches; with {@code tta} the logits of the image and its mirror are averaged.
     * {@code in} holds the batch in native memory and is reused over many calls of one caller (never two at once).
     */
    public static float[][] logits(Block block, ParameterStore ps, NDManager root, DirectInput in, float[] data, int n, int channels, int size, boolean tta) {
        try (NDManager sub = root.newSubManager()) {
            NDArray x = in.create(sub, data, new Shape(n, channels, size, size));
            float[] flat = block.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
            if (tta) average(flat, block.forward(ps, new NDList(x.flip(3)), false).singletonOrThrow().toFloatArray());
            return rows(flat, n);
        }
    }

    /**
     * Logits and pooled features ({@link XrayNet#logitsAndFeatures}) of normalised NCHW batches; with {@code tta} both
     * are averaged with the mirrored image's. {@code in} as for {@link #logits}.
     */
    public static Outputs logitsAndFeatures(XrayNet net, ParameterStore ps, NDManager root, DirectInput in,
                                                        float[] data, int n, int channels, int size, boolean tta) {
        try (NDManager sub = root.newSubManager()) {
            NDArray x = in.create(sub, data, new Shape(n, channels, size, size));
            NDList out = net.logitsAndFeatures(ps, x);
            float[] z = out.get(0).toFloatArray(), f = out.get(1).toFloatArray();
            if (tta) {
                NDList m = net.logitsAndFeatures(ps, x.flip(3));
                average(z, m.get(0).toFloatArray());
                average(f, m.get(1).toFloatArray());
            }
            return new Outputs(rows(z, n), rows(f, n));
        }
    }

    /** a := (a + b) / 2, here rather than NDArray.div(2f), which would wrap the 2 in a tensor (one more direct buffer per call). */
    private static void average(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) a[i] = (a[i] + b[i]) / 2f;
    }

    private static float[][] rows(float[] flat, int n) {
        if (n == 0) return new float[0][];
        int k = flat.length / n;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(flat, i * k, i * k + k);
        return out;
    }

    /** {@link Scores} of a labelled set and each image's pooled features, in the samples' order. */
    public record Scored(Scores scores, float[][] features) {}

    /** As {@link #score}, keeping each image's pooled features too (one forward pass per batch, as before). */
    public static Scored scoreWithFeatures(XrayNet net, ParameterStore ps, NDManager root, List<Sample> samples,
                                           ImageSource images, TrainConfig cfg, boolean tta) throws IOException {
        int c = cfg.channels(), s = cfg.size();
        Batches b = forEachBatch(samples, images, cfg, (in, data, n) -> logitsAndFeatures(net, ps, root, in, data, n, c, s, tta));
        return new Scored(summarise(b.logits(), b.labels()), b.features());
    }

    public static Scores score(Block block, ParameterStore ps, NDManager root, List<Sample> samples, ImageSource images,
                               TrainConfig cfg, boolean tta) throws IOException {
        int c = cfg.channels(), s = cfg.size();
        Batches b = forEachBatch(samples, images, cfg,
                (in, data, n) -> new Outputs(logits(block, ps, root, in, data, n, c, s, tta), null));
        return summarise(b.logits(), b.labels());
    }

    private interface BatchScorer {
        Outputs apply(DirectInput in, float[] data, int n);
    }

    /** Every sample's outputs and label, in the samples' order; features null when the scorer gives none. */
    private record Batches(float[][] logits, float[][] features, int[] labels) {}

    private static Batches forEachBatch(List<Sample> samples, ImageSource images, TrainConfig cfg, BatchScorer scorer)
            throws IOException {
        int n = samples.size();
        float[][] logits = new float[n][], features = new float[n][];
        int[] labels = new int[n];
        if (n == 0) return new Batches(logits, features, labels);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> { Thread t = new Thread(r, "scoring"); t.setDaemon(true); return t; });
        int batch = Math.max(cfg.batch(), 32);
        DirectInput in = new DirectInput(); // one buffer for all batches, not one per batch left to the GC
        try (BatchLoader loader = new BatchLoader(samples, order, images, null, cfg.input(), batch, cfg.seed(), 0, pool, 2)) {
            int at = 0;
            while (loader.hasNext()) {
                BatchLoader.Batch b = loader.next();
                Outputs z = scorer.apply(in, b.data(), b.n());
                for (int i = 0; i < b.n(); i++) {
                    logits[at + i] = z.logits()[i];
                    if (z.features() != null) features[at + i] = z.features()[i];
                    labels[at + i] = b.labels()[i];
                }
                at += b.n();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Batches(logits, features, labels);
    }

    /** Cross-entropy, accuracy and per-class recall (NaN for a class with no images). */
    public static Scores summarise(float[][] logits, int[] labels) {
        int n = labels.length, k = Label.COUNT;
        double loss = 0;
        int ok = 0;
        int[] support = new int[k], hit = new int[k];
        for (int i = 0; i < n; i++) {
            float[] z = logits[i];
            double max = Double.NEGATIVE_INFINITY;
            int arg = 0;
            for (int c = 0; c < k; c++) if (z[c] > max) { max = z[c]; arg = c; }
            double se = 0;
            for (int c = 0; c < k; c++) se += Math.exp(z[c] - max);
            loss += -(z[labels[i]] - max - Math.log(se));
            support[labels[i]]++;
            if (arg == labels[i]) { ok++; hit[arg]++; }
        }
        double[] rec = new double[k];
        for (int c = 0; c < k; c++) rec[c] = support[c] == 0 ? Double.NaN : hit[c] / (double) support[c];
        return new Scores(logits, labels, loss / n, ok / (double) n, rec);
    }
}
