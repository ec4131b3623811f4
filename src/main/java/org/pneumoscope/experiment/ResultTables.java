package org.pneumoscope.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Csv;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.report.BarChart;
import org.pneumoscope.report.EpochRecord;
import org.pneumoscope.report.IndexPage;
import org.pneumoscope.report.Plots;
import org.pneumoscope.report.TrainingCurves;
import org.pneumoscope.train.RunFolder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.pneumoscope.pipeline.FoldPlan;

/**
 * The experiment's tables and figures, rebuilt from the finished runs' {@code result.json} files after every
 * run (so a stopped experiment still has up-to-date tables): {@code results.csv} (one row per cell × fold),
 * {@code summary.csv} and {@code summary.md} (mean ± SD per cell), bar charts with error bars, learning curves
 * per cell (mean over its folds) and {@code index.html} linking each run's report. These are derived files,
 * rewritten atomically; the runs' own files are never touched here.
 *
 * <p>Cells are ranked by their mean validation macro-F1 (each run's own held-out fold). The test split is scored
 * once per run but shown for the chosen cell only (the one ranked first): a recipe picked on the test split is
 * fitted to it, and its test figure no longer says how it does on films nobody looked at; showing every cell's
 * test figure invites that choice. Every table says so where the test columns are.
 */
public final class ResultTables {
    private ResultTables() {}

    /** A metric column: CSV name, human name, how to read it, and whether it is shown as a percentage. */
    record Metric(String id, String title, ToDoubleFunction<UnitResult> get, boolean percent) {}

    /** The test split's metrics (scored once per run, not used for ranking). */
    static final List<Metric> METRICS = metrics();

    /** The validation metrics: the fold's held-out fold at the selected epoch; macro-F1 ranks the cells. */
    static final List<Metric> VALIDATION = List.of(
            new Metric("val_accuracy", "accuracy", UnitResult::valAccuracy, true),
            new Metric("val_macro_f1", "macro-F1", UnitResult::valMacroF1, true));

    /**
     * What the tables call the fixed test split: "test split", "held-out batch (proxy for new films)" or "held-out
     * blurry normals (proxy for new films)".
     */
    public static String splitName(SplitStrategy holdout) {
        return holdout.heldOutName();
    }

    /** The heading over the test split's columns. */
    static String testHeading(SplitStrategy holdout) {
        return holdout == SplitStrategy.PATIENT ? "test (chosen cell only, not used for ranking)"
                : splitName(holdout).replace(")", "; chosen cell only, not used for ranking)");
    }

    /** A test figure of a cell: shown for the chosen cell only, "—" for every other. */
    static String testText(Metric m, List<UnitResult> rs, boolean chosen) {
        return chosen && !rs.isEmpty() ? cellText(m, rs) : "—";
    }

    /** Short prefix of a test column's title: "test accuracy", "held-out batch accuracy", "blurry-normal holdout accuracy". */
    static String testShort(SplitStrategy holdout) {
        return switch (holdout) {
            case PATIENT -> "test";
            case BATCH -> "held-out batch";
            case TEXTURE -> "blurry-normal holdout"; // it also holds a share of the other classes: not "blurry normals accuracy"
            case SHAPE -> "narrow-normal holdout";
        };
    }

    /** CSV prefix of the test split's columns: test_accuracy, batch_accuracy, texture_accuracy. */
    private static String csvPrefix(SplitStrategy holdout) {
        return holdout == SplitStrategy.PATIENT ? "test_" : holdout.id() + "_";
    }

    static final String RANK_HEADING = "validation (ranks the cells)";

    /**
     * Rank per cell (1 = highest mean validation macro-F1; equal means share the plan order); cells without
     * validation figures (none finished, or runs that predate them) have none.
     */
    static Map<Cell, Integer> ranks(Map<Cell, List<UnitResult>> all) {
        List<Map.Entry<Cell, Double>> scored = new ArrayList<>();
        for (Map.Entry<Cell, List<UnitResult>> e : all.entrySet()) {
            double f1 = meanStd(values(e.getValue(), UnitResult::valMacroF1))[0];
            if (Double.isFinite(f1)) scored.add(Map.entry(e.getKey(), f1));
        }
        scored.sort((a, b) -> Double.compare(b.getValue(), a.getValue())); // stable: ties keep the plan order
        Map<Cell, Integer> rank = new LinkedHashMap<>();
        for (int i = 0; i < scored.size(); i++) rank.put(scored.get(i).getKey(), i + 1);
        return rank;
    }

