package org.pneumoscope.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import org.pneumoscope.core.Draws;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.Ranks;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Loss pieces, kept small and in one place so tests can check them against hand computation. */
public final class Losses {
    private Losses() {}

    /** One-hot targets with label smoothing ε: (1-ε) on the true class plus ε/K everywhere. */
    public static float[] targets(int[] labels, double smoothing) {
        int k = Label.COUNT;
        float[] t = new float[labels.length * k];
        float off = (float) (smoothing / k), on = (float) (1 - smoothing) + off;
        for (int i = 0; i < labels.length; i++)
            for (int c = 0; c < k; c++) t[i * k + c] = c == labels[i] ? on : off;
        return t;
    }

    /** Mean over the batch of w_i · (−Σ_c t_ic log softmax(z_i)_c): Keras' class_weight semantics. */
    public static NDArray softCrossEntropy(NDArray logits, NDArray targets, NDArray sampleWeights) {
        return logits.logSoftmax(1).mul(targets).sum(new int[] {1}).neg().mul(sampleWeights).mean();
    }

    /** Σ w² over the given weights (Keras' L2 regulariser before its factor). Results live in {@code sub}. */
    public static NDArray l2(List<Parameter> params, NDManager sub) {
        NDArray total = null;
        for (Parameter p : params) {
            NDArray s = p.getArray().square().sum();
            s.attach(sub);
            total = total == null ? s : total.add(s);
        }
        return total;
    }

    public static int correct(NDArray logits, int[] labels) {
        long[] pred = logits.argMax(1).toLongArray();
        int ok = 0;
        for (int i = 0; i < labels.length; i++) if (pred[i] == labels[i]) ok++;
        return ok;
    }

    public record Mixed(float[] data, float[] targets, int[] dominant) {}

    /** mixup (Zhang et al. 2018): convex mix of pairs with λ ~ Beta(α, α), λ ≥ 0.5 so the first image dominates. */
    public static Mixed mixup(float[] data, float[] targets, int n, double alpha, Random rng) {
        double lam = Draws.beta(alpha, rng);
        lam = Math.max(lam, 1 - lam);
        int[] perm = Draws.permutation(n, rng);
        int per = data.length / n, k = Label.COUNT;
        float[] x = new float[data.length], t = new float[targets.length];
        int[] dom = new int[n];
        float a = (float) lam, b = (float) (1 - lam);
        for (int i = 0; i < n; i++) {
            int j = perm[i];
            for (int p = 0; p < per; p++) x[i * per + p] = a * data[i * per + p] + b * data[j * per + p];
            for (int c = 0; c < k; c++) t[i * k + c] = a * targets[i * k + c] + b * targets[j * k + c];
            dom[i] = Ranks.argmax(Arrays.copyOfRange(t, i * k, (i + 1) * k));
        }
        return new Mixed(x, t, dom);
    }
}
