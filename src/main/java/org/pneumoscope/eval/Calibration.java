package org.pneumoscope.eval;

import com.fasterxml.jackson.annotation.JsonValue;
import org.pneumoscope.core.Choice;
import org.pneumoscope.core.Choices;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How a model's logits become the probabilities a user sees: softmax(z / T + b), with a temperature T and,
 * for {@code bias-corrected}, one offset per class (Alexandari, Kundaje and Shrikumar, ICML 2020: "bias-corrected
 * temperature scaling"), both fitted on held-out data to minimise the negative log-likelihood.
 *
 * <p>Why the offsets: training balances the classes (oversampling or class weights), so the network learns as if
 * each class were equally common, and its probabilities overstate the rarer classes. Temperature scaling cannot
 * undo that, since it only sharpens or flattens; the offsets restore the class frequencies of the held-out data
 * (they come out near log(frequency) differences). Unlike temperature they can change the predicted class: towards
 * the commoner class where the network was unsure.
 *
 * <p>The offsets are stored centred (they sum to 0); only their differences matter to softmax.
 */
public record Calibration(Method method, double temperature, double[] bias) {
    /** Fewer labelled images than this, and training keeps the identity, {@code calibrate} refuses. */
    public static final int MIN_IMAGES = 10;
    /** Offsets are kept inside ±this: a class missing from the fitting data would otherwise run off to −∞. */
    static final double MAX_BIAS = 20;

    public Calibration {
        if (method == null)
            throw new IllegalArgumentException("calibration must be one of " + Choices.known(Method.class) + ", not null");
        if (!(temperature > 0) || Double.isInfinite(temperature))
            throw new IllegalArgumentException("temperature must be a positive number, got " + temperature);
        if (bias != null) {
            for (double v : bias)
                if (!Double.isFinite(v)) throw new IllegalArgumentException("class offsets must be finite: " + Arrays.toString(bias));
            bias = bias.clone();
        }
    }

    /** The identity: probabilities are the plain softmax. */
    public static Calibration identity() {
        return new Calibration(Method.NONE, 1.0, null);
    }

    public static Calibration ofTemperature(double t) {
        return new Calibration(Method.TEMPERATURE, t, null);
    }

    /**
     * A config's {@code calibration}, a model card's {@code calibration_method}: what is fitted on held-out films.
     * Written as {@link #id()} ("bias-corrected"), the spelling every model.json and metrics.json holds.
     */
    public enum Method implements Choice {
        TEMPERATURE, BIAS_CORRECTED, NONE;

        @Override
        public List<String> aliases() {
            return this == BIAS_CORRECTED ? List.of("bias_corrected", "bcts", "temperature+bias") : List.of();
        }

        /** As written in YAML, JSON and log lines ("bias-corrected"). */
        @JsonValue
        @Override
        public String toString() { return id(); }
    }

    /** A method as written in configs and model cards ("temperature", "bias-corrected", "none"; any case); null when unknown. */
    public static Method parse(String s) {
        return Choices.find(Method.class, s);
    }

    /**
     * {@link #parse}, refused when unknown with a message naming {@code where} (a file or an option) and the methods
     * there are.
     */
    public static Method parse(String s, String where) {
        Method m = parse(s);
        if (m == null)
            throw new IllegalArgumentException(where + ": calibration method must be " + Choices.either(Method.class) + ", not '" + s + "'");
        return m;
    }

    @Override
    public double[] bias() {
        return bias == null ? null : bias.clone();
    }

    /** True when the class offsets are not all zero, i.e. this calibration can change the predicted class. */
    public boolean shiftsClasses() {
        if (bias == null) return false;
        for (double v : bias) if (v != 0) return true;
        return false;
    }

    /** Calibrated probabilities of one image. */
    public float[] probabilities(float[] logits) {
        if (bias == null) return Metrics.softmax(logits, temperature);
        if (bias.length != logits.length)
            throw new IllegalArgumentException(logits.length + " logits but " + bias.length + " class offsets");
        float[] a = new float[logits.length];
        for (int c = 0; c < a.length; c++) a[c] = (float) (logits[c] / temperature + bias[c]);
        return Metrics.softmax(a, 1.0);
    }

    /** Calibrated probabilities, one row per image. */
    public float[][] probabilities(float[][] logits) {
        float[][] p = new float[logits.length][];
        for (int i = 0; i < p.length; i++) p[i] = probabilities(logits[i]);
        return p;
    }

    /** Mean negative log-likelihood of {@code labels} under this calibration, from the logits (no clipping). */
    public double nll(float[][] logits, int[] labels) {
        TemperatureScaling.check(logits, labels);
        double[] b = bias == null ? new double[logits[0].length] : bias;
        return meanNll(logits, labels, 1 / temperature, b);
    }

    /** One line for logs: "T = 0.935" or "T = 1.082, offsets bacteria +0.31 virus -0.36 normal +0.05". */
    public String describe(List<String> classNames) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "T = %.3f", temperature));
        if (shiftsClasses()) {
            sb.append(", class offsets");
            for (int c = 0; c < bias.length; c++)
                sb.append(' ').append(c < classNames.size() ? classNames.get(c) : "class" + c)
                        .append(String.format(Locale.ROOT, " %+.3f", bias[c]));
        }
        return sb.toString();
    }

    /**
     * Fits {@code method} on held-out logits and labels: {@code none} is the identity, {@code temperature} the
     * single T of {@link TemperatureScaling#fit}, {@code bias-corrected} T and the class offsets jointly.
     */
    public static Calibration fit(Method method, float[][] logits, int[] labels) {
        return switch (method) {
            case NONE -> identity();
            case TEMPERATURE -> ofTemperature(TemperatureScaling.fit(logits, labels));
            case BIAS_CORRECTED -> fitBiasCorrected(logits, labels);
        };
    }

    /**
     * Minimises the mean NLL of softmax(β·z + b) over β = 1/T and b (b of the first class held at 0 while fitting,
     * then all centred). The NLL is convex in (β, b): it is a log-sum-exp of functions linear in them minus a linear
     * term. So Newton's method with a halving line search, started from the temperature-only fit, finds the global
     * minimum; its Hessian is the mean covariance, under the model's own probabilities, of each class's
     * (z_c, one-hot c) feature.
     */
    static Calibration fitBiasCorrected(float[][] logits, int[] labels) {
        TemperatureScaling.check(logits, labels);
        int k = logits[0].length, d = k;   // parameters: β, then b_1..b_{k-1}
        double[] th = new double[d];
        th[0] = 1 / TemperatureScaling.fit(logits, labels);
        double f = objective(logits, labels, th);
        double betaLo = 1 / TemperatureScaling.MAX_T, betaHi = 1 / TemperatureScaling.MIN_T;
        for (int it = 0; it < 100; it++) {
            double[] g = new double[d];
            double[][] h = new double[d][d];
            derivatives(logits, labels, th, g, h);
            double gn = 0;
            for (double v : g) gn = Math.max(gn, Math.abs(v));
            if (gn < 1e-10) break;
            for (int i = 0; i < d; i++) h[i][i] += 1e-9; // a class no image favours leaves a flat direction
            double[] step = solve(h, g);
            double t = 1;
            boolean moved = false;
            for (int ls = 0; ls < 40; ls++, t *= 0.5) {
                double[] cand = new double[d];
                for (int i = 0; i < d; i++) cand[i] = th[i] - t * step[i];
                cand[0] = Math.min(betaHi, Math.max(betaLo, cand[0]));
                for (int i = 1; i < d; i++) cand[i] = Math.min(MAX_BIAS, Math.max(-MAX_BIAS, cand[i]));
                double fc = objective(logits, labels, cand);
                if (fc < f) { th = cand; f = fc; moved = true; break; }
            }
            if (!moved) break;
        }
        double[] b = new double[k];
        for (int c = 1; c < k; c++) b[c] = th[c];
        double mean = Arrays.stream(b).average().orElse(0);
        for (int c = 0; c < k; c++) b[c] -= mean;
        return new Calibration(Method.BIAS_CORRECTED, 1 / th[0], b);
    }

    private static double objective(float[][] z, int[] y, double[] th) {
        double[] b = new double[z[0].length];
        for (int c = 1; c < b.length; c++) b[c] = th[c];
        return meanNll(z, y, th[0], b);
    }

    private static double meanNll(float[][] z, int[] y, double beta, double[] b) {
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < b.length; c++) max = Math.max(max, beta * z[i][c] + b[c]);
            double s = 0;
            for (int c = 0; c < b.length; c++) s += Math.exp(beta * z[i][c] + b[c] - max);
            sum += max + Math.log(s) - (beta * z[i][y[i]] + b[y[i]]);
        }
        return sum / z.length;
    }

    /** Gradient and Hessian of the mean NLL at θ = (β, b_1..b_{k-1}). */
    private static void derivatives(float[][] z, int[] y, double[] th, double[] g, double[][] h) {
        int k = z[0].length, d = th.length, n = z.length;
        double[] b = new double[k];
        for (int c = 1; c < k; c++) b[c] = th[c];
        double[] p = new double[k];
        double[] ef = new double[d];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) max = Math.max(max, th[0] * z[i][c] + b[c]);
            double s = 0;
            for (int c = 0; c < k; c++) s += (p[c] = Math.exp(th[0] * z[i][c] + b[c] - max));
            for (int c = 0; c < k; c++) p[c] /= s;
            // feature of class c: (z_c, e_c without class 0); E_p of it, and the label's own feature
            Arrays.fill(ef, 0);
            for (int c = 0; c < k; c++) {
                ef[0] += p[c] * z[i][c];
                if (c > 0) ef[c] += p[c];
            }
            g[0] += ef[0] - z[i][y[i]];
            for (int c = 1; c < k; c++) g[c] += ef[c] - (y[i] == c ? 1 : 0);
            // covariance: E_p[φ φᵀ] − E_p[φ] E_p[φ]ᵀ
            for (int c = 0; c < k; c++) {
                double zc = z[i][c];
                h[0][0] += p[c] * zc * zc;
                if (c > 0) {
                    h[0][c] += p[c] * zc;
                    h[c][c] += p[c];
                }
            }
            for (int a = 0; a < d; a++)
                for (int bb = 0; bb < d; bb++) h[a][bb] -= ef[a] * ef[bb];
        }
        for (int c = 1; c < d; c++) h[c][0] = h[0][c]; // E_p[φφᵀ] was summed into the first row only
        for (int a = 0; a < d; a++) {
            g[a] /= n;
            for (int bb = 0; bb < d; bb++) h[a][bb] /= n;
        }
    }

    /** Solves h·x = g by Gaussian elimination with partial pivoting (h is small and symmetric positive definite). */
    static double[] solve(double[][] h, double[] g) {
        int d = g.length;
        double[][] a = new double[d][d + 1];
        for (int i = 0; i < d; i++) {
            System.arraycopy(h[i], 0, a[i], 0, d);
            a[i][d] = g[i];
        }
        for (int col = 0; col < d; col++) {
            int piv = col;
            for (int r = col + 1; r < d; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
            double[] tmp = a[col]; a[col] = a[piv]; a[piv] = tmp;
            if (Math.abs(a[col][col]) < 1e-300) continue;
            for (int r = 0; r < d; r++) {
                if (r == col) continue;
                double f = a[r][col] / a[col][col];
                for (int c = col; c <= d; c++) a[r][c] -= f * a[col][c];
            }
        }
        double[] x = new double[d];
        for (int i = 0; i < d; i++) x[i] = Math.abs(a[i][i]) < 1e-300 ? 0 : a[i][d] / a[i][i];
        return x;
    }
}
