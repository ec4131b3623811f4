package org.pneumoscope.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.Csv;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.Sample;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.eval.EvaluationTables;
import org.pneumoscope.report.IndexPage;
import org.pneumoscope.report.BarChart;
import org.pneumoscope.report.Plots;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One model evaluated on the same images as they are and under a list of acquisition shifts, and what each shift
 * costs: accuracy, per-class recall, and how many normal films it turns into pneumonia calls (the failure that
 * costs most at a new site). A fixed model and fixed images, so every difference is the shift's.
 * ({@code evaluate --sweep standard}; each shift's full evaluation lands in its own folder.)
 */
public final class RobustnessSweep {
    private RobustnessSweep() {}

    /**
     * Darker and brighter mid-tones, flatter and harsher contrast, ± brightness, a softer, a sharper and a noisier
     * detector, the chest framed tighter and wider, and narrower against its height (the training films' framing and
     * the shape of their originals differ by class).
     */
    public static final List<String> STANDARD = List.of("gamma=0.5", "gamma=2", "contrast=0.5", "contrast=1.5",
            "brightness=0.1", "brightness=-0.1", "blur=1", "sharpen=1", "noise=0.03", "zoom=1.3", "zoom=0.85", "squeeze=1.2");

    /** One evaluation of the sweep. {@code recall} by class index; the counts are of true normals. */
    public record Row(String shift, int n, double accuracy, double macroF1, double[] recall,
                      int normals, int normalsCalledPneumonia, int normalsCalledViral, double ece) {
        static Row of(String shift, EvaluationResult r) {
            double[] recall = new double[Label.COUNT];
            for (Label l : Label.values()) recall[l.index()] = r.perClass().get(l.index()).recall();
            int[] normal = r.confusionMatrix()[Label.NORMAL.index()];
            return new Row(shift, r.n(), r.accuracy(), r.macroF1(), recall, java.util.Arrays.stream(normal).sum(),
                    normal[Label.BACTERIA.index()] + normal[Label.VIRUS.index()], normal[Label.VIRUS.index()], r.ece());
        }
    }

    /** The rows, the unshifted evaluation first. */
    public record Result(List<Row> rows, Path json, Path csv) {
        public Row baseline() { return rows.get(0); }

        /** The shifted row with the lowest accuracy. */
        public Row worst() {
            Row w = null;
            for (Row r : rows.subList(1, rows.size())) if (w == null || r.accuracy() < w.accuracy()) w = r;
            return w;
        }
    }

    /** "standard", or shifts separated by ';' ("gamma=0.5;blur=1,noise=0.02"). Duplicates and "none" are refused. */
    public static List<AcquisitionShift> parse(String spec) {
        if (spec == null || spec.isBlank()) throw new UserException("sweep: give 'standard' or shifts separated by ';'", 2);
        List<String> parts = spec.trim().equalsIgnoreCase("standard") ? STANDARD : List.of(spec.split(";"));
        List<AcquisitionShift> out = new ArrayList<>();
        for (String p : parts) {
            if (p.isBlank()) continue;
            AcquisitionShift s = AcquisitionShift.parse(p);
            if (s.isNone()) throw new UserException("sweep: '" + p.trim() + "' is no shift (the unshifted evaluation is always the first row)", 2);
            if (out.contains(s)) throw new UserException("sweep: " + s.label() + " is listed twice", 2);
            out.add(s);
        }
        if (out.isEmpty()) throw new UserException("sweep: no shift in '" + spec + "'", 2);
        return out;
    }

    /** A folder name for a shift's label: ',' as '+'. */
    static String folder(String label) {
        return label.replace(',', '+');
    }

    public static Result run(TrainedModel model, List<Sample> samples, Path outDir, EvaluateJob.Options o,
                             List<AcquisitionShift> shifts, PrintStream out, List<Problem> skippedBefore) throws IOException {
        Files.createDirectories(outDir);
        List<AcquisitionShift> all = new ArrayList<>();
        all.add(AcquisitionShift.NONE);
        all.addAll(shifts);
        List<Row> rows = new ArrayList<>();
        for (AcquisitionShift s : all) {
            Path dir = outDir.resolve(folder(s.label()));
            Files.createDirectories(dir);
            // each evaluation's own output goes to its folder's log; the sweep prints one line per shift
            EvaluateJob.Outcome e;
            try (OutputStream log = Files.newOutputStream(dir.resolve("evaluate.log"));
                 PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8)) {
                e = EvaluateJob.run(model, samples, dir, o.withShift(s), ps, skippedBefore);
            }
            Row r = Row.of(s.label(), e.result());
            rows.add(r);
            out.printf(Locale.ROOT, "  %-28s accuracy %5.1f %%  normals called pneumonia %d%n", r.shift(), 100 * r.accuracy(),
                    r.normalsCalledPneumonia());
        }
        Path json = outDir.resolve("robustness.json"), csv = outDir.resolve("robustness.csv");
        AtomicFiles.writeString(json, JSON.writeValueAsString(toMap(rows)));
        AtomicFiles.writeString(csv, csv(rows));
        Map<String, double[]> bars = new LinkedHashMap<>();
        for (Row r : rows) bars.put(r.shift(), new double[]{100 * r.accuracy(), Double.NaN});
        AtomicFiles.write(outDir.resolve("robustness.png"), Plots.png(BarChart.withErrorBars(bars,
                "Accuracy as the films are and under each shift", "accuracy (%)")));
        AtomicFiles.writeString(outDir.resolve("index.html"), html(rows, model.run().dir().getFileName().toString()));
        Result res = new Result(List.copyOf(rows), json, csv);
        out.print(text(res));
        return res;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static Map<String, Object> toMap(List<Row> rows) {
        Map<String, Object> m = new LinkedHashMap<>();
        Row base = rows.get(0);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("shift", r.shift());
            x.put("n", r.n());
            x.put("accuracy", r.accuracy());
            x.put("accuracy_change", r.accuracy() - base.accuracy());
            x.put("macro_f1", r.macroF1());
            Map<String, Object> rec = new LinkedHashMap<>();
            for (Label l : Label.values()) rec.put(l.id(), finite(r.recall()[l.index()]));
            x.put("recall", rec);
            x.put("normals", r.normals());
            x.put("normals_called_pneumonia", r.normalsCalledPneumonia());
            x.put("normals_called_viral", r.normalsCalledViral());
            x.put("ece", finite(r.ece()));
            list.add(x);
        }
        m.put("rows", list);
        return m;
    }

    private static Double finite(double v) { return Double.isFinite(v) ? v : null; }

    static String csv(List<Row> rows) {
        StringBuilder b = new StringBuilder(Csv.record("shift", "n", "accuracy", "accuracy_change", "macro_f1", "recall_bacteria",
                "recall_virus", "recall_normal", "normals_called_pneumonia", "normals_called_viral", "ece"));
        double base = rows.get(0).accuracy();
        for (Row r : rows)
            b.append(Csv.record(r.shift(), r.n(), decimal(r.accuracy()), decimal(r.accuracy() - base), decimal(r.macroF1()),
                    decimal(r.recall()[0]), decimal(r.recall()[1]), decimal(r.recall()[2]), r.normalsCalledPneumonia(),
                    r.normalsCalledViral(), decimal(r.ece())));
        return b.toString();
    }

    private static String decimal(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    /** index.html: the table, the chart and a link to each evaluation's own report. */
    static String html(List<Row> rows, String runName) {
        StringBuilder b = IndexPage.begin("Robustness of " + runName)
                .append("<h1>Robustness of ").append(EvaluationTables.escape(runName)).append("</h1>\n")
                .append("<p class=\"muted\">One model, the same ").append(rows.get(0).n()).append(" images, re-rendered before the model as ")
                .append("another scanner or its processing might (grey scale, blur, sharpening, noise). Every difference from the ")
                .append("first row is the shift's. Research use only.</p>\n<table><tr><th>shift</th><th>accuracy</th><th>change</th>")
                .append("<th>macro-F1</th><th>recall bacteria</th><th>recall virus</th><th>recall normal</th>")
                .append("<th>normals called pneumonia</th><th>of them viral</th><th>ECE</th><th>report</th></tr>\n");
        double base = rows.get(0).accuracy();
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.1f %%</td><td>%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td>"
                            + "<td>%.3f</td><td>%d of %d</td><td>%d</td><td>%.3f</td><td><a href=\"%s/report.html\">report</a></td></tr>%n",
                    EvaluationTables.escape(r.shift()), 100 * r.accuracy(), r == rows.get(0) ? "&mdash;" : String.format(Locale.ROOT, "%+.1f", 100 * (r.accuracy() - base)),
                    r.macroF1(), r.recall()[0], r.recall()[1], r.recall()[2], r.normalsCalledPneumonia(), r.normals(),
                    r.normalsCalledViral(), r.ece(), EvaluationTables.escape(folder(r.shift()))));
        }
        return b.append("</table>\n<p><a href=\"robustness.csv\">robustness.csv</a> · <a href=\"robustness.json\">robustness.json</a></p>\n")
                .append("<img src=\"robustness.png\" alt=\"accuracy under each shift\" width=\"760\">\n</body></html>\n").toString();
    }

    /** The table printed at the end. */
    public static String text(Result res) {
        StringBuilder b = new StringBuilder();
        Row base = res.baseline();
        b.append(String.format(Locale.ROOT, "%-28s %9s %7s %8s  %-20s %s%n", "shift", "accuracy", "change", "macro-F1",
                "recall bact/vir/norm", "normals called pneumonia (viral)"));
        for (Row r : res.rows()) {
            String change = r == base ? "-" : String.format(Locale.ROOT, "%+.1f", 100 * (r.accuracy() - base.accuracy()));
            b.append(String.format(Locale.ROOT, "%-28s %7.1f %% %7s %8.3f  %.3f/%.3f/%.3f  %d of %d (%d)%n", r.shift(), 100 * r.accuracy(),
                    change, r.macroF1(), r.recall()[0], r.recall()[1], r.recall()[2], r.normalsCalledPneumonia(),
                    r.normals(), r.normalsCalledViral()));
        }
        Row w = res.worst();
        double lowestNormal = Double.POSITIVE_INFINITY;
        String where = "";
        for (Row r : res.rows().subList(1, res.rows().size()))
            if (r.recall()[Label.NORMAL.index()] < lowestNormal) { lowestNormal = r.recall()[Label.NORMAL.index()]; where = r.shift(); }
        b.append(String.format(Locale.ROOT, "largest fall: %.1f points (%s); lowest normal recall under a shift: %.3f (%s)%n",
                100 * (base.accuracy() - w.accuracy()), w.shift(), lowestNormal, where));
        return b.toString();
    }
}
