package org.pneumoscope.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.DatasetStats;
import org.pneumoscope.data.ExposureCheck;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.Sample;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.pneumoscope.pipeline.Console.n;

/** {@code dataset stats}: counts per class and split, patients, duplicates, unreadable files, leaks and the exposure check, as text or JSON. */
public final class DatasetStatsJob {
    /** The command's options, as parsed. */
    public record Options(Path data, boolean json, boolean noDecode, int threads, int listLimit, boolean verbatimIds) {}

    private final Path data;
    private final boolean json;
    private final boolean noDecode;
    private final int threads;
    private final int listLimit;
    private final boolean verbatimIds;
    private final PrintStream log;



    private DatasetStatsJob(Options o, PrintStream log) {
        data = o.data();
        json = o.json();
        noDecode = o.noDecode();
        threads = o.threads();
        listLimit = o.listLimit();
        verbatimIds = o.verbatimIds();
        this.log = log;
    }

    /** Runs the job as the options say, printing to {@code log}. */
    public static void run(Options o, PrintStream log) throws Exception {
        new DatasetStatsJob(o, log).run();
    }

    private void run() throws Exception {
        DatasetScan scan = DatasetReader.read(data, verbatimIds ? org.pneumoscope.data.PatientIds.Rule.VERBATIM
                : org.pneumoscope.data.PatientIds.Rule.NAMING).requireImages();
        DatasetStats st = DatasetStats.compute(scan, !noDecode, threads, org.pneumoscope.pipeline.Console.progress("reading images"));
        PrintStream out = log;
        if (json) {
            ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            out.println(om.writeValueAsString(toJson(st)));
        } else {
            printText(st, out);
        }
        if (!st.leaks().isEmpty())
            System.err.println("pneumoscope: WARNING: " + n(st.leaks().size())
                    + " patient(s) appear in more than one split (data leakage)");
    }