    /** The cell with the highest mean validation macro-F1, or null when no cell has validation figures. */
    static Cell best(Map<Cell, List<UnitResult>> all) {
        return ranks(all).keySet().stream().findFirst().orElse(null);
    }

    private static List<Metric> metrics() {
        List<Metric> m = new ArrayList<>();
        m.add(new Metric("accuracy", "accuracy", UnitResult::accuracy, true));
        m.add(new Metric("macro_f1", "macro-F1", UnitResult::macroF1, true));
        for (Label l : Label.values())
            m.add(new Metric("recall_" + l.id(), "recall " + l.id(), r -> r.recall()[l.index()], true));
        m.add(new Metric("macro_auc", "macro AUC", UnitResult::macroAuc, false));
        m.add(new Metric("ece", "ECE", UnitResult::ece, false));
        return List.copyOf(m);
    }

    /** Mean and sample standard deviation (n−1; NaN for fewer than two values) of the finite values. */
    static double[] meanStd(List<Double> xs) {
        List<Double> v = xs.stream().filter(Double::isFinite).toList();
        if (v.isEmpty()) return new double[] {Double.NaN, Double.NaN};
        double mean = v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        if (v.size() < 2) return new double[] {mean, Double.NaN};
        double ss = 0;
        for (double x : v) ss += (x - mean) * (x - mean);
        return new double[] {mean, Math.sqrt(ss / (v.size() - 1))};
    }

    /** Finished results in plan order (cells, then folds). */
    public static Map<Cell, List<UnitResult>> collect(ExperimentPlan plan, Path out) throws IOException {
        Map<Cell, List<UnitResult>> m = new LinkedHashMap<>();
        for (Cell c : plan.cells()) {
            List<UnitResult> rs = new ArrayList<>();
            for (int f = 0; f < plan.folds().folds(); f++) {
                Path p = ExperimentPlan.resultFile(out, c.name(), f);
                if (Files.isRegularFile(p)) rs.add(UnitResult.read(p));
            }
            m.put(c, rs);
        }
        return m;
    }

    /**
     * Rewrites every table and figure. Learning curves are redrawn only for {@code changedCells} (null: all) and
     * for cells whose figure is missing.
     */
    public static synchronized void write(ExperimentPlan plan, Path out, Set<String> changedCells) throws IOException {
        Map<Cell, List<UnitResult>> all = collect(plan, out);
        List<String> keys = plan.keyColumns();
        SplitStrategy holdout = plan.spec().holdout();
        AtomicFiles.writeString(out.resolve("results.csv"), resultsCsv(all, keys, holdout));
        AtomicFiles.writeString(out.resolve("summary.csv"), summaryCsv(all, keys, holdout));
        AtomicFiles.writeString(out.resolve("summary.md"), summaryMd(plan, all, keys));
        Path plots = out.resolve("plots");
        for (Map.Entry<Cell, List<UnitResult>> e : all.entrySet()) {
            Path curve = plots.resolve("curves-" + e.getKey().name() + ".png");
            if (e.getValue().isEmpty()) continue;
            if (changedCells == null || changedCells.contains(e.getKey().name()) || !Files.exists(curve)) {
                List<EpochRecord> mean = meanCurve(out, e.getKey(), e.getValue());
                if (!mean.isEmpty()) Plots.writePng(TrainingCurves.render(mean), curve);
            }
        }
        writeBars(all, plots, holdout);
        AtomicFiles.writeString(out.resolve("index.html"), indexHtml(plan, out, all, keys));
    }

    /**
     * The bar chart of validation macro-F1, what ranks the cells. There is no chart of test figures per cell: they are
     * shown for the chosen cell only (charts an earlier version drew are removed; they are derived files).
     */
    private static void writeBars(Map<Cell, List<UnitResult>> all, Path plots, SplitStrategy holdout) throws IOException {
        Files.deleteIfExists(plots.resolve("accuracy.png"));
        Files.deleteIfExists(plots.resolve("macro_f1.png"));
        Map<String, double[]> val = bars(all, UnitResult::valMacroF1);
        if (!val.isEmpty())
            Plots.writePng(BarChart.withErrorBars(val, "Validation macro-F1 per cell (mean ± SD over folds; ranks the cells)", "Macro-F1"),
                    plots.resolve("val_macro_f1.png"));
    }

