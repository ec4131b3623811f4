package org.pneumoscope.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything {@link Evaluation} measured. Undefined values are NaN here and null in JSON; see
 * {@link Evaluation} for the conventions.
 *
 * @param n               images evaluated
 * @param patients        distinct patients (the bootstrap's resampling units)
 * @param classes         class names in label order: bacteria, virus, normal
 * @param confusionMatrix counts, rows = true class, columns = predicted class
 * @param macroF1         unweighted mean F1 over the classes present in the data or predicted (a predicted but absent class counts 0)
 * @param weightedF1      support-weighted mean F1
 * @param macroAuc        mean of the defined one-vs-rest AUCs
 * @param ece             expected calibration error, 15 bins
 * @param logLoss         mean negative log-likelihood of the true class
 * @param brier           multi-class Brier score
 * @param accuracyCi      95 % patient-bootstrap interval of accuracy (likewise macroF1Ci, macroAucCi)
 * @param reliability     reliability diagram data behind {@code ece}
 * @param roc             one-vs-rest ROC curve per class, in class order
 */
public record EvaluationResult(
        int n, int patients, List<String> classes,
        double accuracy, double macroPrecision, double macroRecall, double macroF1,
        double weightedPrecision, double weightedRecall, double weightedF1,
        int[][] confusionMatrix, List<ClassMetrics> perClass,
        double macroAuc, double ece, double logLoss, double brier,
        BinaryMetrics pneumoniaVsNormal, BinaryMetrics bacterialVsViral,
        Interval accuracyCi, Interval macroF1Ci, Interval macroAucCi, BootstrapConfig bootstrap,
        ReliabilityDiagram reliability, List<RocCurve> roc) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public EvaluationResult {
        classes = List.copyOf(classes);
        perClass = List.copyOf(perClass);
        roc = List.copyOf(roc);
    }

    /** Metrics of the named class ("bacteria", "virus", "normal"). */
    public ClassMetrics perClass(String name) {
        for (ClassMetrics c : perClass) if (c.name().equals(name)) return c;
        throw new IllegalArgumentException("no class named '" + name + "'; classes are " + classes);
    }

    /** Row-normalised confusion matrix (each true-class row sums to 1; NaN row for an absent class). */
    public double[][] confusionMatrixNormalised() {
        double[][] out = new double[confusionMatrix.length][];
        for (int i = 0; i < out.length; i++) {
            int[] row = confusionMatrix[i];
            long sum = 0;
            for (int c : row) sum += c;
            out[i] = new double[row.length];
            for (int j = 0; j < row.length; j++) out[i][j] = sum == 0 ? Double.NaN : (double) row[j] / sum;
        }
        return out;
    }

    /** The result as a JSON tree; NaN becomes null, an undefined interval becomes null. */
    public ObjectNode toJsonNode() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("n", n);
        root.put("patients", patients);
        ArrayNode cls = root.putArray("classes");
        classes.forEach(cls::add);
        num(root, "accuracy", accuracy);
        num(root, "macro_precision", macroPrecision);
        num(root, "macro_recall", macroRecall);
        num(root, "macro_f1", macroF1);
        num(root, "weighted_precision", weightedPrecision);
        num(root, "weighted_recall", weightedRecall);
        num(root, "weighted_f1", weightedF1);
        ArrayNode cm = root.putArray("confusion_matrix");
        for (int[] row : confusionMatrix) {
            ArrayNode r = cm.addArray();
            for (int c : row) r.add(c);
        }
        ObjectNode pc = root.putObject("per_class");
        for (ClassMetrics c : perClass) {
            ObjectNode o = pc.putObject(c.name());
            num(o, "precision", c.precision());
            num(o, "recall", c.recall());
            num(o, "specificity", c.specificity());
            num(o, "f1", c.f1());
            num(o, "auc", c.auc());
            o.put("support", c.support());
            o.put("tp", c.tp());
            o.put("fn", c.fn());
            o.put("fp", c.fp());
            o.put("tn", c.tn());
            interval(o, "recall_ci95", c.recallCi());
        }
        num(root, "macro_auc", macroAuc);
        num(root, "ece", ece);
        root.put("ece_bins", reliability.bins().size());
        num(root, "log_loss", logLoss);
        num(root, "brier", brier);
        ObjectNode ci = root.putObject("ci95");
        interval(ci, "accuracy", accuracyCi);
        interval(ci, "macro_f1", macroF1Ci);
        interval(ci, "macro_auc", macroAucCi);
        ObjectNode rec = ci.putObject("recall");
        for (ClassMetrics c : perClass) interval(rec, c.name(), c.recallCi());
        ci.put("method", "percentile bootstrap, resampling patients with replacement");
        ci.put("replicates", bootstrap.replicates());
        ci.put("seed", bootstrap.seed());
        ObjectNode bin = root.putObject("binary");
        binary(bin, pneumoniaVsNormal);
        binary(bin, bacterialVsViral);
        ArrayNode rel = root.putArray("reliability");
        for (ReliabilityDiagram.Bin b : reliability.bins()) {
            ObjectNode o = rel.addObject();
            num(o, "lower", b.lower());
            num(o, "upper", b.upper());
            o.put("count", b.count());
            num(o, "mean_confidence", b.meanConfidence());
            num(o, "accuracy", b.accuracy());
        }
        return root;
    }

    /** Pretty-printed JSON (see {@link #toJsonNode()}). */
    public String toJson() {
        try {
            return JSON.writeValueAsString(toJsonNode());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@link #toJson()} to {@code file} atomically. */
    public void writeJson(Path file) throws IOException {
        org.pneumoscope.core.AtomicFiles.writeString(file, toJson() + "\n");
    }

    /** Plain-text table for a terminal (see {@link EvaluationTables#text}). */
    public String toText() { return EvaluationTables.text(this); }

    /** The same table as an HTML fragment (see {@link EvaluationTables#html}). */
    public String toHtmlTable() { return EvaluationTables.html(this); }

    private static void binary(ObjectNode parent, BinaryMetrics b) {
        ObjectNode o = parent.putObject(b.name());
        o.put("positive", b.positive());
        o.put("negative", b.negative());
        o.put("n", b.n());
        o.put("tp", b.tp());
        o.put("fn", b.fn());
        o.put("fp", b.fp());
        o.put("tn", b.tn());
        num(o, "threshold", b.threshold());
        num(o, "accuracy", b.accuracy());
        num(o, "sensitivity", b.sensitivity());
        num(o, "specificity", b.specificity());
        num(o, "auc", b.auc());
        ObjectNode ci = o.putObject("ci95");
        interval(ci, "accuracy", b.accuracyCi());
        interval(ci, "sensitivity", b.sensitivityCi());
        interval(ci, "specificity", b.specificityCi());
        interval(ci, "auc", b.aucCi());
    }

    static void num(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v); else o.putNull(key);
    }

    static void interval(ObjectNode o, String key, Interval i) {
        if (i == null || !i.defined()) {
            o.putNull(key);
        } else {
            ArrayNode a = o.putArray(key);
            a.add(i.lo());
            a.add(i.hi());
        }
    }
}
