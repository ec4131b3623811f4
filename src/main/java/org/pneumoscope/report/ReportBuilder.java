package org.pneumoscope.report;

import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Label;
import org.pneumoscope.eval.BinaryMetrics;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.eval.CalibrationResult;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.eval.EvaluationTables;
import org.pneumoscope.eval.Interval;
import org.pneumoscope.eval.ReliabilityDiagram;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds one self-contained {@code report.html}: every figure is a PNG embedded as a base64 data URI, the CSS is
 * inline and nothing is loaded from elsewhere, so the file can be mailed or archived as is. Every input is
 * optional; a section whose input is missing says so instead of showing a broken figure.
 *
 * <pre>{@code
 * new ReportBuilder()
 *     .runConfig(config).datasetCounts(counts).trainingHistory(epochs)
 *     .evaluation(result).calibration(calibration)
 *     .gradCam("bacteria", List.of(new GalleryImage(img, "most confident correct")))
 *     .attribution("Kermany, Zhang & Goldbaum 2018, CC BY 4.0")
 *     .write(Path.of("runs/r1/report.html"));
 * }</pre>
 *
 * Sections (with these element ids, in order): {@link #SECTION_IDS}.
 */
public final class ReportBuilder {
    /** The id of every section, in page order. */
    public static final List<String> SECTION_IDS = List.of("summary", "config", "dataset", "training", "metrics",
            "confusion", "roc", "calibration", "binary", "readers", "gradcam", "attribution", "model-card");

    private String title = "Pneumoscope evaluation report";
    private String subtitle;
    private ZonedDateTime generatedAt = ZonedDateTime.now();
    private Map<String, Object> runConfig;
    private Map<String, int[]> datasetCounts;
    private String splitCheck;
    private List<EpochRecord> history;
    private EvaluationResult evaluation;
    private String evaluationSplit = "test";
    private CalibrationResult calibration;
    private ReliabilityDiagram.Floor calibrationFloor;
    private final Map<String, List<GalleryImage>> gallery = new LinkedHashMap<>();
    private ReaderReference reader = ReaderReference.KAIST_2020;
    private String attribution;
    private ModelCard modelCard;
    private boolean phantomData;
    private String seenFilms;
    private DriftScore.Result shiftAlarm;
    private final List<String[]> extraSections = new ArrayList<>();   // {id, title, html}

    /** Page title (default "Pneumoscope evaluation report"). */
    public ReportBuilder title(String title) { this.title = title; return this; }

    /** Line under the title, e.g. the run name and model. */
    public ReportBuilder subtitle(String subtitle) { this.subtitle = subtitle; return this; }

    /** Timestamp printed in the header (default: now); fix it for reproducible output. */
    public ReportBuilder generatedAt(ZonedDateTime at) { this.generatedAt = at; return this; }

    /** Run configuration shown as a key/value table, in the map's order. */
    public ReportBuilder runConfig(Map<String, Object> config) { this.runConfig = config; return this; }

    /**
     * Images per class and split: split name (e.g. "train", "val", "test") → counts indexed by
     * {@link Label#index()}. Shown as a class × split table with totals, in the map's order.
     */
    public ReportBuilder datasetCounts(Map<String, int[]> countsBySplit) { this.datasetCounts = countsBySplit; return this; }

    /**
     * What was checked about the splits (e.g. the leak check's sentence), shown under the dataset table; without it the
     * table says that nothing was checked.
     */
    public ReportBuilder splitCheck(String text) { this.splitCheck = text; return this; }

    /** Per-epoch training records for the training-curve figure. */
    public ReportBuilder trainingHistory(List<EpochRecord> epochs) { this.history = epochs; return this; }

    /** The evaluation behind the metrics, confusion, ROC, binary and reader sections. */
    public ReportBuilder evaluation(EvaluationResult result) { this.evaluation = result; return this; }

    /** Which split the evaluation was run on, used in captions (default "test"). */
    public ReportBuilder evaluationSplit(String split) { this.evaluationSplit = split; return this; }

    /** Temperature-scaling outcome: the reliability diagram before and after plus ECE/NLL. */
    public ReportBuilder calibration(CalibrationResult calibration) { this.calibration = calibration; return this; }

    /** What ECE a perfectly calibrated model would score on these images, shown beside the measured ECE. */
    public ReportBuilder calibrationFloor(ReliabilityDiagram.Floor floor) { this.calibrationFloor = floor; return this; }

    /** Grad-CAM pictures of one class (e.g. most confident correct, most confident wrong); call once per class. */
    public ReportBuilder gradCam(String className, List<GalleryImage> images) {
        gallery.put(className, List.copyOf(images));
        return this;
    }

    /** The human-reader figure to compare with (default {@link ReaderReference#KAIST_2020}); null hides it. */
    public ReportBuilder readerReference(ReaderReference reference) { this.reader = reference; return this; }

    /** Dataset attribution, e.g. "Kermany, Zhang &amp; Goldbaum 2018, CC BY 4.0". */
    public ReportBuilder attribution(String attribution) { this.attribution = attribution; return this; }

    /** Model card; default {@link ModelCard#standard} with what the builder knows. */
    public ReportBuilder modelCard(ModelCard card) { this.modelCard = card; return this; }

    /** Marks the run as trained/evaluated on generated phantom images: a banner says so on top. */
    public ReportBuilder phantomData(boolean phantom) { this.phantomData = phantom; return this; }

    /** Says on top that the evaluated films include some the model trained on (null: none), with how many. */
    public ReportBuilder trainedOnWarning(String warning) { this.seenFilms = warning; return this; }

    /** The shift alarm's check of the evaluated films: a banner on top when it fired, a note otherwise. */
    public ReportBuilder shiftAlarm(DriftScore.Result check) { this.shiftAlarm = check; return this; }

    /**
     * An extra figure section (e.g. an experiment's bar chart), placed before the attribution.
     *
     * @param id must not clash with {@link #SECTION_IDS}
     */
    public ReportBuilder addFigure(String id, String sectionTitle, BufferedImage image, String caption) {
        if (SECTION_IDS.contains(id)) throw new IllegalArgumentException("section id '" + id + "' is reserved");
        String body = image == null ? notAvailable("the figure was not produced.")
                : figure(image, sectionTitle, caption);
        extraSections.add(new String[]{id, sectionTitle, body});
        return this;
    }

    /** Writes the report atomically. */
    public Path write(Path file) throws IOException {
        AtomicFiles.writeString(file, toHtml());
        return file;
    }

    /** The complete HTML document. */
    public String toHtml() {
        StringBuilder h = new StringBuilder(1 << 20);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        header(h);
        nav(h);
        h.append("<main>\n");
        summary(h);
        config(h);
        dataset(h);
        training(h);
        metrics(h);
        confusion(h);
        roc(h);
        calibration(h);
        binary(h);
        readers(h);
        gradcam(h);
        for (String[] s : extraSections) section(h, s[0], s[1], s[2]);
        attributionSection(h);
        modelCardSection(h);
        h.append("</main>\n<footer>Generated by Pneumoscope \u00b7 research use only, not a medical device</footer>\n")
                .append("</body>\n</html>\n");
        return h.toString();
    }

    // ----------------------------------------------------------------------------------------------- sections

    /** ECE is biased upwards on finite data: say what a calibrated model would score on the same images. */
    private String floorNote() {
        if (calibrationFloor == null || evaluation == null) return "";
        ReliabilityDiagram.Floor f = calibrationFloor;
        boolean within = f.consistent(evaluation.ece());
        return "<p class=\"note\">ECE is above zero on finite data even for a perfectly calibrated model: with these "
                + "confidences on " + String.format(Locale.ROOT, "%,d", evaluation.n()) + " images one would score "
                + f3(f.mean()) + " on average, and 95 % of " + String.format(Locale.ROOT, "%,d", f.draws())
                + " simulated draws stay at or below " + f3(f.p95()) + ". The measured " + f3(evaluation.ece())
                + (within ? " is within that: no evidence of miscalibration." : " is above it: miscalibrated beyond chance.")
                + "</p>\n";
    }

    private void header(StringBuilder h) {
        h.append("<header class=\"top\"><div class=\"wrap\"><div class=\"brand\">PNEUMOSCOPE</div><h1>")
                .append(esc(title)).append("</h1><div class=\"sub\">");
        if (subtitle != null) h.append(esc(subtitle)).append(" \u00b7 ");
        h.append("generated ").append(esc(generatedAt.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z", Locale.ROOT))))
                .append("</div></div></header>\n");
    }

    private void nav(StringBuilder h) {
        h.append("<nav><div class=\"wrap\">");
        String[][] items = {{"summary", "Summary"}, {"config", "Configuration"}, {"dataset", "Dataset"},
                {"training", "Training"}, {"metrics", "Metrics"}, {"confusion", "Confusion"}, {"roc", "ROC"},
                {"calibration", "Calibration"}, {"binary", "Binary views"}, {"readers", "Readers"},
                {"gradcam", "Grad-CAM"}};
        for (String[] it : items) h.append("<a href=\"#").append(it[0]).append("\">").append(it[1]).append("</a>");
        for (String[] s : extraSections) h.append("<a href=\"#").append(esc(s[0])).append("\">").append(esc(s[1])).append("</a>");
        h.append("<a href=\"#attribution\">Attribution</a><a href=\"#model-card\">Model card</a></div></nav>\n");
    }

    private void summary(StringBuilder h) {
        StringBuilder b = new StringBuilder();
        if (phantomData)
            b.append("<div class=\"banner warn\"><strong>Phantom data.</strong> These results come from generated "
                    + "phantom X-rays, not from patients. They show that the pipeline works; they say nothing about "
                    + "clinical performance.</div>\n");
        b.append("<div class=\"banner\"><strong>Research use only.</strong> Pneumoscope is not a medical device and "
                + "must not be used for diagnosis or patient management.</div>\n");
        if (seenFilms != null)
            b.append("<div class=\"banner warn\" id=\"trained-on\"><strong>Films the model trained on.</strong> ")
                    .append(esc(capitalised(seenFilms))).append("</div>\n");
        b.append(shiftAlarmHtml());
        if (evaluation == null) {
            b.append(notAvailable("no evaluation was run, so there are no headline figures."));
        } else {
            EvaluationResult r = evaluation;
            b.append("<div class=\"kpis\">");
            // intervals must not break across lines inside the narrow tiles
            kpi(b, "Accuracy (3 classes)", pct(r.accuracy()), nb(ciPct(r.accuracyCi())));
            kpi(b, "Macro F1", f3(r.macroF1()), nb(ci3(r.macroF1Ci())));
            kpi(b, "Macro AUC", f3(r.macroAuc()), nb(ci3(r.macroAucCi())));
            kpi(b, "Pneumonia vs normal AUC", f3(r.pneumoniaVsNormal().auc()), nb(ci3(r.pneumoniaVsNormal().aucCi())));
            kpi(b, "Calibration error (ECE)", f3(r.ece()), calibration == null ? "15 bins"
                    : "after scaling " + f3(calibration.eceAfter()));
            kpi(b, "Evaluated", String.format(Locale.ROOT, "%,d", r.n()),
                    String.format(Locale.ROOT, "images of %,d patients (%s)", r.patients(), esc(evaluationSplit)));
            b.append("</div>\n<p class=\"note\">Intervals are 95 % percentile bootstrap intervals over patients (")
                    .append(r.bootstrap().replicates()).append(" resamples, seed ").append(r.bootstrap().seed())
                    .append(").</p>\n");
        }
        section(h, "summary", "Summary", b.toString());
    }

    /** The alarm as a warning banner; a quiet or undecided check as one note line. */
    private String shiftAlarmHtml() {
        DriftScore.Result c = shiftAlarm;
        if (c == null) return "";
        if (!c.judged()) return "<p class=\"note\" id=\"shift-check\">Shift check: " + esc(c.message()) + ".</p>\n";
        String figures = String.format(Locale.ROOT, "score %.2f against an alarm threshold of %.2f over %,d films",
                c.score(), c.threshold(), c.n());
        String mix = "Predicted " + esc(String.join("/", Label.ids())) + " " + esc(DriftScore.Result.mix(c.classMix()))
                + " (reference films " + esc(DriftScore.Result.mix(c.referenceMix())) + "), mean confidence "
                + String.format(Locale.ROOT, "%.2f (reference films %.2f)", c.meanConfidence(), c.referenceConfidence()) + "."
                + (c.estimated() ? " " + esc(capitalised(c.estimateText())) + ": the share of films at least as sure as the "
                + "validation films the model got right, not a measurement." : "");
        if (c.alarm())
            return "<div class=\"banner warn\" id=\"shift-alarm\"><strong>Shift alarm.</strong> " + esc(capitalised(c.message()))
                    + ". The films' pooled features differ from the validation films' (" + esc(figures) + "), so the "
                    + "figures below may not hold for them. " + mix + "</div>\n";
        return "<p class=\"note\" id=\"shift-check\">Shift check: " + esc(c.message()) + " (" + esc(figures) + "). " + mix + "</p>\n";
    }

    private void kpi(StringBuilder b, String label, String value, String sub) {
        b.append("<div class=\"kpi\"><div class=\"l\">").append(esc(label)).append("</div><div class=\"v\">")
                .append(value).append("</div><div class=\"c\">").append(sub).append("</div></div>");
    }

    private void config(StringBuilder h) {
        String body;
        if (runConfig == null || runConfig.isEmpty()) {
            body = notAvailable("no run configuration was given.");
        } else {
            StringBuilder b = new StringBuilder("<table class=\"ps-table kv\"><tbody>\n");
            for (Map.Entry<String, Object> e : runConfig.entrySet())
                b.append("<tr><th scope=\"row\">").append(esc(e.getKey())).append("</th><td>")
                        .append(esc(valueText(e.getValue()))).append("</td></tr>\n");
            body = b.append("</tbody></table>\n").toString();
        }
        section(h, "config", "Run configuration", body);
    }

    private void dataset(StringBuilder h) {
        String body;
        if (datasetCounts == null || datasetCounts.isEmpty()) {
            body = notAvailable("no dataset counts were given.");
        } else {
            StringBuilder b = new StringBuilder("<table class=\"ps-table\"><thead><tr><th>Class</th>");
            for (String split : datasetCounts.keySet()) b.append("<th class=\"num\">").append(esc(split)).append("</th>");
            b.append("<th class=\"num\">Total</th></tr></thead><tbody>\n");
            long[] colTotals = new long[datasetCounts.size()];
            long grand = 0;
            for (Label l : Label.values()) {
                b.append("<tr><th scope=\"row\"><span class=\"dot c").append(l.index()).append("\"></span>")
                        .append(esc(l.id())).append("</th>");
                long rowTotal = 0;
                int c = 0;
                for (int[] counts : datasetCounts.values()) {
                    int v = counts != null && counts.length > l.index() ? counts[l.index()] : 0;
                    b.append("<td class=\"num\">").append(String.format(Locale.ROOT, "%,d", v)).append("</td>");
                    rowTotal += v;
                    colTotals[c++] += v;
                }
                grand += rowTotal;
                b.append("<td class=\"num\"><strong>").append(String.format(Locale.ROOT, "%,d", rowTotal)).append("</strong></td></tr>\n");
            }
            b.append("</tbody><tfoot><tr><th scope=\"row\">Total</th>");
            for (long t : colTotals) b.append("<td class=\"num\">").append(String.format(Locale.ROOT, "%,d", t)).append("</td>");
            b.append("<td class=\"num\"><strong>").append(String.format(Locale.ROOT, "%,d", grand)).append("</strong></td></tr></tfoot></table>\n");
            b.append("<p class=\"note\">Images per class and split. ").append(splitCheck != null ? esc(splitCheck)
                    : "Whether a patient appears in two splits was not checked for this run.").append("</p>\n");
            body = b.toString();
        }
        section(h, "dataset", "Dataset", body);
    }

    private void training(StringBuilder h) {
        String body;
        if (history == null || history.isEmpty()) {
            body = notAvailable("no training history was given (this report was made from an existing model).");
        } else {
            StringBuilder b = new StringBuilder();
            EpochRecord best = null;
            for (EpochRecord e : history)
                if (Double.isFinite(e.valAcc()) && (best == null || e.valAcc() > best.valAcc())) best = e;
            String caption = history.size() + " epochs."
                    + (best == null ? "" : " Best validation accuracy " + pct(best.valAcc()) + " at epoch " + best.epoch() + ".");
            b.append(figure(TrainingCurves.render(history), "Training curves", caption));
            b.append("<details><summary>Per-epoch numbers</summary><table class=\"ps-table\"><thead><tr><th class=\"num\">Epoch</th>"
                    + "<th class=\"num\">Train loss</th><th class=\"num\">Train acc.</th><th class=\"num\">Val. loss</th>"
                    + "<th class=\"num\">Val. acc.</th><th class=\"num\">Learning rate</th><th class=\"num\">Images/s</th></tr></thead><tbody>\n");
            for (EpochRecord e : history)
                b.append("<tr>").append(td(Integer.toString(e.epoch()))).append(td(f3(e.trainLoss())))
                        .append(td(f3(e.trainAcc()))).append(td(f3(e.valLoss()))).append(td(f3(e.valAcc())))
                        .append(td(Double.isFinite(e.lr()) ? String.format(Locale.ROOT, "%.2e", e.lr()) : "n/a"))
                        .append(td(Double.isFinite(e.imgPerSec()) ? String.format(Locale.ROOT, "%.1f", e.imgPerSec()) : "n/a"))
                        .append("</tr>\n");
            b.append("</tbody></table></details>\n");
            body = b.toString();
        }
        section(h, "training", "Training curves", body);
    }

    private void metrics(StringBuilder h) {
        String body;
        if (evaluation == null) {
            body = notAvailable("no evaluation was run.");
        } else {
            EvaluationResult r = evaluation;
            body = r.toHtmlTable()
                    + "<p class=\"note\">" + esc(capitalised(evaluationSplit)) + " set, " + r.n() + " images of " + r.patients()
                    + " patients. Macro F1 " + f3(r.macroF1()) + " (95 % CI " + range(r.macroF1Ci()) + "), macro AUC "
                    + f3(r.macroAuc()) + " (95 % CI " + range(r.macroAucCi()) + "), log loss " + f3(r.logLoss())
                    + ", Brier score " + f3(r.brier()) + ". Precision of a class that is never predicted is 0; recall, "
                    + "F1 and AUC of a class absent from the data are n/a and such a class is left out of the macro averages.</p>\n";
        }
        section(h, "metrics", "Per-class metrics", body);
    }

    private void confusion(StringBuilder h) {
        String body = evaluation == null ? notAvailable("no evaluation was run.")
                : figure(ConfusionMatrixPlot.render(evaluation.confusionMatrix(), evaluation.classes()), "Confusion matrix",
                "Rows: true class; columns: predicted class (argmax). Left: counts; right: each row as a share of that class.");
        section(h, "confusion", "Confusion matrix", body);
    }

    private void roc(StringBuilder h) {
        String body = evaluation == null ? notAvailable("no evaluation was run.")
                : figure(RocPlot.render(evaluation.roc()), "ROC curves",
                "Each class against the other two, scored by its predicted probability. AUC computed exactly (Mann-Whitney, ties count half).");
        section(h, "roc", "ROC curves", body);
    }

    private void calibration(StringBuilder h) {
        String body;
        if (calibration != null) {
            CalibrationResult c = calibration;
            body = figure(ReliabilityPlot.render(c.before(), c.after()), "Reliability diagram",
                    "Bars: accuracy per confidence bin (15 bins); dots: mean confidence; dashed: perfect calibration.")
                    + "<table class=\"ps-table narrow\"><thead><tr><th></th><th class=\"num\">Before</th><th class=\"num\">After</th></tr></thead><tbody>"
                    + "<tr><th scope=\"row\">Expected calibration error</th>" + td(f3(c.eceBefore())) + td(f3(c.eceAfter())) + "</tr>"
                    + "<tr><th scope=\"row\">Negative log-likelihood</th>" + td(f3(c.nllBefore())) + td(f3(c.nllAfter())) + "</tr>"
                    + "<tr><th scope=\"row\">Temperature T</th>" + td("1") + td(String.format(Locale.ROOT, "%.3f", c.temperature())) + "</tr>"
                    + classOffsetRows(c.calibration())
                    + "</tbody></table>\n<p class=\"note\">" + calibrationNote(c.calibration()) + " Measured on " + c.n() + " images.</p>\n"
                    + floorNote();
        } else if (evaluation != null) {
            body = figure(ReliabilityPlot.render(evaluation.reliability(), null), "Reliability diagram",
                    "Bars: accuracy per confidence bin (15 bins); dots: mean confidence; dashed: perfect calibration.")
                    + "<p class=\"note\">Expected calibration error " + f3(evaluation.ece())
                    + ". No temperature scaling was fitted, so there is no \u201cafter\u201d diagram.</p>\n"
                    + floorNote();
        } else {
            body = notAvailable("no evaluation or calibration was run.");
        }
        section(h, "calibration", "Calibration", body);
    }

    private static String classOffsetRows(Calibration cal) {
        if (!cal.shiftsClasses()) return "";
        StringBuilder r = new StringBuilder();
        double[] b = cal.bias();
        for (Label l : Label.values())
            r.append("<tr><th scope=\"row\">Offset added to the ").append(esc(l.id())).append(" logit</th>")
                    .append(td("0")).append(td(String.format(Locale.ROOT, "%+.3f", b[l.index()]))).append("</tr>");
        return r.toString();
    }

    private static String calibrationNote(Calibration cal) {
        if (cal.shiftsClasses())
            return "Bias-corrected temperature scaling: the logits are divided by T and each class's offset is added, all "
                    + "fitted on the validation split to minimise the negative log-likelihood. Training balanced the classes, "
                    + "so the network's raw probabilities overstate the rarer ones; the offsets restore the class frequencies "
                    + "of the data, and unlike T alone they can change the predicted class.";
        return "Temperature scaling divides the logits by T, fitted to minimise the "
                + "negative log-likelihood; it changes confidence, never the predicted class.";
    }

    private void binary(StringBuilder h) {
        String body;
        if (evaluation == null) {
            body = notAvailable("no evaluation was run.");
        } else {
            StringBuilder b = new StringBuilder("<table class=\"ps-table\"><thead><tr><th>View</th><th>Positive vs negative</th>"
                    + "<th class=\"num\">n</th><th class=\"num\">Accuracy</th><th class=\"num\">Sensitivity</th>"
                    + "<th class=\"num\">Specificity</th><th class=\"num\">AUC</th></tr></thead><tbody>\n");
            for (BinaryMetrics m : new BinaryMetrics[]{evaluation.pneumoniaVsNormal(), evaluation.bacterialVsViral()})
                b.append("<tr><th scope=\"row\">").append(esc(EvaluationTables.binaryTitle(m))).append("</th><td>")
                        .append(esc(m.positive())).append(" vs ").append(esc(m.negative())).append("</td>")
                        .append(td(Integer.toString(m.n()))).append(withCi(m.accuracy(), m.accuracyCi()))
                        .append(withCi(m.sensitivity(), m.sensitivityCi())).append(withCi(m.specificity(), m.specificityCi()))
                        .append(withCi(m.auc(), m.aucCi())).append("</tr>\n");
            b.append("</tbody></table>\n<p class=\"note\">The two-class questions reported by Kermany et al. (Cell, 2018), "
                    + "derived from the three-class output. Pneumonia vs normal scores p(bacteria) + p(virus). Bacterial vs viral "
                    + "uses only images whose true label is a pneumonia and scores p(bacteria) / (p(bacteria) + p(virus)). "
                    + "A score of at least 0.5 counts as positive. 95 % CIs in brackets.</p>\n");
            body = b.toString();
        }
        section(h, "binary", "Binary views", body);
    }

    private void readers(StringBuilder h) {
        String body;
        if (reader == null) {
            body = notAvailable("no human-reader reference figure was given.");
        } else if (evaluation == null) {
            body = notAvailable("no evaluation was run, so there is nothing to set beside the reference figure ("
                    + pct(reader.rate()) + ", " + esc(reader.source()) + ").");
        } else {
            double acc = evaluation.accuracy();
            Interval ci = evaluation.accuracyCi();
            StringBuilder b = new StringBuilder();
            b.append(readerSvg(acc, ci, reader));
            String verdict;
            if (!ci.defined()) verdict = "No confidence interval is available, so no statement about a difference is made.";
            else if (ci.lo() > reader.rate()) verdict = "The model's 95 % interval (" + rangePct(ci) + ") lies above the reference figure.";
            else if (ci.hi() < reader.rate()) verdict = "The model's 95 % interval (" + rangePct(ci) + ") lies below the reference figure.";
            else verdict = "The model's 95 % interval (" + rangePct(ci) + ") includes the reference figure: these data show no difference.";
            b.append("<p>Three-class accuracy of this model on the ").append(esc(evaluationSplit)).append(" set: <strong>")
                    .append(pct(acc)).append("</strong> (95 % CI ").append(rangePct(ci)).append(", ").append(evaluation.n())
                    .append(" images). ").append(esc(reader.label())).append(": <strong>").append(pct(reader.rate()))
                    .append("</strong> (").append(esc(reader.source())).append("). ").append(verdict).append("</p>\n");
            b.append("<p class=\"note caution\">The reference figure was not measured on these images, by these readers, or under "
                    + "these conditions. It is context for the size of the task, not the result of a head-to-head reader study.");
            if (phantomData) b.append(" <strong>This run used phantom images, so the comparison has no clinical meaning at all.</strong>");
            b.append("</p>\n");
            body = b.toString();
        }
        section(h, "readers", "Comparison with radiologists", body);
    }

    private void gradcam(StringBuilder h) {
        String body;
        if (gallery.isEmpty()) {
            body = notAvailable("no Grad-CAM images were given.");
        } else {
            StringBuilder b = new StringBuilder("<p class=\"note\">Grad-CAM heatmaps over the input image: warm colours mark "
                    + "regions that raised the predicted class's score. They explain the model, not the disease.</p>\n");
            for (Map.Entry<String, List<GalleryImage>> e : gallery.entrySet()) {
                Label l = Label.parse(e.getKey());
                b.append("<h3>");
                if (l != null) b.append("<span class=\"dot c").append(l.index()).append("\"></span>");
                b.append(esc(e.getKey())).append("</h3>\n");
                if (e.getValue().isEmpty()) {
                    b.append(notAvailable("no images of this class."));
                    continue;
                }
                b.append("<div class=\"gallery\">");
                for (GalleryImage g : e.getValue())
                    b.append("<figure class=\"cam\"><img src=\"").append(Plots.dataUri(g.image())).append("\" alt=\"")
                            .append(esc(g.caption())).append("\" width=\"").append(g.image().getWidth()).append("\">")
                            .append("<figcaption>").append(esc(g.caption())).append("</figcaption></figure>");
                b.append("</div>\n");
            }
            body = b.toString();
        }
        section(h, "gradcam", "Grad-CAM gallery", body);
    }

    private void attributionSection(StringBuilder h) {
        String body = attribution == null || attribution.isBlank()
                ? notAvailable("no dataset attribution was given.")
                : "<p>Images: " + esc(attribution) + ".</p>\n<p class=\"note\">Please cite the data set as its licence requires "
                + "when you publish results from it.</p>\n";
        section(h, "attribution", "Dataset attribution", body);
    }

    private void modelCardSection(StringBuilder h) {
        ModelCard card = modelCard != null ? modelCard : ModelCard.standard(
                runConfig != null && runConfig.get("model") != null ? valueText(runConfig.get("model")) : "Pneumoscope classifier",
                attribution != null ? attribution : (phantomData ? "Generated phantom chest X-rays" : "not stated"),
                phantomData);
        StringBuilder b = new StringBuilder("<dl class=\"card\">");
        b.append("<dt>Model</dt><dd>").append(esc(card.model())).append("</dd>");
        b.append("<dt>Data</dt><dd>").append(esc(card.data()));
        if (datasetCounts != null && !datasetCounts.isEmpty()) {
            long total = 0;
            for (int[] c : datasetCounts.values()) if (c != null) for (int v : c) total += v;
            b.append(String.format(Locale.ROOT, " \u2014 %,d images across %s.", total, esc(String.join(", ", datasetCounts.keySet()))));
        }
        b.append("</dd>");
        if (evaluation != null)
            b.append("<dt>Evaluation</dt><dd>").append(esc(evaluationSplit)).append(" set of ").append(evaluation.n())
                    .append(" images: accuracy ").append(pct(evaluation.accuracy())).append(" (95 % CI ")
                    .append(rangePct(evaluation.accuracyCi())).append("), macro F1 ").append(f3(evaluation.macroF1()))
                    .append(".</dd>");
        b.append("<dt>Intended use</dt><dd>").append(esc(card.intendedUse())).append("</dd>");
        b.append("<dt>Not intended for</dt><dd>").append(esc(card.notIntendedFor())).append("</dd>");
        b.append("<dt>Limitations</dt><dd><ul>");
        for (String l : card.limitations()) b.append("<li>").append(esc(l)).append("</li>");
        b.append("</ul></dd></dl>\n");
        section(h, "model-card", "Model card", b.toString());
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void section(StringBuilder h, String id, String heading, String body) {
        h.append("<section id=\"").append(esc(id)).append("\"><h2>").append(esc(heading)).append("</h2>\n")
                .append(body).append("</section>\n");
    }

    private static String figure(BufferedImage img, String alt, String caption) {
        int w = img.getWidth() / Plots.SCALE;
        return "<figure><img class=\"fig\" src=\"" + Plots.dataUri(img) + "\" alt=\"" + esc(alt) + "\" width=\"" + w
                + "\"><figcaption>" + esc(caption) + "</figcaption></figure>\n";
    }

    private static String notAvailable(String why) {
        return "<p class=\"na\"><strong>Not available:</strong> " + esc(why) + "</p>\n";
    }

    private static String readerSvg(double acc, Interval ci, ReaderReference ref) {
        int w = 720, left = 230, right = 70, plotW = w - left - right;
        StringBuilder s = new StringBuilder();
        s.append("<svg class=\"readers\" role=\"img\" aria-label=\"Model accuracy beside the reference figure\" viewBox=\"0 0 ")
                .append(w).append(" 138\" width=\"").append(w).append("\" xmlns=\"http://www.w3.org/2000/svg\">");
        for (int t = 0; t <= 100; t += 20) {
            double x = left + plotW * t / 100.0;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" y2=\"104\" stroke=\"#e4e7eb\"/>", x, x));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"122\" text-anchor=\"middle\" class=\"tick\">%d %%</text>", x, t));
        }
        bar(s, "This model (3-class accuracy)", acc, ci, 20, left, plotW, "#0072B2");
        bar(s, ref.label(), ref.rate(), null, 62, left, plotW, "#9AA5B1");
        double rx = left + plotW * ref.rate();
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"12\" x2=\"%.1f\" y2=\"96\" stroke=\"#52606d\" "
                + "stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>", rx, rx));
        s.append("</svg>\n");
        return s.toString();
    }

    private static void bar(StringBuilder s, String label, double v, Interval ci, int y, int left, int plotW, String colour) {
        double x1 = left + plotW * Math.max(0, Math.min(1, v));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"lab\">%s</text>",
                left - 10, y + 19, esc(label)));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"28\" rx=\"3\" fill=\"%s\"/>",
                left, y, x1 - left, colour));
        double labelX = x1 + 8;
        if (ci != null && ci.defined()) {
            double a = left + plotW * ci.lo(), b = left + plotW * ci.hi();
            s.append(String.format(Locale.ROOT, "<g stroke=\"#1f2933\" stroke-width=\"1.6\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
                    + "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/></g>",
                    a, y + 14, b, y + 14, a, y + 7, a, y + 21, b, y + 7, b, y + 21));
            labelX = Math.max(labelX, b + 8);
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"val\">%s</text>", labelX, y + 19, pct(v)));
    }

    private static String withCi(double v, Interval ci) {
        return "<td class=\"num\">" + f3(v) + (ci != null && ci.defined()
                ? " <span class=\"ci\">[" + f3(ci.lo()) + ", " + f3(ci.hi()) + "]</span>" : "") + "</td>";
    }

    private static String td(String s) { return "<td class=\"num\">" + esc(s) + "</td>"; }

    private static String valueText(Object v) {
        if (v == null) return "\u2013";
        if (v instanceof Double d) return d.isNaN() ? "n/a" : stripZeros(d);
        if (v instanceof Float fl) return stripZeros(fl.doubleValue());
        if (v instanceof Path p) return p.toString();
        if (v instanceof double[] a) return java.util.Arrays.toString(a);
        if (v instanceof int[] a) return java.util.Arrays.toString(a);
        if (v instanceof Object[] a) return java.util.Arrays.toString(a);
        return String.valueOf(v);
    }

    private static String stripZeros(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        return new java.math.BigDecimal(d).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    private static String nb(String s) { return s.replace(" \u2013 ", "\u2013").replace(' ', '\u00a0'); }

    private static String capitalised(String s) {
        return s == null || s.isEmpty() ? "" : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    static String esc(String s) { return EvaluationTables.escape(s); }

    static String f3(double v) { return EvaluationTables.f(v); }

    static String pct(double v) { return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f\u00a0%%", 100 * v); }

    static String range(Interval i) { return EvaluationTables.range(i); }

    static String ci3(Interval i) { return i == null || !i.defined() ? "95 % CI n/a" : "95 % CI " + range(i); }

    static String rangePct(Interval i) {
        return i == null || !i.defined() ? "n/a"
                : String.format(Locale.ROOT, "%.1f\u2013%.1f %%", 100 * i.lo(), 100 * i.hi());
    }

    static String ciPct(Interval i) { return "95 % CI " + rangePct(i); }

    private static final String CSS = """
            :root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f3f5f8; --accent:#0b5394; --navy:#102a43; }
            * { box-sizing: border-box; }
            html { scroll-behavior: smooth; }
            body { margin: 0; color: var(--ink); background: var(--bg);
                   font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }
            .wrap { max-width: 1080px; margin: 0 auto; padding: 0 28px; }
            header.top { background: var(--navy); color: #fff; padding: 26px 0 22px; }
            header .brand { font-size: 12px; letter-spacing: .18em; color: #9fb3c8; font-weight: 600; }
            header h1 { margin: 4px 0 4px; font-size: 27px; font-weight: 600; letter-spacing: -.01em; }
            header .sub { color: #bcccdc; font-size: 14px; }
            nav { position: sticky; top: 0; z-index: 5; background: rgba(255,255,255,.96); border-bottom: 1px solid var(--line); }
            nav .wrap { display: flex; flex-wrap: wrap; gap: 2px 18px; padding-top: 9px; padding-bottom: 9px; font-size: 13px; }
            nav a { color: var(--accent); text-decoration: none; white-space: nowrap; }
            nav a:hover { text-decoration: underline; }
            main { max-width: 1080px; margin: 22px auto 10px; padding: 0 28px; }
            section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 20px 26px 18px;
                      margin-bottom: 18px; box-shadow: 0 1px 2px rgba(16,42,67,.04); scroll-margin-top: 52px; }
            section h2 { font-size: 19px; margin: 0 0 14px; font-weight: 600; color: var(--navy); }
            section h3 { font-size: 15px; margin: 18px 0 8px; text-transform: capitalize; }
            p { margin: 10px 0; }
            .banner { border-left: 4px solid var(--accent); background: #eef4fb; padding: 10px 14px; border-radius: 4px;
                      margin-bottom: 12px; font-size: 14px; }
            .banner.warn { border-left-color: #c05621; background: #fff4e8; }
            .kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(138px, 1fr)); gap: 12px; margin-top: 6px; }
            .kpi { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #fbfcfd; }
            .kpi .l { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .05em; min-height: 3.2em; }
            .kpi .v { font-size: 25px; font-weight: 600; font-variant-numeric: tabular-nums; color: var(--navy); margin: 2px 0; }
            .kpi .c { color: var(--muted); font-size: 11.5px; font-variant-numeric: tabular-nums; }
            table.ps-table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
            table.ps-table.narrow { width: auto; min-width: 420px; margin-top: 8px; }
            .ps-table th, .ps-table td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
            .ps-table .num { text-align: right; white-space: nowrap; }
            .ps-table thead th { background: #f0f4f8; font-weight: 600; font-size: 12.5px; color: #334e68; border-bottom: 1px solid #d9e2ec; }
            .ps-table tbody th { font-weight: 600; }
            .ps-table tfoot th, .ps-table tfoot td { background: #fafbfc; }
            .ps-table.kv th { width: 32%; color: #334e68; font-weight: 500; }
            .ps-table.kv td { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; word-break: break-word; }
            .ci { color: var(--muted); font-size: 12.5px; }
            figure { margin: 4px 0 0; }
            img.fig { max-width: 100%; height: auto; display: block; margin: 0 auto; }
            figcaption { color: var(--muted); font-size: 13px; margin-top: 8px; text-align: center; }
            .na { color: var(--muted); background: #f7f9fb; border: 1px dashed #cbd2d9; border-radius: 6px; padding: 12px 16px; }
            .note { font-size: 13px; color: var(--muted); }
            .caution { border-left: 3px solid #cbd2d9; padding-left: 10px; }
            .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 16px; }
            figure.cam { margin: 0; background: #fbfcfd; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
            figure.cam img { width: 100%; height: auto; display: block; border-radius: 4px; background: #000; }
            figure.cam figcaption { text-align: left; font-size: 12.5px; color: var(--ink); }
            .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 8px; vertical-align: 0; }
            .dot.c0 { background: #D55E00; } .dot.c1 { background: #7B4FA0; } .dot.c2 { background: #0072B2; }
            svg.readers { max-width: 100%; height: auto; display: block; margin: 4px 0 6px; }
            svg.readers text { font-family: inherit; fill: var(--ink); }
            svg.readers .tick { font-size: 11px; fill: var(--muted); }
            svg.readers .lab { font-size: 13px; }
            svg.readers .val { font-size: 13px; font-weight: 600; }
            dl.card { display: grid; grid-template-columns: 170px 1fr; gap: 8px 18px; margin: 0; }
            dl.card dt { font-weight: 600; color: #334e68; }
            dl.card dd { margin: 0; }
            dl.card ul { margin: 0; padding-left: 18px; }
            dl.card li { margin-bottom: 5px; }
            details { margin-top: 12px; font-size: 14px; }
            details summary { cursor: pointer; color: var(--accent); }
            footer { text-align: center; color: var(--muted); font-size: 12px; padding: 6px 0 26px; }
            @media print {
              body { background: #fff; } nav { display: none; } header.top { background: #fff; color: var(--ink); }
              header .sub, header .brand { color: var(--muted); }
              section { break-inside: avoid; box-shadow: none; }
            }
            """;
}
