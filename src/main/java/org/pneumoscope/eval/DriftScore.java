package org.pneumoscope.eval;

import org.pneumoscope.core.Label;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shift alarm: do a window of films differ from the validation films a model was fitted on? Models trained here
 * lose accuracy on films from another acquisition batch, and that shows first in the pooled features the head reads.
 *
 * <p>Score of a window of n films: the mean over feature channels of ((window mean − reference mean) / (reference SD /
 * √n))², a standardised squared mean shift (about 1 when nothing changed). An SD below {@value #SD_FLOOR} of the median
 * channel's is raised to that: channels the validation films barely used (a few small activations among zeros, or none)
 * would otherwise turn one new film's modest activation into a standardised shift of hundreds and raise the alarm on
 * their own; the floor weighs them like an ordinary channel.
 *
 * <p>Threshold for that n: the {@value #QUANTILE} quantile of the scores of {@value #RESAMPLES} windows of n films
 * drawn with replacement from the reference films (fixed seed), times (N + n) / (N − 1) for N reference films. The
 * factor is there because the reference mean is itself an estimate from N films: a fresh window from the same source
 * differs from it by both sampling errors, variance σ²(1/n + 1/N), where a resample differs only by its own,
 * σ²(N − 1)/(N·n). Without it a window of 200 films against 500 validation films would raise the alarm most of the
 * time with nothing changed. At the 99th percentile, a check repeated on a few overlapping windows stays well under a
 * 5 % false-alarm rate.
 *
 * <p>Thread-safe: thresholds are computed once per window size and kept.
 */
public final class DriftScore {
    /** Fewer films say too little about a mean to judge a shift. */
    public static final int MIN_WINDOW = 20;
    public static final int RESAMPLES = 500;
    public static final double QUANTILE = 0.99;
    static final long SEED = 42;
    public static final String ALARM = "these films differ from the training films; run `pneumoscope adapt`, "
            + "or `pneumoscope calibrate` with ~60 labelled films from this site, and score the result on labelled films "
            + "from this site before relying on it (adapting without labels has also cost accuracy)";
    public static final String NO_REFERENCE = "no shift reference in this run";
    static final String QUIET = "no shift detected";
    /** What {@code estimated_accuracy} is, for readers of the JSON. */
    public static final String ESTIMATE_METHOD = "average thresholded confidence (negative entropy) fitted on the "
            + "validation films; rough, see docs/recipe.md";

    /** Smallest SD a channel is judged by, as a fraction of the median channel SD. */
    public static final double SD_FLOOR = 0.1;

    private final ShiftReference ref;
    /** How much of the films the model is likely to get right; null when the reference holds no labelled films. */
    private final AccuracyEstimate estimate;
    /** Every channel, or none when most never vary over the reference films (a median SD of 0). */
    private final int[] channels;
    /** The reference SD per channel, raised to the floor. */
    private final double[] scale;
    private final Map<Integer, Double> thresholds = new ConcurrentHashMap<>();

    public DriftScore(ShiftReference ref) {
        this(ref, null);
    }

    /** @param estimate the label-free accuracy estimate to report with each check, or null for none */
    public DriftScore(ShiftReference ref, AccuracyEstimate estimate) {
        this.ref = ref;
        this.estimate = estimate;
        double[] sd = ref.channelSd();
        double[] sorted = sd.clone();
        Arrays.sort(sorted);
        double floor = SD_FLOOR * sorted[sorted.length / 2];
        this.scale = Arrays.stream(sd).map(v -> Math.max(v, floor)).toArray();
        this.channels = floor > 0 ? java.util.stream.IntStream.range(0, sd.length).toArray() : new int[0];
    }

    public ShiftReference reference() { return ref; }

    /** Channels the score averages over: all of them, unless most never vary over the reference films (then none). */
    public int usableChannels() { return channels.length; }

    /** The score of a window of films' pooled features (one row per film). */
    public double score(float[][] window) {
        for (float[] f : window)
            if (f.length != ref.channels())
                throw new IllegalArgumentException("a film has " + f.length + " features; the shift reference has " + ref.channels()
                        + " (a reference of another model?)");
        double[] mean = new double[ref.channels()];
        for (float[] f : window) for (int c : channels) mean[c] += f[c];
        for (int c : channels) mean[c] /= window.length;
        return scoreOfMean(mean, window.length);
    }

    private double scoreOfMean(double[] mean, int n) {
        double[] mu = ref.channelMean();
        double s = 0;
        for (int c : channels) {
            double z = (mean[c] - mu[c]) / scale[c];
            s += z * z;
        }
        return n * s / channels.length;
    }

    /**
     * How far one film's features lie from the reference films' mean: the score of a window of that film alone. The
     * reference films' own values give its scale ({@link #typicalLimit}).
     */
    public double atypicality(float[] film) {
        if (channels.length == 0) return Double.NaN;
        double[] f = new double[ref.channels()];
        for (int c : channels) f[c] = film[c];
        return scoreOfMean(f, 1);
    }

    /** The {@code quantile} (0..1) of the reference films' own {@link #atypicality}. */
    public double typicalLimit(double quantile) {
        float[][] films = ref.features();
        double[] a = new double[films.length];
        for (int i = 0; i < a.length; i++) a[i] = atypicality(films[i]);
        Arrays.sort(a);
        return a[Math.min(a.length - 1, (int) Math.ceil(quantile * a.length) - 1)];
    }

    /** The alarm threshold for windows of {@code n} films (see the class comment); n ≥ 1, reference of ≥ 2 films. */
    public double threshold(int n) {
        if (n < 1) throw new IllegalArgumentException("a window needs at least one film, got " + n);
        if (ref.films() < 2) throw new IllegalArgumentException("a threshold needs a reference of at least 2 films");
        return thresholds.computeIfAbsent(n, this::resampledThreshold);
    }

    private double resampledThreshold(int n) {
        float[][] films = ref.features();
        int big = films.length;
        SplittableRandom rng = new SplittableRandom(SEED * 1_000_003L + n);
        double[] scores = new double[RESAMPLES], mean = new double[ref.channels()];
        for (int b = 0; b < RESAMPLES; b++) {
            Arrays.fill(mean, 0);
            for (int i = 0; i < n; i++) {
                float[] f = films[rng.nextInt(big)];
                for (int c : channels) mean[c] += f[c];
            }
            for (int c : channels) mean[c] /= n;
            scores[b] = scoreOfMean(mean, n);
        }
        Arrays.sort(scores);
        double q = scores[(int) Math.ceil(QUANTILE * RESAMPLES) - 1];
        return q * (big + n) / (big - 1.0);
    }

    /** {@link #check(float[][], float[][], boolean)} of films scored as the reference films were (mirror averaging or not). */
    public Result check(float[][] features, float[][] probabilities) {
        return check(features, probabilities, ref.tta());
    }

    /**
     * The check of one window: its films' pooled features and calibrated probabilities, in the same order. Below
     * {@link #MIN_WINDOW} films (in the window or in the reference) it judges nothing and never alarms. Films scored
     * otherwise than the reference films ({@code tta} differs) get no accuracy estimate: mirror averaging changes
     * how sure the answers are, and the estimate's threshold was fitted without it, or with it.
     */
    public Result check(float[][] features, float[][] probabilities, boolean tta) {
        int n = features.length;
        double[] mix = ShiftReference.classMix(probabilities);
        double conf = ShiftReference.meanConfidence(probabilities);
        String unjudged = n < MIN_WINDOW ? "too few films to judge (" + n + ")"
                : ref.films() < MIN_WINDOW ? "the shift reference holds " + ref.films() + " validation films, too few to judge"
                : channels.length == 0 ? "most features of the shift reference never vary over its films" : null;
        if (unjudged != null)
            return new Result(n, Double.NaN, Double.NaN, false, mix, ref.classMix(), conf, ref.meanConfidence(), unjudged,
                    Double.NaN, Double.NaN);
        double s = score(features), t = threshold(n);
        boolean alarm = s > t, estimable = estimate != null && tta == ref.tta();
        return new Result(n, s, t, alarm, mix, ref.classMix(), conf, ref.meanConfidence(), alarm ? ALARM : QUIET,
                estimable ? estimate.estimate(probabilities) : Double.NaN,
                estimable ? estimate.validationAccuracy() : Double.NaN);
    }

    /**
     * The check of a window whose films may have been scored in different ways ({@code mirrored[i]}: film i with mirror
     * averaging), as a server's or a caller's window can be: the accuracy estimate only when all were scored alike.
     */
    public Result check(float[][] features, float[][] probabilities, boolean[] mirrored) {
        boolean first = mirrored.length > 0 && mirrored[0], mixed = false;
        for (boolean m : mirrored) mixed |= m != first;
        Result r = check(features, probabilities, first);
        return mixed ? r.withoutEstimate() : r;
    }

    /**
     * One window's check. Score and threshold are NaN when it judged nothing (too few films, no reference);
     * the class mixes and confidences are descriptive only, the alarm rests on the features.
     *
     * @param classMix            share of the window's films predicted as each class (Label order)
     * @param referenceMix        the same on the reference films; null without a reference
     * @param meanConfidence      mean largest probability over the window
     * @param referenceConfidence the same on the reference films; NaN without a reference
     * @param estimatedAccuracy   the label-free estimate of the share of the window's films the model gets right
     *                            ({@link AccuracyEstimate}); NaN when not judged or the reference has no labelled films
     * @param validationAccuracy  the model's measured accuracy on the validation films; NaN likewise
     */
    public record Result(int n, double score, double threshold, boolean alarm, double[] classMix, double[] referenceMix,
                         double meanConfidence, double referenceConfidence, String message, double estimatedAccuracy,
                         double validationAccuracy) {

        /** What a run without a reference reports for a window. */
        public static Result noReference(float[][] probabilities) {
            return new Result(probabilities.length, Double.NaN, Double.NaN, false, ShiftReference.classMix(probabilities),
                    null, ShiftReference.meanConfidence(probabilities), Double.NaN, NO_REFERENCE, Double.NaN, Double.NaN);
        }

        /** Whether score and threshold were computed. */
        public boolean judged() { return !Double.isNaN(score); }

        /** This result without the accuracy estimate: for a window whose films were scored in more than one way. */
        public Result withoutEstimate() {
            return new Result(n, score, threshold, alarm, classMix, referenceMix, meanConfidence, referenceConfidence, message,
                    Double.NaN, Double.NaN);
        }

        /** Whether the label-free accuracy estimate was made. */
        public boolean estimated() { return !Double.isNaN(estimatedAccuracy); }

        /** One line for a terminal: score, threshold, films, the accuracy estimate, and the message (the alarm's when it fires). */
        public String line() {
            if (!judged()) return "shift check: " + message;
            return String.format(Locale.ROOT, "shift check on %d films: score %.2f, alarm above %.2f; predicted %s %s "
                            + "(reference films %s), mean confidence %.2f (reference films %.2f)%s: %s%s",
                    n, score, threshold, String.join("/", Label.ids()), mix(classMix), mix(referenceMix), meanConfidence,
                    referenceConfidence, estimated() ? "; " + estimateText() : "", alarm ? "ALARM: " : "", message);
        }

        /** "label-free accuracy estimate 74 % (validation films 85 %; rough)", or "" when none was made. */
        public String estimateText() {
            if (!estimated()) return "";
            return String.format(Locale.ROOT, "label-free accuracy estimate %.0f %% (validation films %.0f %%; rough)",
                    100 * estimatedAccuracy, 100 * validationAccuracy);
        }

        /** "40/30/30 %": shares in Label order. */
        public static String mix(double[] m) {
            StringBuilder b = new StringBuilder();
            for (double v : m) b.append(b.length() == 0 ? "" : "/").append(String.format(Locale.ROOT, "%.0f", 100 * v));
            return b.append(" %").toString();
        }

        /** For JSON (metrics.json, /api/health): numbers that were not computed are null. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("score", finite(score));
            m.put("threshold", finite(threshold));
            m.put("window", n);
            m.put("alarm", alarm);
            m.put("message", message);
            m.put("class_mix", byClass(classMix));
            m.put("reference_class_mix", referenceMix == null ? null : byClass(referenceMix));
            m.put("mean_confidence", finite(meanConfidence));
            m.put("reference_mean_confidence", finite(referenceConfidence));
            m.put("estimated_accuracy", finite(estimatedAccuracy));
            m.put("validation_accuracy", finite(validationAccuracy));
            if (estimated()) m.put("estimate_method", ESTIMATE_METHOD);
            m.put("min_window", MIN_WINDOW);
            m.put("resamples", RESAMPLES);
            m.put("quantile", QUANTILE);
            return m;
        }

        private static Map<String, Object> byClass(double[] v) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Label l : Label.values()) m.put(l.id(), v[l.index()]);
            return m;
        }

        private static Double finite(double v) { return Double.isFinite(v) ? v : null; }
    }
}
