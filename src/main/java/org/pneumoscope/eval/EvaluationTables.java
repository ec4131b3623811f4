package org.pneumoscope.eval;

import java.util.Locale;

/**
 * Renders an {@link EvaluationResult} as the per-class table researchers expect (in the spirit of Tribuo's
 * {@code LabelEvaluation.toString()}): one row per class with n, tp, fn, fp, precision, recall, specificity,
 * F1 and AUC, then macro- and weighted-average rows and the accuracy with its 95 % interval.
 * Undefined values print as "n/a".
 */
public final class EvaluationTables {
    private EvaluationTables() {}

    /** Fixed-width text for a terminal (ASCII only). */
    public static String text(EvaluationResult r) {
        StringBuilder sb = new StringBuilder();
        String head = "%-20s %7s %7s %7s %7s %9s %9s %9s %9s %9s%n";
        String row = "%-20s %7d %7d %7d %7d %9s %9s %9s %9s %9s%n";
        sb.append(String.format(Locale.ROOT, head, "Class", "n", "tp", "fn", "fp",
                "precision", "recall", "spec.", "F1", "AUC"));
        int tp = 0, fn = 0, fp = 0;
        for (ClassMetrics c : r.perClass()) {
            sb.append(String.format(Locale.ROOT, row, c.name(), c.support(), c.tp(), c.fn(), c.fp(),
                    f(c.precision()), f(c.recall()), f(c.specificity()), f(c.f1()), f(c.auc())));
            tp += c.tp();
            fn += c.fn();
            fp += c.fp();
        }
        sb.append(String.format(Locale.ROOT, row, "Total", r.n(), tp, fn, fp, "", "", "", "", ""));
        String avg = "%-20s %7s %7s %7s %7s %9s %9s %9s %9s %9s%n";
        sb.append(String.format(Locale.ROOT, avg, "Macro average", "", "", "", "",
                f(r.macroPrecision()), f(r.macroRecall()), "", f(r.macroF1()), f(r.macroAuc())));
        sb.append(String.format(Locale.ROOT, avg, "Weighted average", "", "", "", "",
                f(r.weightedPrecision()), f(r.weightedRecall()), "", f(r.weightedF1()), ""));
        sb.append(String.format(Locale.ROOT, "%-20s %s%s%n", "Accuracy", f(r.accuracy()), ci(r.accuracyCi())));
        sb.append(String.format(Locale.ROOT, "%-20s %s%s%n", "Macro F1", f(r.macroF1()), ci(r.macroF1Ci())));
        sb.append(String.format(Locale.ROOT, "%-20s %s%s%n", "Macro AUC", f(r.macroAuc()), ci(r.macroAucCi())));
        for (ClassMetrics c : r.perClass())
            sb.append(String.format(Locale.ROOT, "%-20s %s%s%n", "Recall " + c.name(), f(c.recall()), ci(c.recallCi())));
        sb.append(String.format(Locale.ROOT, "%-20s ECE %s (15 bins), log loss %s, Brier %s%n", "Calibration",
                f(r.ece()), f(r.logLoss()), f(r.brier())));
        for (BinaryMetrics b : new BinaryMetrics[]{r.pneumoniaVsNormal(), r.bacterialVsViral()})
            sb.append(String.format(Locale.ROOT, "%-20s n %d: accuracy %s, sensitivity %s, specificity %s, AUC %s%n",
                    binaryTitle(b), b.n(), f(b.accuracy()), f(b.sensitivity()), f(b.specificity()), f(b.auc())));
        sb.append(String.format(Locale.ROOT, "95%% CIs: percentile bootstrap over %d patients (%d images), %d replicates, seed %d%n",
                r.patients(), r.n(), r.bootstrap().replicates(), r.bootstrap().seed()));
        // padding of empty cells leaves trailing blanks; strip them so the output diffs cleanly
        return sb.toString().replaceAll("(?m)[ \\t]+$", "");
    }