    /** Mean ± SD of {@code f} per cell with finite values. */
    private static Map<String, double[]> bars(Map<Cell, List<UnitResult>> all, ToDoubleFunction<UnitResult> f) {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (Map.Entry<Cell, List<UnitResult>> e : all.entrySet()) {
            double[] ms = meanStd(values(e.getValue(), f));
            if (Double.isFinite(ms[0])) m.put(e.getKey().name(), ms);
        }
        return m;
    }

    static List<Double> values(List<UnitResult> rs, ToDoubleFunction<UnitResult> f) {
        List<Double> v = new ArrayList<>();
        for (UnitResult r : rs) v.add(f.applyAsDouble(r));
        return v;
    }

    // ------------------------------------------------------------------ CSV

    static String resultsCsv(Map<Cell, List<UnitResult>> all, List<String> keys, SplitStrategy holdout) {
        String t = csvPrefix(holdout);
        StringBuilder b = new StringBuilder("cell,fold");
        for (String k : keys) b.append(',').append(Csv.field(k));
        for (Metric m : VALIDATION) b.append(',').append(m.id());
        for (Metric m : METRICS) b.append(',').append(t).append(m.id());
        b.append(",best_epoch,epochs_run,wall_seconds,val_images,").append(t).append("images\n");
        Cell best = best(all);
        for (Map.Entry<Cell, List<UnitResult>> e : all.entrySet())
            for (UnitResult r : e.getValue()) {
                b.append(Csv.field(r.cell())).append(',').append(r.fold());
                for (String k : keys) b.append(',').append(Csv.field(e.getKey().value(k)));
                for (Metric m : VALIDATION) b.append(',').append(num(m.get().applyAsDouble(r)));
                for (Metric m : METRICS) b.append(',').append(e.getKey().equals(best) ? num(m.get().applyAsDouble(r)) : "");
                b.append(',').append(r.bestEpoch()).append(',').append(r.epochsRun())
                        .append(',').append(String.format(Locale.ROOT, "%.1f", r.wallSeconds()))
                        .append(',').append(r.valImages()).append(',').append(r.testImages()).append('\n');
            }
        return b.toString();
    }

    static String summaryCsv(Map<Cell, List<UnitResult>> all, List<String> keys, SplitStrategy holdout) {
        String t = csvPrefix(holdout);
        StringBuilder b = new StringBuilder("cell,folds");
        for (String k : keys) b.append(',').append(Csv.field(k));
        b.append(",rank_by_val_macro_f1");
        for (Metric m : VALIDATION) b.append(',').append(m.id()).append("_mean,").append(m.id()).append("_std");
        for (Metric m : METRICS) b.append(',').append(t).append(m.id()).append("_mean,").append(t).append(m.id()).append("_std");
        b.append(",best_epoch_mean,wall_seconds_mean\n");
        Map<Cell, Integer> rank = ranks(all);
        Cell best = best(all);
        for (Map.Entry<Cell, List<UnitResult>> e : all.entrySet()) {
            List<UnitResult> rs = e.getValue();
            if (rs.isEmpty()) continue;
            b.append(Csv.field(e.getKey().name())).append(',').append(rs.size());
            for (String k : keys) b.append(',').append(Csv.field(e.getKey().value(k)));
            b.append(',').append(rank.containsKey(e.getKey()) ? rank.get(e.getKey()).toString() : "");
            for (Metric m : concat(VALIDATION, METRICS)) {
                double[] ms = VALIDATION.contains(m) || e.getKey().equals(best) ? meanStd(values(rs, m.get()))
                        : new double[] {Double.NaN, Double.NaN};
                b.append(',').append(num(ms[0])).append(',').append(num(ms[1]));
            }
            b.append(',').append(num(meanStd(values(rs, r -> r.bestEpoch()))[0]))
                    .append(',').append(String.format(Locale.ROOT, "%.1f", meanStd(values(rs, UnitResult::wallSeconds))[0])).append('\n');
        }
        return b.toString();
    }

    private static List<Metric> concat(List<Metric> a, List<Metric> b) {
        List<Metric> m = new ArrayList<>(a);
        m.addAll(b);
        return m;
    }