    static Map<String, Object> toJson(DatasetStats st) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", st.source());
        m.put("layout", st.layout());
        m.put("images", st.images());
        m.put("classes", labelMap(st.byClass()));
        Map<String, Object> splits = new LinkedHashMap<>();
        st.bySplit().forEach((k, v) -> splits.put(k, labelMap(v)));
        m.put("splits", splits);
        m.put("patients", st.patients());
        m.put("patientsBySplit", st.patientsBySplit());
        List<Map<String, Object>> leaks = new ArrayList<>();
        for (DatasetStats.Leak l : st.leaks()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("patientId", l.patientId());
            e.put("splits", l.splits());
            e.put("images", l.images());
            leaks.add(e);
        }
        m.put("patientsInSeveralSplits", leaks);
        m.put("mixedLabelPatients", st.mixedLabelPatients());
        m.put("filesRead", st.decoded());
        List<Map<String, Object>> dups = new ArrayList<>();
        for (DatasetStats.DuplicateGroup g : st.duplicates()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("sha256", g.sha256());
            e.put("crossesSplits", g.crossesSplits());
            e.put("conflictingLabels", g.conflictingLabels());
            List<Map<String, Object>> files = new ArrayList<>();
            for (Sample s : g.samples()) {
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("file", s.file().toString());
                f.put("label", s.label().id());
                f.put("split", s.split());
                files.add(f);
            }
            e.put("files", files);
            dups.add(e);
        }
        m.put("duplicates", dups);
        m.put("decodeFailures", problems(st.decodeFailures()));
        m.put("skipped", problems(st.scanProblems()));
        m.put("sizes", st.sizes());
        if (st.exposure() != null) {
            ExposureCheck x = st.exposure();
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("images", x.images());
            e.put("statistics", ExposureCheck.STATISTICS);
            Map<String, Object> means = new LinkedHashMap<>();
            x.classMeans().forEach((l, v) -> means.put(l.id(), v));
            e.put("classMeans", means);
            Map<String, Object> sep = new LinkedHashMap<>(); // NaN (a class missing) is not JSON: null
            x.separability().forEach((q, v) -> sep.put(q, Arrays.stream(v).mapToObj(d -> Double.isNaN(d) ? null : d).toList()));
            e.put("separabilityAuc", sep);
            e.put("warning", x.warns());
            m.put("exposure", e);
        }
        return m;
    }

    private static Map<String, Integer> labelMap(Map<Label, Integer> counts) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (Label l : Label.values()) m.put(l.id(), counts.getOrDefault(l, 0));
        return m;
    }

    private static List<Map<String, String>> problems(List<Problem> ps) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Problem p : ps) {
            Map<String, String> e = new LinkedHashMap<>();
            e.put("file", p.file() == null ? null : p.file().toString());
            e.put("reason", p.reason());
            out.add(e);
        }
        return out;
    }

    void printText(DatasetStats st, PrintStream out) {
        out.println("Dataset " + st.source() + "  (layout: " + st.layout() + ")");
        out.println("Images: " + n(st.images()) + "   patients: " + n(st.patients()));
        out.println();
        List<String> splits = new ArrayList<>(st.bySplit().keySet());
        StringBuilder head = new StringBuilder(String.format("%-10s", "class"));
        for (String s : splits) head.append(String.format("%10s", s));
        head.append(String.format("%10s", "total"));
        out.println(head);
        for (Label l : Label.values()) {
            StringBuilder row = new StringBuilder(String.format("%-10s", l.id()));
            for (String s : splits) row.append(String.format("%10s", n(st.bySplit().get(s).getOrDefault(l, 0))));
            row.append(String.format("%10s", n(st.byClass().getOrDefault(l, 0))));
            out.println(row);
        }
        StringBuilder tot = new StringBuilder(String.format("%-10s", "total"));
        List<String> perSplit = new ArrayList<>();
        for (String s : splits) {
            int t = st.bySplit().get(s).values().stream().mapToInt(Integer::intValue).sum();
            tot.append(String.format("%10s", n(t)));
            perSplit.add(n(t) + " " + s);
        }
        tot.append(String.format("%10s", n(st.images())));
        out.println(tot);
        StringBuilder pats = new StringBuilder(String.format("%-10s", "patients"));
        for (String s : splits) pats.append(String.format("%10s", n(st.patientsBySplit().getOrDefault(s, 0))));
        pats.append(String.format("%10s", n(st.patients())));
        out.println(pats);
        out.println();
        out.println("Splits: " + String.join(" / ", perSplit));
        for (Label l : st.missingClasses())
            out.println("WARNING: no " + l.id() + " images at all: training needs all three classes");
        for (String s : splits) {
            if (s.equals(DatasetStats.NO_SPLIT)) continue;
            for (Label l : Label.values())
                if (st.bySplit().get(s).getOrDefault(l, 0) == 0 && st.byClass().getOrDefault(l, 0) > 0)
                    out.println("Note: split '" + s + "' has no " + l.id() + " images");
        }
        if (st.mixedLabelPatients() > 0)
            out.println("Patients with images of more than one class: " + n(st.mixedLabelPatients())
                    + " (splits keep each patient whole and stratify on the majority label)");
        if (!st.sizes().isEmpty()) {
            List<String> sz = new ArrayList<>();
            int k = 0;
            for (Map.Entry<String, Integer> e : st.sizes().entrySet()) {
                if (k++ == 5) { sz.add("... " + n(st.sizes().size() - 5) + " more sizes"); break; }
                sz.add(e.getKey() + " (" + n(e.getValue()) + ")");
            }
            out.println("Image sizes: " + String.join(", ", sz));
        }

        out.println();
        if (!st.decoded()) {
            out.println("Duplicates and decoding: not checked (--no-decode)");
        } else if (st.duplicates().isEmpty()) {
            out.println("Duplicate files (identical content): none");
        } else {
            int files = st.duplicates().stream().mapToInt(g -> g.samples().size()).sum();
            out.println("Duplicate files (identical content): " + n(st.duplicates().size()) + " group(s), "
                    + n(files) + " files");
            int k = 0;
            for (DatasetStats.DuplicateGroup g : st.duplicates()) {
                if (k++ == listLimit) { out.println("  ... " + n(st.duplicates().size() - listLimit) + " more group(s) (--json lists all)"); break; }
                String flags = (g.crossesSplits() ? " [ACROSS SPLITS]" : "") + (g.conflictingLabels() ? " [CONFLICTING LABELS]" : "");
                out.println("  sha256 " + g.sha256().substring(0, 12) + flags + ":");
                for (Sample s : g.samples())
                    out.println("    " + s.file() + "  (" + s.label().id() + ", " + (s.split() == null ? "no split" : s.split()) + ")");
            }
        }
        if (st.decoded()) {
            if (st.decodeFailures().isEmpty()) out.println("Images that failed to decode: none");
            else {
                out.println("Images that failed to decode: " + n(st.decodeFailures().size()));
                printProblems(st.decodeFailures(), out);
            }
        }
        if (!st.scanProblems().isEmpty()) {
            out.println("Inputs skipped while listing the dataset: " + n(st.scanProblems().size()));
            printProblems(st.scanProblems(), out);
        }

        if (!st.leaks().isEmpty()) {
            out.println();
            out.println("!!! WARNING: " + n(st.leaks().size()) + " PATIENT(S) APPEAR IN MORE THAN ONE SPLIT !!!");
            out.println("!!! The model would be evaluated on people it trained on; scores would be inflated.");
            out.println("!!! Fix: pneumoscope dataset split --data " + st.source() + " --out <folder>/split.csv");
            int k = 0;
            for (DatasetStats.Leak l : st.leaks()) {
                if (k++ == listLimit) { out.println("  ... " + n(st.leaks().size() - listLimit) + " more"); break; }
                out.println("  " + l.patientId() + ": " + String.join(", ", l.splits()) + " (" + n(l.images()) + " images)");
            }
        }
        if (st.exposure() != null && st.exposure().images() > 0) printExposure(st.exposure(), out);
        long crossDup = st.duplicates().stream().filter(DatasetStats.DuplicateGroup::crossesSplits).count();
        if (crossDup > 0)
            out.println("WARNING: " + n(crossDup) + " duplicate group(s) span several splits: the same image is in training and evaluation");
    }

    static void printExposure(ExposureCheck x, PrintStream out) {
        out.println();
        out.println("Grey levels by class (whole image, 0-255; AUC: how well the figure alone tells the classes apart, 0.5 = not at all)");
        StringBuilder head = new StringBuilder(String.format("%-22s", ""));
        for (String s : ExposureCheck.STATISTICS) head.append(String.format("%8s", s));
        out.println(head);
        x.classMeans().forEach((l, v) -> {
            StringBuilder row = new StringBuilder(String.format("%-22s", "mean of " + l.id()));
            for (double d : v) row.append(String.format(Locale.ROOT, "%8.1f", d));
            out.println(row);
        });
        x.separability().forEach((q, v) -> {
            StringBuilder row = new StringBuilder(String.format("%-22s", "AUC " + q.replace('_', ' ')));
            for (double d : v) row.append(Double.isNaN(d) ? String.format("%8s", "-") : String.format(Locale.ROOT, "%8.2f", d));
            out.println(row);
        });
        if (x.warns())
            out.printf(Locale.ROOT, "WARNING: exposure alone predicts the label (AUC %.2f: %s). A network can learn the film's "
                    + "grey scale instead of the lungs and fail where sites differ: train with contrast: equalize "
                    + "(the cpu preset does) and test with evaluate --shift%n", x.strongestAuc(), x.strongest());
    }

    private void printProblems(List<Problem> ps, PrintStream out) {
        int k = 0;
        for (Problem p : ps) {
            if (k++ == listLimit) { out.println("  ... " + n(ps.size() - listLimit) + " more (--json lists all)"); break; }
            out.println("  " + p);
        }
    }
}