    /** The per-class table as an HTML {@code <table>} (class "ps-table"), recall with its 95 % interval. */
    public static String html(EvaluationResult r) {
        StringBuilder sb = new StringBuilder();
        sb.append("<table class=\"ps-table\">\n<thead><tr><th>Class</th><th class=\"num\">n</th>"
                + "<th class=\"num\">TP</th><th class=\"num\">FN</th><th class=\"num\">FP</th>"
                + "<th class=\"num\">Precision</th><th class=\"num\">Recall (sensitivity)</th>"
                + "<th class=\"num\">Recall 95% CI</th><th class=\"num\">Specificity</th>"
                + "<th class=\"num\">F1</th><th class=\"num\">AUC</th></tr></thead>\n<tbody>\n");
        int tp = 0, fn = 0, fp = 0;
        for (ClassMetrics c : r.perClass()) {
            sb.append("<tr><th scope=\"row\">").append(escape(c.name())).append("</th>")
                    .append(td(Integer.toString(c.support()))).append(td(Integer.toString(c.tp())))
                    .append(td(Integer.toString(c.fn()))).append(td(Integer.toString(c.fp())))
                    .append(td(f(c.precision()))).append(td(f(c.recall()))).append(td(range(c.recallCi())))
                    .append(td(f(c.specificity()))).append(td(f(c.f1()))).append(td(f(c.auc())))
                    .append("</tr>\n");
            tp += c.tp();
            fn += c.fn();
            fp += c.fp();
        }
        sb.append("</tbody>\n<tfoot>\n");
        sb.append("<tr><th scope=\"row\">Total</th>").append(td(Integer.toString(r.n()))).append(td(Integer.toString(tp)))
                .append(td(Integer.toString(fn))).append(td(Integer.toString(fp))).append(td("").repeat(6)).append("</tr>\n");
        sb.append("<tr><th scope=\"row\">Macro average</th>").append(td("").repeat(4))
                .append(td(f(r.macroPrecision()))).append(td(f(r.macroRecall()))).append(td(""))
                .append(td("")).append(td(f(r.macroF1()))).append(td(f(r.macroAuc()))).append("</tr>\n");
        sb.append("<tr><th scope=\"row\">Weighted average</th>").append(td("").repeat(4))
                .append(td(f(r.weightedPrecision()))).append(td(f(r.weightedRecall()))).append(td(""))
                .append(td("")).append(td(f(r.weightedF1()))).append(td("")).append("</tr>\n");
        sb.append("<tr><th scope=\"row\">Accuracy</th><td class=\"num\" colspan=\"10\">").append(f(r.accuracy()))
                .append(" <span class=\"ci\">(95% CI ").append(range(r.accuracyCi())).append(")</span></td></tr>\n");
        sb.append("</tfoot>\n</table>\n");
        return sb.toString();
    }

    /** Human title of a binary view. */
    public static String binaryTitle(BinaryMetrics b) {
        return switch (b.name()) {
            case "pneumonia_vs_normal" -> "Pneumonia vs normal";
            case "bacterial_vs_viral" -> "Bacterial vs viral";
            default -> b.name();
        };
    }

    /** Three decimals, or "n/a" for an undefined value. */
    public static String f(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
    }

    /** "0.812 – 0.866" or "n/a". */
    public static String range(Interval i) {
        return i == null || !i.defined() ? "n/a" : f(i.lo()) + " \u2013 " + f(i.hi());
    }

    private static String ci(Interval i) {
        return i == null || !i.defined() ? "" : "  (95% CI " + f(i.lo()) + " - " + f(i.hi()) + ")";
    }

    private static String td(String s) { return "<td class=\"num\">" + escape(s) + "</td>"; }

    /** Minimal HTML escaping for text content and attribute values. */
    public static String escape(String s) {
        if (s == null) return "";
        StringBuilder sb = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }
}