    static String num(double d) { return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6f", d) : ""; }

    // ------------------------------------------------------------------ Markdown

    static String cellText(Metric m, List<UnitResult> rs) {
        double[] ms = meanStd(values(rs, m.get()));
        if (!Double.isFinite(ms[0])) return "—";
        if (m.percent()) {
            return Double.isFinite(ms[1]) ? String.format(Locale.ROOT, "%.1f ± %.1f %%", 100 * ms[0], 100 * ms[1])
                    : String.format(Locale.ROOT, "%.1f %%", 100 * ms[0]);
        }
        return Double.isFinite(ms[1]) ? String.format(Locale.ROOT, "%.3f ± %.3f", ms[0], ms[1]) : String.format(Locale.ROOT, "%.3f", ms[0]);
    }

    static String summaryMd(ExperimentPlan plan, Map<Cell, List<UnitResult>> all, List<String> keys) {
        SplitStrategy holdout = plan.spec().holdout();
        StringBuilder b = new StringBuilder("# Experiment: ").append(plan.spec().name()).append("\n\n");
        if (plan.spec().description() != null) b.append(plan.spec().description().trim()).append("\n\n");
        b.append(intro(plan, all)).append("\n\n");
        b.append("| cell | folds");
        for (String k : keys) b.append(" | ").append(k);
        b.append(" | rank");
        for (Metric m : VALIDATION) b.append(" | val ").append(m.title());
        for (Metric m : METRICS) b.append(" | ").append(testShort(holdout)).append(' ').append(m.title());
        // what a cell costs matters as much as what it scores when the budget is fixed
        b.append(" | min/run |\n|---|---:");
        for (int i = 0; i < keys.size(); i++) b.append("|---");
        for (int i = 0; i <= 1 + VALIDATION.size() + METRICS.size(); i++) b.append("|---:");
        b.append("|\n");
        Map<Cell, Integer> rank = ranks(all);
        Cell chosen = best(all);
        for (Map.Entry<Cell, List<UnitResult>> e : all.entrySet()) {
            List<UnitResult> rs = e.getValue();
            b.append("| ").append(e.getKey().name()).append(" | ").append(rs.size());
            for (String k : keys) b.append(" | ").append(e.getKey().value(k));
            b.append(" | ").append(rank.containsKey(e.getKey()) ? rank.get(e.getKey()).toString() : "—");
            for (Metric m : VALIDATION) b.append(" | ").append(rs.isEmpty() ? "—" : cellText(m, rs));
            for (Metric m : METRICS) b.append(" | ").append(testText(m, rs, e.getKey().equals(chosen)));
            double wall = meanStd(values(rs, UnitResult::wallSeconds))[0];
            b.append(" | ").append(Double.isFinite(wall) ? String.format(Locale.ROOT, "%.1f", wall / 60) : "—");
            b.append(" |\n");
        }
        b.append('\n');
        Cell best = best(all);
        if (best != null) b.append(bestLine(best, all.get(best), holdout)).append("\n\n");
        for (Cell c : plan.cells())
            if (c.description() != null) b.append("- **").append(c.name()).append("**: ").append(c.description().trim()).append('\n');
        if (plan.cells().stream().anyMatch(c -> c.description() != null)) b.append('\n');
        b.append("![validation macro-F1](plots/val_macro_f1.png)\n");
        return b.toString();
    }

    /** What was scored how, and what ranks the cells; the paragraph above the table (Markdown; HTML escapes it). */
    static String intro(ExperimentPlan plan, Map<Cell, List<UnitResult>> all) {
        SplitStrategy holdout = plan.spec().holdout();
        int done = 0;
        for (List<UnitResult> rs : all.values()) done += rs.size();
        String counts = FoldPlan.countsText(plan.folds().testCounts());
        String split = switch (holdout) {
            case BATCH -> String.format(Locale.ROOT, "the lowest-numbered %.0f %% of each file-name family's patients, %s",
                    100 * plan.spec().testFraction(), counts);
            case TEXTURE, SHAPE -> textureText(holdout, plan.spec().testFraction()) + ", " + counts;
            case PATIENT -> "one fixed split of " + counts + " (whole patients)";
        };
        return String.format(Locale.ROOT, "Cells are ranked by mean validation macro-F1: each run's own held-out fold at the selected "
                        + "epoch, before calibration. Columns headed *%s*: %s, %s, the same for every cell; every run is scored on it, "
                        + "but only the chosen cell's figures are shown, so that they cannot sway the choice. %d-fold cross-validation "
                        + "over the rest, grouped by patient and stratified by class (seed %d). Each value is the mean ± sample SD (n−1) "
                        + "over the finished folds. %d of %d runs finished.",
                testShort(holdout), testHeading(holdout), split, plan.folds().folds(), plan.spec().seed(), done,
                plan.cells().size() * plan.folds().folds());
    }

    /** What a texture or shape holdout holds: "the blurriest 25 % of normal-class patients and a random 15 % of the others". */
    static String textureText(SplitStrategy holdout, double otherFraction) {
        return String.format(Locale.ROOT, "the %s %.0f %% of normal-class patients and a random %.0f %% of the others",
                org.pneumoscope.pipeline.NormalRankings.of(holdout).heldOut(),
                100 * org.pneumoscope.data.TextureSplit.DEFAULT_TEXTURE_FRACTION, 100 * otherFraction);
    }

    static String bestLine(Cell best, List<UnitResult> rs, SplitStrategy holdout) {
        double val = meanStd(values(rs, UnitResult::valMacroF1))[0], test = meanStd(values(rs, UnitResult::macroF1))[0];
        return String.format(Locale.ROOT, "Highest mean validation macro-F1, the chosen cell: **%s** (%.1f %%; %s macro-F1 %.1f %%, "
                + "shown for this cell only, not used for ranking). With few folds, differences smaller than about one SD are not "
                + "evidence of a real difference.",
                best.name(), 100 * val, testShort(holdout), 100 * test);
    }

    // ------------------------------------------------------------------ learning curves

    /** Per-epoch mean over the cell's finished folds (epochs some folds did not reach use the others). */
    static List<EpochRecord> meanCurve(Path out, Cell cell, List<UnitResult> rs) throws IOException {
        Map<Integer, List<EpochRecord>> byEpoch = new java.util.TreeMap<>();
        for (UnitResult r : rs) {
            Path mj = new RunFolder(ExperimentPlan.unitDir(out, cell.name(), r.fold() - 1)).metricsJson();
            if (!Files.isRegularFile(mj)) continue;
            JsonNode root = RunFolder.JSON.readTree(mj.toFile());
            for (JsonNode e : root.path("epochs")) {
                double[] rec = new double[Label.COUNT];
                for (Label l : Label.values()) rec[l.index()] = d(e.path("val_recall").path(l.id()));
                EpochRecord er = new EpochRecord(e.path("epoch").asInt(), d(e.path("train_loss")), d(e.path("train_acc")),
                        d(e.path("val_loss")), d(e.path("val_acc")), d(e.path("lr")), d(e.path("img_per_s")), rec);
                byEpoch.computeIfAbsent(er.epoch(), k -> new ArrayList<>()).add(er);
            }
        }
        List<EpochRecord> mean = new ArrayList<>();
        for (Map.Entry<Integer, List<EpochRecord>> e : byEpoch.entrySet()) {
            List<EpochRecord> l = e.getValue();
            double[] rec = new double[Label.COUNT];
            for (int k = 0; k < rec.length; k++) {
                final int kk = k;
                rec[k] = avg(l, x -> x.valRecall()[kk]);
            }
            mean.add(new EpochRecord(e.getKey(), avg(l, EpochRecord::trainLoss), avg(l, EpochRecord::trainAcc),
                    avg(l, EpochRecord::valLoss), avg(l, EpochRecord::valAcc), avg(l, EpochRecord::lr),
                    avg(l, EpochRecord::imgPerSec), rec));
        }
        return mean;
    }

    private static double avg(List<EpochRecord> l, ToDoubleFunction<EpochRecord> f) {
        List<Double> v = new ArrayList<>();
        for (EpochRecord r : l) v.add(f.applyAsDouble(r));
        return meanStd(v)[0];
    }

    private static double d(JsonNode n) { return n.isNumber() ? n.asDouble() : Double.NaN; }

    // ------------------------------------------------------------------ index.html

    static String indexHtml(ExperimentPlan plan, Path out, Map<Cell, List<UnitResult>> all, List<String> keys) {
        StringBuilder b = IndexPage.begin("Experiment " + plan.spec().name());
        b.append("<h1>Experiment: ").append(esc(plan.spec().name())).append("</h1>\n");
        if (plan.spec().description() != null) b.append("<p>").append(esc(plan.spec().description().trim())).append("</p>\n");
        b.append("<p class=\"muted\">").append(esc(intro(plan, all).replace("*", ""))).append(" Research use only.</p>\n");
        SplitStrategy holdout = plan.spec().holdout();
        tableHtml(b, out, all, keys, holdout);
        b.append("<p><a href=\"results.csv\">results.csv</a> · <a href=\"summary.csv\">summary.csv</a> · "
                + "<a href=\"summary.md\">summary.md</a> · <a href=\"plan.json\">plan.json</a> · <a href=\"split.csv\">split.csv</a></p>\n");
        Cell best = best(all);
        if (best != null) b.append("<p>").append(esc(bestLine(best, all.get(best), holdout).replace("**", ""))).append("</p>\n");
        if (Files.exists(out.resolve("plots/val_macro_f1.png")))
            b.append("<h2>Validation macro-F1 (ranks the cells)</h2>\n<img src=\"plots/val_macro_f1.png\" alt=\"validation macro-F1 per cell\" width=\"760\">\n");
        b.append("<h2>Learning curves (mean over folds)</h2>\n");
        for (Cell c : all.keySet()) {
            String rel = "plots/curves-" + c.name() + ".png";
            if (!Files.exists(out.resolve(rel))) continue;
            b.append("<h3>").append(esc(c.name())).append(" <span class=\"muted\">").append(esc(c.settingsText())).append("</span></h3>\n")
                    .append("<img src=\"").append(esc(rel)).append("\" alt=\"learning curves of ").append(esc(c.name()))
                    .append("\" width=\"600\">\n");
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    /** The summary table: validation columns (which rank the cells) and the test split's under their own headings. */
    private static void tableHtml(StringBuilder b, Path out, Map<Cell, List<UnitResult>> all, List<String> keys, SplitStrategy holdout) {
        int span = 3 + keys.size();
        b.append("<table><tr><th colspan=\"").append(span).append("\"></th><th class=\"group\" colspan=\"").append(VALIDATION.size()).append("\">")
                .append(esc(RANK_HEADING)).append("</th><th class=\"group\" colspan=\"").append(METRICS.size()).append("\">")
                .append(esc(testHeading(holdout))).append("</th><th></th></tr>\n");
        b.append("<tr><th>cell</th><th>folds</th>");
        for (String k : keys) b.append("<th>").append(esc(k)).append("</th>");
        b.append("<th>rank</th>");
        for (Metric m : concat(VALIDATION, METRICS)) b.append("<th>").append(esc(m.title())).append("</th>");
        b.append("<th>reports</th></tr>\n");
        Map<Cell, Integer> rank = ranks(all);
        Cell chosen = best(all);
        for (Map.Entry<Cell, List<UnitResult>> e : all.entrySet()) {
            List<UnitResult> rs = e.getValue();
            b.append("<tr><td>").append(esc(e.getKey().name())).append("</td><td>").append(rs.size()).append("</td>");
            for (String k : keys) b.append("<td>").append(esc(e.getKey().value(k))).append("</td>");
            b.append("<td>").append(rank.containsKey(e.getKey()) ? rank.get(e.getKey()).toString() : "—").append("</td>");
            for (Metric m : VALIDATION) b.append("<td>").append(esc(rs.isEmpty() ? "—" : cellText(m, rs))).append("</td>");
            for (Metric m : METRICS) b.append("<td>").append(esc(testText(m, rs, e.getKey().equals(chosen)))).append("</td>");
            b.append("<td>");
            if (!e.getKey().equals(chosen)) rs = List.of(); // the test reports hold the test figures: the chosen cell's only
            for (UnitResult r : rs) {
                String rel = "cells/" + e.getKey().name() + "/fold-" + r.fold() + "/test/report.html";
                if (Files.exists(out.resolve(rel))) b.append("<a href=\"").append(esc(rel)).append("\">fold ").append(r.fold()).append("</a> ");
            }
            b.append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    static String esc(String s) {
        return org.pneumoscope.eval.EvaluationTables.escape(s);
    }
}
