package org.pneumoscope.eval;

import org.pneumoscope.core.Label;
import org.pneumoscope.core.Ranks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Evaluates three-class predictions (bacteria, virus, normal) against the truth. Either call
 * {@link #of(int[], float[][], String[], String[])} with everything at once, or collect predictions batch by
 * batch in an {@link Accumulator} and aggregate at the end (the Tribuo/MONAI "metric" pattern).
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>The predicted class is the argmax of the probabilities; ties go to the lower index.</li>
 *   <li>Precision of a class never predicted is 0 (scikit-learn {@code zero_division=0}).</li>
 *   <li>Recall, F1 and AUC of a class absent from the data are undefined (NaN, JSON null) in its own row. The
 *       macro averages of precision, recall and F1 run over the classes that are present or predicted, as
 *       scikit-learn's (labels = the union of true and predicted; {@code zero_division=0}): a class predicted but
 *       absent counts with 0, so predictions of a class that is not there lower the average instead of vanishing.
 *       A class neither present nor predicted is left out. Weighted averages use the support as weight, so an
 *       absent class has no weight anyway.</li>
 *   <li>AUC is one-vs-rest on the class probability, computed exactly (Mann-Whitney, ties count ½);
 *       NaN when only one side is present. Macro AUC averages the defined per-class AUCs.</li>
 *   <li>ECE uses 15 equal-width bins on the top-class probability; log loss clips probabilities at 1e-15;
 *       Brier is the multi-class sum of squares (0 = perfect, 2 = worst).</li>
 *   <li>Binary views: pneumonia-vs-normal scores p(bacteria)+p(virus); bacterial-vs-viral takes only images
 *       whose true label is a pneumonia and scores p(bacteria)/(p(bacteria)+p(virus)) (½ when both are 0).
 *       Both call a score ≥ 0.5 positive, which for bacterial-vs-viral is the argmax of p(bacteria), p(virus).</li>
 *   <li>95 % intervals: percentile bootstrap over patients ({@link PatientBootstrap}); replicates where a
 *       statistic is undefined are skipped for that statistic.</li>
 * </ul>
 */
public final class Evaluation {
    /** Class names in label order. */
    public static final List<String> CLASSES = List.of(Label.ids());
    /** Threshold on the binary scores. */
    public static final double BINARY_THRESHOLD = 0.5;
    /** How far a probability row may sum from 1 before it is rejected (float softmax outputs drift a little). */
    static final double ROW_SUM_TOLERANCE = 1e-3;

    private static final int K = Label.COUNT;

    private Evaluation() {}

    /** Evaluates with {@link BootstrapConfig#DEFAULT} (1000 patient resamples, seed 42). */
    public static EvaluationResult of(int[] trueLabels, float[][] probabilities, String[] patientIds, String[] files) {
        return of(trueLabels, probabilities, patientIds, files, BootstrapConfig.DEFAULT);
    }

    /**
     * @param trueLabels    class index per image (0 bacteria, 1 virus, 2 normal)
     * @param probabilities n×3 softmax outputs, rows summing to 1
     * @param patientIds    patient per image for the bootstrap; null (or null entries) = each image its own patient
     * @param files         image names used in error messages; may be null
     * @throws IllegalArgumentException on empty input, mismatched lengths, labels out of range or rows that are
     *                                  not probabilities (the message names the image)
     */
    public static EvaluationResult of(int[] trueLabels, float[][] probabilities, String[] patientIds, String[] files,
                                      BootstrapConfig bootstrap) {
        validate(trueLabels, probabilities, patientIds, files);
        return new Computation(trueLabels, probabilities, new PatientBootstrap(patientIds, trueLabels.length))
                .result(bootstrap);
    }

    /**
     * Macro-F1 of the arg-max predictions of {@code scores} (logits or probabilities, one row per image), with the
     * conventions of a full evaluation (classes neither in {@code labels} nor predicted left out; NaN for no images), without
     * its bootstrap: cheap enough to score a validation split in passing.
     */
    public static double macroF1(int[] labels, float[][] scores) {
        int[][] cm = new int[K][K];
        for (int i = 0; i < labels.length; i++) cm[labels[i]][Metrics.argmax(scores[i])]++;
        return Computation.macro(Computation.perClass(cm), 3);
    }

    /** A new empty accumulator. */
    public static Accumulator accumulator() { return new Accumulator(); }

    /** Collects predictions (e.g. per batch) and evaluates them all at the end. Not thread-safe. */
    public static final class Accumulator {
        private final List<Integer> labels = new ArrayList<>();
        private final List<float[]> probabilities = new ArrayList<>();
        private final List<String> patients = new ArrayList<>();
        private final List<String> files = new ArrayList<>();

        private Accumulator() {}

        /** Adds one image's truth and predicted probabilities (copied). */
        public Accumulator add(int trueLabel, float[] probabilities, String patientId, String file) {
            String name = file == null ? "image " + labels.size() : file;
            checkRow(trueLabel, probabilities, name);
            labels.add(trueLabel);
            this.probabilities.add(probabilities.clone());
            patients.add(patientId);
            files.add(file);
            return this;
        }

        /** Adds a batch; {@code patientIds} and {@code files} may be null. */
        public Accumulator addAll(int[] trueLabels, float[][] probabilities, String[] patientIds, String[] files) {
            if (trueLabels.length != probabilities.length) throw new IllegalArgumentException(
                    "batch has " + trueLabels.length + " labels but " + probabilities.length + " probability rows");
            for (int i = 0; i < trueLabels.length; i++)
                add(trueLabels[i], probabilities[i], patientIds == null ? null : patientIds[i],
                        files == null ? null : files[i]);
            return this;
        }

        public int size() { return labels.size(); }

        public int[] labels() { return labels.stream().mapToInt(Integer::intValue).toArray(); }

        public float[][] probabilities() { return probabilities.toArray(new float[0][]); }

        public String[] patientIds() { return patients.toArray(new String[0]); }

        public String[] files() { return files.toArray(new String[0]); }

        public EvaluationResult evaluate() { return evaluate(BootstrapConfig.DEFAULT); }

        public EvaluationResult evaluate(BootstrapConfig bootstrap) {
            return Evaluation.of(labels(), probabilities(), patientIds(), files(), bootstrap);
        }

        /** Writes predictions.csv (atomically) for what has been added so far. */
        public void writePredictions(Path csv) throws IOException {
            PredictionsCsv.write(csv, files(), labels(), probabilities(), patientIds());
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    static void validate(int[] labels, float[][] probabilities, String[] patientIds, String[] files) {
        if (labels == null || probabilities == null) throw new IllegalArgumentException("labels and probabilities are required");
        if (labels.length == 0) throw new IllegalArgumentException("nothing to evaluate: no predictions");
        if (labels.length != probabilities.length) throw new IllegalArgumentException(
                labels.length + " labels but " + probabilities.length + " probability rows");
        if (patientIds != null && patientIds.length != labels.length) throw new IllegalArgumentException(
                labels.length + " labels but " + patientIds.length + " patient ids");
        if (files != null && files.length != labels.length) throw new IllegalArgumentException(
                labels.length + " labels but " + files.length + " file names");
        for (int i = 0; i < labels.length; i++)
            checkRow(labels[i], probabilities[i], files != null && files[i] != null ? files[i] : "image " + i);
    }

    static void checkRow(int label, float[] p, String name) {
        if (label < 0 || label >= K)
            throw new IllegalArgumentException(name + ": true label " + label + " is not 0 (bacteria), 1 (virus) or 2 (normal)");
        if (p == null || p.length != K)
            throw new IllegalArgumentException(name + ": expected " + K + " probabilities, got " + (p == null ? "none" : p.length));
        double sum = 0;
        for (float v : p) {
            if (!Float.isFinite(v) || v < -1e-6f || v > 1 + 1e-6f)
                throw new IllegalArgumentException(name + ": probability " + v + " is not in [0,1]");
            sum += v;
        }
        if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE)
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "%s: probabilities sum to %.4f, expected 1 (pass softmax outputs, not logits)", name, sum));
    }

    /** The prepared data plus every metric as a function of image weights (null = each image once). */
    static final class Computation {
        final int n;
        final int[] y, pred;
        final float[][] p;
        final PatientBootstrap units;
        final double[][] classScore;   // [k][i] = p_k of image i
        final int[][] classOrder;      // images sorted by ascending p_k
        final boolean[][] isClass;     // [k][i] = y_i == k
        final double[] pvnScore;       // p0 + p1
        final boolean[] pvnPositive;   // y in {bacteria, virus}
        final int[] pvnOrder;
        final double[] bvvScore;       // p0 / (p0 + p1)
        final boolean[] bvvPositive;   // y == bacteria
        final int[] bvvOrder;          // only images with a pneumonia label

        Computation(int[] labels, float[][] probabilities, PatientBootstrap units) {
            n = labels.length;
            y = labels.clone();
            p = probabilities;
            this.units = units;
            pred = new int[n];
            for (int i = 0; i < n; i++) pred[i] = Metrics.argmax(p[i]);
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            classScore = new double[K][n];
            isClass = new boolean[K][n];
            classOrder = new int[K][];
            for (int k = 0; k < K; k++) {
                for (int i = 0; i < n; i++) {
                    classScore[k][i] = p[i][k];
                    isClass[k][i] = y[i] == k;
                }
                classOrder[k] = Ranks.sortedByScore(all, classScore[k]);
            }
            pvnScore = new double[n];
            pvnPositive = new boolean[n];
            bvvScore = new double[n];
            bvvPositive = new boolean[n];
            int pneumonias = 0;
            for (int i = 0; i < n; i++) {
                double b = p[i][0], v = p[i][1];
                // sum in float like the model would, so p0+p1 of a row (0.25,0.25,0.5) is exactly 0.5
                pvnScore[i] = (float) (p[i][0] + p[i][1]);
                pvnPositive[i] = y[i] != Label.NORMAL.index();
                bvvScore[i] = b + v > 0 ? b / (b + v) : 0.5;
                bvvPositive[i] = y[i] == Label.BACTERIA.index();
                if (pvnPositive[i]) pneumonias++;
            }
            pvnOrder = Ranks.sortedByScore(all, pvnScore);
            int[] pneu = new int[pneumonias];
            for (int i = 0, j = 0; i < n; i++) if (pvnPositive[i]) pneu[j++] = i;
            bvvOrder = Ranks.sortedByScore(pneu, bvvScore);
        }

        static int w(int[] weight, int i) { return weight == null ? 1 : weight[i]; }

        int[][] confusion(int[] weight) {
            int[][] cm = new int[K][K];
            for (int i = 0; i < n; i++) cm[y[i]][pred[i]] += w(weight, i);
            return cm;
        }

        /** tp, fn, fp, tn of a binary view. */
        int[] binaryCounts(int[] order, double[] score, boolean[] positive, int[] weight) {
            int[] c = new int[4];
            for (int i : order) {
                boolean predPos = score[i] >= BINARY_THRESHOLD;
                int wi = w(weight, i);
                if (positive[i]) c[predPos ? 0 : 1] += wi; else c[predPos ? 2 : 3] += wi;
            }
            return c;
        }

        static double ratio(double num, double den) { return den == 0 ? Double.NaN : num / den; }

        /** Per-class precision, recall, specificity, F1 from a confusion matrix. Row k: [p, r, spec, f1, support, predicted]. */
        static double[][] perClass(int[][] cm) {
            long total = 0;
            for (int[] row : cm) for (int c : row) total += c;
            double[][] out = new double[K][6];
            for (int k = 0; k < K; k++) {
                int tp = cm[k][k], support = 0, predicted = 0;
                for (int j = 0; j < K; j++) {
                    support += cm[k][j];
                    predicted += cm[j][k];
                }
                int fp = predicted - tp;
                long tn = total - support - fp;
                double precision = predicted == 0 ? 0.0 : (double) tp / predicted;
                double recall = ratio(tp, support);
                double specificity = ratio(tn, tn + fp);
                double f1 = Double.isNaN(recall) ? Double.NaN
                        : precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
                out[k] = new double[]{precision, recall, specificity, f1, support, predicted};
            }
            return out;
        }

        static double accuracy(int[][] cm) {
            long total = 0, hit = 0;
            for (int k = 0; k < K; k++) for (int j = 0; j < K; j++) {
                total += cm[k][j];
                if (k == j) hit += cm[k][j];
            }
            return ratio(hit, total);
        }

        /**
         * Mean of column {@code col} over the classes present or predicted; a predicted but absent class, whose
         * recall and F1 are undefined, counts with 0 (scikit-learn's macro average with {@code zero_division=0}).
         */
        static double macro(double[][] pc, int col) {
            double s = 0;
            int m = 0;
            for (double[] r : pc) {
                if (r[4] == 0 && r[5] == 0) continue;
                s += Double.isNaN(r[col]) ? 0 : r[col];
                m++;
            }
            return m == 0 ? Double.NaN : s / m;
        }

        static double weighted(double[][] pc, int col) {
            double s = 0, total = 0;
            for (double[] r : pc) if (r[4] > 0) { s += r[4] * r[col]; total += r[4]; }
            return total == 0 ? Double.NaN : s / total;
        }

        double classAuc(int k, int[] weight) {
            return Ranks.weightedAuc(classOrder[k], classScore[k], isClass[k], weight);
        }

        double macroAuc(int[] weight) {
            double s = 0;
            int m = 0;
            for (int k = 0; k < K; k++) {
                double a = classAuc(k, weight);
                if (!Double.isNaN(a)) { s += a; m++; }
            }
            return m == 0 ? Double.NaN : s / m;
        }

        /** [accuracy, sensitivity, specificity, auc] of a binary view. */
        double[] binaryStats(int[] order, double[] score, boolean[] positive, int[] weight) {
            int[] c = binaryCounts(order, score, positive, weight);
            return new double[]{ratio(c[0] + c[3], c[0] + c[1] + c[2] + c[3]), ratio(c[0], c[0] + c[1]),
                    ratio(c[3], c[2] + c[3]), Ranks.weightedAuc(order, score, positive, weight)};
        }

        EvaluationResult result(BootstrapConfig bootstrap) {
            int[][] cm = confusion(null);
            double[][] pc = perClass(cm);

            // --- bootstrap: all statistics from the same replicates -------------------------------------------
            int reps = bootstrap.replicates();
            double[] accR = new double[reps], f1R = new double[reps], aucR = new double[reps];
            double[][] recallR = new double[K][reps];
            double[][] pvnR = new double[4][reps], bvvR = new double[4][reps];
            SplittableRandom rng = new SplittableRandom(bootstrap.seed());
            for (int r = 0; r < reps; r++) {
                int[] w = units.sampleWeights(rng);
                int[][] rcm = confusion(w);
                double[][] rpc = perClass(rcm);
                accR[r] = accuracy(rcm);
                f1R[r] = macro(rpc, 3);
                for (int k = 0; k < K; k++) recallR[k][r] = rpc[k][1];
                aucR[r] = macroAuc(w);
                double[] a = binaryStats(pvnOrder, pvnScore, pvnPositive, w);
                double[] b = binaryStats(bvvOrder, bvvScore, bvvPositive, w);
                for (int s = 0; s < 4; s++) { pvnR[s][r] = a[s]; bvvR[s][r] = b[s]; }
            }

            List<ClassMetrics> classes = new ArrayList<>(K);
            List<RocCurve> roc = new ArrayList<>(K);
            for (int k = 0; k < K; k++) {
                int support = (int) pc[k][4], tp = cm[k][k];
                int predicted = 0;
                for (int j = 0; j < K; j++) predicted += cm[j][k];
                int fp = predicted - tp, fn = support - tp, tn = n - tp - fn - fp;
                classes.add(new ClassMetrics(CLASSES.get(k), support, tp, fn, fp, tn,
                        pc[k][0], pc[k][1], pc[k][2], pc[k][3], classAuc(k, null), Metrics.percentile95(recallR[k])));
                roc.add(RocCurve.of(CLASSES.get(k), isClass[k], classScore[k]));
            }

            BinaryMetrics pvn = binary("pneumonia_vs_normal", "pneumonia", "normal", pvnOrder, pvnScore, pvnPositive, pvnR);
            BinaryMetrics bvv = binary("bacterial_vs_viral", "bacteria", "virus", bvvOrder, bvvScore, bvvPositive, bvvR);
            ReliabilityDiagram rel = ReliabilityDiagram.of(p, y, Metrics.ECE_BINS);

            return new EvaluationResult(n, units.patients(), CLASSES,
                    accuracy(cm), macro(pc, 0), macro(pc, 1), macro(pc, 3),
                    weighted(pc, 0), weighted(pc, 1), weighted(pc, 3),
                    cm, classes, macroAuc(null), rel.ece(), Metrics.logLoss(y, p), Metrics.brier(y, p),
                    pvn, bvv,
                    Metrics.percentile95(accR), Metrics.percentile95(f1R), Metrics.percentile95(aucR), bootstrap,
                    rel, roc);
        }

        BinaryMetrics binary(String name, String pos, String neg, int[] order, double[] score, boolean[] positive,
                             double[][] reps) {
            int[] c = binaryCounts(order, score, positive, null);
            double[] s = binaryStats(order, score, positive, null);
            return new BinaryMetrics(name, pos, neg, order.length, c[0], c[1], c[2], c[3], BINARY_THRESHOLD,
                    s[0], s[1], s[2], s[3],
                    Metrics.percentile95(reps[0]), Metrics.percentile95(reps[1]),
                    Metrics.percentile95(reps[2]), Metrics.percentile95(reps[3]));
        }
    }
}
