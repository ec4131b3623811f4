package org.pneumoscope.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.augment.Recipe;
import org.pneumoscope.cli.CliRun;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.Sample;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.synth.PhantomGenerator;
import org.pneumoscope.train.Presets;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import org.pneumoscope.pipeline.FoldPlan;

/**
 * The experiment runner on 60 tiny phantoms (ResNet-18 at width 0.25, 64 px, one epoch, two folds): spec
 * expansion, the partition, a run interrupted after one fold and resumed (in child processes), a fold resumed
 * from its checkpoint, results equal to the same config trained alone, and the dry-run plans of the commands.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExperimentTest {
    Path tmp;
    Path phantoms;
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());

    static final String TINY_BASE = "{model: resnet18, width: 0.25, size: 64, head: linear, batch: 12, epochs: 1, lr: 3.0e-3, "
            + "schedule: constant, augment: light, balance: none}";

    @BeforeAll
    void phantoms(@TempDir Path dir) throws IOException {
        tmp = dir;
        phantoms = tmp.resolve("phantoms");
        new PhantomGenerator().generate(phantoms, 60, 64, 11, 2);
    }

    Path spec(String extra) throws IOException {
        Path f = Files.createTempFile(tmp, "spec", ".yaml");
        Files.writeString(f, "name: tiny\ndescription: two cells on phantoms\npreset: demo\nbase: " + TINY_BASE + "\n"
                + "grid:\n  augment_copies: [0, 1]\nfolds: 2\ntest_fraction: 0.15\nseed: 3\n" + extra);
        return f;
    }

    /** Runs the CLI in-process; returns exit code, then stdout and stderr. */
    static String[] cli(String... args) {
        CliRun r = CliRun.of(args);
        return new String[] {Integer.toString(r.code()), r.out(), r.err()};
    }

    // ------------------------------------------------------------------ spec and partition (no training)

    @Test
    void specCrossesCellsWithGridAndAppliesPrecedence() {
        ExperimentSpec s = ExperimentSpec.parse("""
                name: t
                preset: demo
                base: {epochs: 3, lr: 1.0e-3}
                cells:
                  - name: a
                    set: {augment: none}
                  - name: b
                    augment: strong
                    lr: 5.0e-4
                grid:
                  batch: [8, 16]
                folds: 3
                """, "t.yaml");
        List<Cell> cells = s.expand();
        assertEquals(List.of("a_batch=8", "a_batch=16", "b_batch=8", "b_batch=16"), cells.stream().map(Cell::name).toList());
        Cell b16 = cells.get(3);
        assertEquals(Recipe.STRONG, b16.config().augment());
        assertEquals(5e-4, b16.config().lr(), 1e-15, "a cell's own value beats base");
        assertEquals(16, b16.config().batch());
        assertEquals(3, cells.get(0).config().epochs(), "base beats the preset");
        assertEquals(1e-3, cells.get(0).config().lr(), 1e-15);
        assertEquals(org.pneumoscope.train.Presets.resolve("demo", java.util.Map.of()).size(), cells.get(0).config().size(), "untouched keys come from the demo preset");
        assertEquals(3, s.folds());

        // command line: a single value joins base, a list becomes (or replaces) a grid axis
        ExperimentSpec c = s.withCommandLine(new LinkedHashMap<>(Map.of("epochs", List.of(7), "batch", List.of(4, 6, 8))));
        List<Cell> cc = c.expand();
        assertEquals(6, cc.size());
        assertEquals(7, cc.get(0).config().epochs());
        assertEquals(List.of(4, 6, 8), cc.stream().limit(3).map(x -> x.config().batch()).toList());
        UserException clash = assertThrows(UserException.class,
                () -> s.withCommandLine(Map.of("augment", List.of("none", "seed"))));
        assertTrue(clash.getMessage().contains("cell 'a'"), clash.getMessage());
        UserException unknown = assertThrows(UserException.class, () -> ExperimentSpec.parse("grid: {learning_rate: [1, 2]}", "u.yaml"));
        assertTrue(unknown.getMessage().contains("learning_rate") && unknown.getMessage().contains("u.yaml"), unknown.getMessage());
        assertThrows(UserException.class, () -> ExperimentSpec.parse("cells: [{name: a, set: {lr: 1}}]\ngrid: {lr: [1, 2]}", "v.yaml"));
        assertEquals("1e-4", ExperimentSpec.format(1e-4));
        assertEquals("1e-3", ExperimentSpec.format(0.001));
        assertEquals("0.05", ExperimentSpec.format(0.05));
        assertEquals("16", ExperimentSpec.format(16.0));
        for (String name : ExperimentSpec.BUNDLED) assertFalse(ExperimentSpec.bundled(name).expand().isEmpty(), name);
    }

    @Test
    void foldsKeepPatientsTogetherAndTheTestSplitFixed() throws IOException {
        List<Sample> all = DatasetReader.read(phantoms).samples();
        FoldPlan p = FoldPlan.make(all, 3, 0.2, 5);
        Set<String> testPatients = new HashSet<>();
        for (Sample s : p.test()) testPatients.add(s.patientId());
        assertFalse(testPatients.isEmpty());
        Set<Sample> valUnion = new HashSet<>();
        for (int f = 0; f < 3; f++) {
            List<Sample> fold = p.forFold(f);
            assertEquals(p.test().size(), fold.stream().filter(s -> "test".equals(s.split())).count(), "same test split in every fold");
            Set<String> tr = new HashSet<>(), va = new HashSet<>();
            for (Sample s : fold) {
                if ("train".equals(s.split())) tr.add(s.patientId());
                if ("val".equals(s.split())) { va.add(s.patientId()); valUnion.add(s.withSplit(null)); }
            }
            assertTrue(va.stream().noneMatch(tr::contains), "fold " + f + ": a patient in both train and val");
            assertTrue(va.stream().noneMatch(testPatients::contains) && tr.stream().noneMatch(testPatients::contains), "test patient in fold " + f);
            int[] vc = p.valCounts(f);
            for (int c : vc) assertTrue(c >= 3, "fold " + f + " stratified: " + Arrays.toString(vc));
        }
        assertEquals(all.size() - p.test().size(), valUnion.size(), "the validation folds cover the pool once");
        Path csv = tmp.resolve("folds.csv");
        p.write(csv);
        assertNull(FoldPlan.read(csv).difference(p), "written and read back unchanged");
        assertNull(FoldPlan.make(all, 3, 0.2, 5).difference(p), "deterministic");
        assertNotNull(FoldPlan.make(all, 3, 0.2, 6).difference(p), "another seed, another partition");
    }

    /** A finished unit with the given validation and test macro-F1 (accuracy alike), nothing trained. */
    static UnitResult fake(String cell, int fold, double valF1, double testF1) {
        return new UnitResult(cell, fold, Map.of(), testF1, testF1, new double[] {testF1, testF1, testF1}, 0.9, 0.05, 1, 1, 60,
                9, null, valF1, valF1, 12);
    }

    @Test
    void cellsAreRankedOnValidationNotOnTheTestSplit() throws IOException {
        ExperimentPlan plan = ExperimentPlan.build(ExperimentSpec.read(spec("")), phantoms, Map.of());
        Path out = tmp.resolve("ranked");
        // the test split would pick augment_copies=0; validation picks augment_copies=1
        for (int f = 0; f < 2; f++) {
            fake("augment_copies=0", f + 1, 0.60 + 0.02 * f, 0.90).write(ExperimentPlan.resultFile(out, "augment_copies=0", f));
            fake("augment_copies=1", f + 1, 0.80 + 0.02 * f, 0.50).write(ExperimentPlan.resultFile(out, "augment_copies=1", f));
        }
        ResultTables.write(plan, out, null);
        Map<Cell, List<UnitResult>> all = ResultTables.collect(plan, out);
        assertEquals("augment_copies=1", ResultTables.best(all).name());
        assertEquals(List.of(2, 1), all.keySet().stream().map(c -> ResultTables.ranks(all).get(c)).toList());

        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("Highest mean validation macro-F1, the chosen cell: **augment_copies=1** (81.0 %; test macro-F1 50.0 %"), md);
        assertTrue(md.contains("Columns headed *test*: test (chosen cell only, not used for ranking), one fixed split of"), md);
        // the test figure is shown once, for the chosen cell: the other cell's 90 % would invite picking it
        assertTrue(md.contains("| augment_copies=0 | 2 | 0 | 2 | 61.0 ± 1.4 % | 61.0 ± 1.4 % | — | — |"), md);
        assertFalse(md.contains("90.0"), md);
        assertTrue(md.contains("| cell | folds | augment_copies | rank | val accuracy | val macro-F1 | test accuracy | test macro-F1 |"), md);
        assertTrue(md.contains("| augment_copies=1 | 2 | 1 | 1 | 81.0 ± 1.4 % | 81.0 ± 1.4 % | 50.0 ± 0.0 % |"), md);
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertTrue(summary.get(0).startsWith("cell,folds,augment_copies,rank_by_val_macro_f1,val_accuracy_mean,val_accuracy_std,"
                + "val_macro_f1_mean,val_macro_f1_std,test_accuracy_mean,"), summary.get(0));
        assertTrue(summary.get(1).startsWith("augment_copies=0,2,0,2,0.610000,"), summary.get(1));
        assertFalse(summary.get(1).contains("0.900000"), "no test figure of a cell not chosen: " + summary.get(1));
        assertTrue(summary.get(2).contains("0.500000"), summary.get(2));
        for (String row : Files.readAllLines(out.resolve("results.csv")))
            if (row.startsWith("augment_copies=0,"))
                assertEquals(List.of("", "", "", "", "", "", ""), List.of(row.split(",", -1)).subList(5, 12), "results.csv neither: " + row);
        assertTrue(summary.get(2).startsWith("augment_copies=1,2,1,1,0.810000,"), summary.get(2));
        String html = Files.readString(out.resolve("index.html"));
        assertTrue(html.contains(">validation (ranks the cells)</th>") && html.contains(">test (chosen cell only, not used for ranking)</th>"), html);
        assertFalse(html.contains("90.0"), html);
        assertTrue(Files.size(out.resolve("plots/val_macro_f1.png")) > 2000);
        String console = ExperimentRunner.summaryText(plan, out);
        assertTrue(console.contains("validation (ranks the cells)") && console.contains("test (chosen cell only, not used for ranking)"), console);
        assertFalse(console.contains("90.0"), console); // the other cell's test figure (its macro AUC 0.900 is the chosen cell's)
        assertTrue(console.matches("(?s).*\\naugment_copies=1\\s+2\\s+1\\s+81\\.0 .*"), console);
        assertTrue(console.contains("Highest mean validation macro-F1, the chosen cell: augment_copies=1"), console);

        // a run from before validation figures were recorded is shown, not ranked
        Path old = ExperimentPlan.resultFile(out, "augment_copies=1", 0);
        JsonNode j = RunFolder.JSON.readTree(old.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) j).remove("validation");
        Files.writeString(old, j.toString());
        assertTrue(Double.isNaN(UnitResult.read(old).valMacroF1()));
        assertEquals(0.82, ResultTables.meanStd(ResultTables.values(ResultTables.collect(plan, out).get(plan.cell("augment_copies=1")),
                UnitResult::valMacroF1))[0], 1e-9, "the other fold still counts");
    }

    @Test
    void batchHoldoutMakesTheTestSplitTheEarlyBatch() throws IOException {
        List<Sample> all = DatasetReader.read(phantoms).samples();
        ExperimentSpec spec = ExperimentSpec.read(spec("holdout: batch\n"));
        assertEquals(org.pneumoscope.data.SplitStrategy.BATCH, spec.holdout());
        ExperimentPlan plan = ExperimentPlan.build(spec, phantoms, Map.of());
        org.pneumoscope.data.BatchSplit.Holdout batch = org.pneumoscope.data.BatchSplit.holdout(all, 0.15,
                org.pneumoscope.data.BatchSplit.End.EARLY);
        Set<String> test = new HashSet<>();
        for (Sample s : plan.folds().test()) test.add(s.patientId());
        assertEquals(batch.patients(), test, "the test split is the batch holdout of the same fraction");
        assertEquals(all.stream().filter(batch::holds).count(), plan.folds().test().size(), "every film of those patients");
        for (int f = 0; f < 2; f++)
            for (Sample s : plan.folds().forFold(f)) assertEquals(test.contains(s.patientId()), "test".equals(s.split()));
        assertNotNull(plan.folds().difference(ExperimentPlan.build(ExperimentSpec.read(spec("")), phantoms, Map.of()).folds()),
                "another holdout, another partition");

        assertTrue(plan.describe(null, 1).contains("test:  held-out batch (proxy for new films): the lowest-numbered 15 %"), plan.describe(null, 1));
        String md = ResultTables.summaryMd(plan, Map.of(), plan.keyColumns());
        assertTrue(md.contains("Columns headed *held-out batch*: held-out batch (proxy for new films; chosen cell only, not used "
                + "for ranking), the lowest-numbered 15 % of each file-name family's patients"), md);
        String csv = ResultTables.resultsCsv(Map.of(), plan.keyColumns(), spec.holdout());
        assertTrue(csv.contains(",batch_accuracy,") && csv.endsWith(",val_images,batch_images\n"), csv);
        Path written = tmp.resolve("plan-batch");
        Files.createDirectories(written);
        plan.writeJson(written.resolve("plan.json"));
        plan.folds().write(written.resolve("split.csv"));
        assertEquals(org.pneumoscope.data.SplitStrategy.BATCH, ExperimentPlan.readFrom(written).spec().holdout(), "child processes see it");

        String[] dry = cli("experiment", "run", spec("").toString(), "--data", phantoms.toString(), "--dry-run", "--no-probe",
                "--holdout", "batch");
        assertEquals("0", dry[0], dry[1] + dry[2]);
        assertTrue(dry[1].contains("held-out batch (proxy for new films)"), dry[1]);
        UserException bad = assertThrows(UserException.class, () -> ExperimentSpec.parse("holdout: early", "h.yaml"));
        assertTrue(bad.getMessage().contains("h.yaml") && bad.getMessage().contains("'early' is not one of patient, batch"), bad.getMessage());
    }

    /** holdout: shape: the test split holds out the narrowest-chested normals, named as such in the tables. */
    @Test
    void shapeHoldoutMakesTheTestSplitTheNarrowestChestedNormals() throws IOException {
        List<Sample> all = DatasetReader.read(phantoms).samples();
        ExperimentSpec spec = ExperimentSpec.read(spec("holdout: shape\n"));
        assertEquals(org.pneumoscope.data.SplitStrategy.SHAPE, spec.holdout());
        ExperimentPlan plan = ExperimentPlan.build(spec, phantoms, Map.of());
        org.pneumoscope.data.TextureSplit.Holdout h = org.pneumoscope.data.TextureSplit.holdout(all,
                org.pneumoscope.pipeline.NormalRankings.SHAPE, 0.25, 0.15, 3, 2);
        assertTrue(h.normalsHeldOut() > 0 && h.othersHeldOut() > 0, h.toString());
        Set<String> test = new HashSet<>();
        for (Sample s : plan.folds().test()) test.add(s.patientId());
        assertEquals(h.patients(), test, "the test split is the shape holdout with the spec's test_fraction and seed");
        String md = ResultTables.summaryMd(plan, Map.of(), plan.keyColumns());
        assertTrue(md.contains("Columns headed *narrow-normal holdout*: held-out narrow-chested normals (proxy for new films; "
                + "chosen cell only, not used for ranking), the narrowest-chested 25 % of normal-class patients"), md);
        assertTrue(ResultTables.resultsCsv(Map.of(), plan.keyColumns(), spec.holdout()).contains(",shape_accuracy,"));
    }

    /**
     * holdout: texture: the test split is the texture holdout (the blurriest quarter of the normal-class patients, and
     * test_fraction of the others with the spec's seed), named as such in the plan and the tables.
     */
    @Test
    void textureHoldoutMakesTheTestSplitTheBlurriestNormals() throws IOException {
        List<Sample> all = DatasetReader.read(phantoms).samples();
        ExperimentSpec spec = ExperimentSpec.read(spec("holdout: texture\n"));
        assertEquals(org.pneumoscope.data.SplitStrategy.TEXTURE, spec.holdout());
        ExperimentPlan plan = ExperimentPlan.build(spec, phantoms, Map.of());
        org.pneumoscope.data.TextureSplit.Holdout h = org.pneumoscope.data.TextureSplit.holdout(all, 0.25, 0.15, 3, 2);
        assertTrue(h.normalsHeldOut() > 0 && h.othersHeldOut() > 0, h.toString());
        Set<String> test = new HashSet<>();
        for (Sample s : plan.folds().test()) test.add(s.patientId());
        assertEquals(h.patients(), test, "the test split is the texture holdout with the spec's test_fraction and seed");
        assertEquals(all.stream().filter(h::holds).count(), plan.folds().test().size(), "every film of those patients");
        for (int f = 0; f < 2; f++)
            for (Sample s : plan.folds().forFold(f)) assertEquals(test.contains(s.patientId()), "test".equals(s.split()));
        assertNull(plan.folds().difference(ExperimentPlan.build(spec, phantoms, Map.of()).folds()), "the same partition again");

        String described = plan.describe(null, 1).replaceAll("\\s*\\n\\s*", " "); // undo the wrapping
        assertTrue(described.contains("test:  held-out blurry normals (proxy for new films): the blurriest 25 % of normal-class "
                + "patients and a random 15 % of the others"), described);
        String md = ResultTables.summaryMd(plan, Map.of(), plan.keyColumns());
        assertTrue(md.contains("Columns headed *blurry-normal holdout*: held-out blurry normals (proxy for new films; chosen cell "
                + "only, not used for ranking), the blurriest 25 % of normal-class patients and a random 15 % of the others"), md);
        String csv = ResultTables.resultsCsv(Map.of(), plan.keyColumns(), spec.holdout());
        assertTrue(csv.contains(",texture_accuracy,") && csv.endsWith(",val_images,texture_images\n"), csv);
        Path written = tmp.resolve("plan-texture");
        Files.createDirectories(written);
        plan.writeJson(written.resolve("plan.json"));
        plan.folds().write(written.resolve("split.csv"));
        assertEquals(org.pneumoscope.data.SplitStrategy.TEXTURE, ExperimentPlan.readFrom(written).spec().holdout(), "child processes see it");
        assertNull(plan.folds().difference(ExperimentPlan.readFrom(written).folds()), "the partition as written");

        String[] dry = cli("experiment", "run", spec("").toString(), "--data", phantoms.toString(), "--dry-run", "--no-probe",
                "--holdout", "texture");
        assertEquals("0", dry[0], dry[1] + dry[2]);
        assertTrue(dry[1].contains("held-out blurry normals (proxy for new films)"), dry[1]);
    }

    @Test
    void proxySpecJudgesThreeRecipesOnTheBlurriestNormals() {
        ExperimentSpec p = ExperimentSpec.bundled("proxy");
        assertEquals(org.pneumoscope.data.SplitStrategy.TEXTURE, p.holdout());
        assertEquals(0.15, p.testFraction(), 0, "the others' share of dataset split --strategy texture");
        assertEquals(3, p.folds());
        assertEquals("cpu", p.preset());
        List<Cell> cells = p.expand();
        assertEquals(List.of("cpu", "augment-medium", "224-quarter"), cells.stream().map(Cell::name).toList());
        TrainConfig cpu = Presets.resolve("cpu", Map.of());
        assertEquals(cpu, cells.get(0).config(), "the preset unchanged");
        assertEquals(Recipe.MEDIUM, cells.get(1).config().augment());
        assertEquals(224, cells.get(2).config().size());
        assertEquals(0.25, cells.get(2).config().width(), 1e-12);
    }

    // ------------------------------------------------------------------ running

    @Test
    void interruptedExperimentResumesWithoutRedoingFinishedRuns() throws Exception {
        Path specFile = spec("");
        Path out = tmp.resolve("exp");
        ExperimentSpec spec = ExperimentSpec.read(specFile).withData(phantoms);
        ExperimentPlan plan = ExperimentPlan.build(spec, phantoms, Map.of());
        assertEquals(4, plan.units().size());

        // 1. "interrupted" after one cell × fold
        ExperimentRunner.Outcome first = ExperimentRunner.run(plan, new ExperimentRunner.Options(out, 1, 1, false, false, false, quiet));
        assertEquals(1, first.ran().size());
        assertEquals(3, first.remaining());
        assertEquals(2, Files.readAllLines(out.resolve("results.csv")).size(), "header + one row");
        Path done = ExperimentPlan.unitDir(out, "augment_copies=0", 0);
        assertTrue(Files.isRegularFile(done.resolve("result.json")));
        Map<Path, String> before = snapshot(done);

        // 2. the same command again, two runs at a time in child processes: the finished run is skipped
        String[] r = cli("experiment", "run", specFile.toString(), "--data", phantoms.toString(), "--out", out.toString(),
                "--parallel", "2", "--no-probe", "--no-gallery");
        assertEquals("0", r[0], r[1] + r[2]);
        assertTrue(r[1].contains("1 of 4 runs already finished"), r[1]);
        assertEquals(before, snapshot(done), "a finished run's files are not rewritten");
        List<String> rows = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(5, rows.size(), String.join("\n", rows));
        assertEquals("cell,fold,augment_copies,val_accuracy,val_macro_f1,test_accuracy,test_macro_f1,test_recall_bacteria,"
                + "test_recall_virus,test_recall_normal,test_macro_auc,test_ece,best_epoch,epochs_run,wall_seconds,val_images,test_images",
                rows.get(0));
        String chosen = ResultTables.best(ResultTables.collect(plan, out)).name();
        for (String row : rows.subList(1, 5)) {
            String[] c = row.split(",", -1);
            assertEquals(17, c.length, row);
            assertEquals(c[0].equals(chosen), !c[5].isEmpty(), "test figures for the chosen cell only: " + row);
            double acc = c[5].isEmpty() ? 0.5 : Double.parseDouble(c[5]);
            assertTrue(acc >= 0 && acc <= 1, row);
            assertEquals("1", c[13], "one epoch: " + row);
            // validation figures: the run's own held-out fold, as its model card records them
            int fold = Integer.parseInt(c[1]);
            JsonNode v = RunFolder.JSON.readTree(ExperimentPlan.unitDir(out, c[0], fold - 1).resolve("model.json").toFile()).path("validation");
            assertEquals(v.path("accuracy").asDouble(), Double.parseDouble(c[3]), 1e-6, row);
            assertEquals(v.path("macro_f1").asDouble(), Double.parseDouble(c[4]), 1e-6, row);
            assertEquals(Arrays.stream(plan.folds().valCounts(fold - 1)).sum(), Integer.parseInt(c[15]), row);
        }
        String childLog = Files.readString(ExperimentPlan.unitDir(out, "augment_copies=1", 1).resolve("experiment.log"));
        assertTrue(childLog.contains("1 processor(s), PyTorch threads 1"), "each of 2 children gets 1 of 2 cores: " + childLog);
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertEquals(3, summary.size(), "header + one row per cell");
        assertTrue(summary.get(1).startsWith("augment_copies=0,2,0,"), summary.get(1));
        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("| augment_copies=1 | 2 | 1 |"));
        // last column: mean wall minutes per run, from results.csv's wall_seconds
        for (String cell : List.of("augment_copies=0", "augment_copies=1")) {
            String line = md.lines().filter(l -> l.startsWith("| " + cell + " |")).findFirst().orElseThrow();
            String[] cols = line.split("\\|");
            double minutes = Double.parseDouble(cols[cols.length - 1].trim());
            double expect = rows.subList(1, 5).stream().map(row -> row.split(",", -1)).filter(c -> c[0].equals(cell))
                    .mapToDouble(c -> Double.parseDouble(c[14])).average().orElseThrow() / 60;
            assertEquals(expect, minutes, 0.051, line);
        }
        for (String png : List.of("val_macro_f1.png", "curves-augment_copies=0.png", "curves-augment_copies=1.png"))
            assertTrue(Files.size(out.resolve("plots").resolve(png)) > 2000, png);
        assertFalse(Files.exists(out.resolve("plots/accuracy.png")), "no chart of every cell's test figures");
        String index = Files.readString(out.resolve("index.html"));
        for (String cell : List.of("augment_copies=0", "augment_copies=1"))
            for (int f = 1; f <= 2; f++) {
                String link = "cells/" + cell + "/fold-" + f + "/test/report.html";
                assertTrue(Files.isRegularFile(out.resolve(link)), link);
                assertEquals(cell.equals(chosen), index.contains(link), "test reports linked for the chosen cell only: " + link);
            }

        // 3. a run killed after its last epoch checkpoint (before its model card) resumes instead of retraining
        Path cut = ExperimentPlan.unitDir(out, "augment_copies=0", 1);
        JsonNode was = RunFolder.JSON.readTree(cut.resolve("result.json").toFile());
        String metricsCsv = Files.readString(cut.resolve("metrics.csv"));
        Map<Path, String> others = snapshot(out.resolve("cells"));
        for (String f : List.of("result.json", "model.json", "model.params")) Files.delete(cut.resolve(f));
        ExperimentRunner.Outcome third = ExperimentRunner.run(plan, new ExperimentRunner.Options(out, 1, 0, false, false, false, quiet));
        assertEquals(1, third.ran().size());
        assertEquals(0, third.remaining());
        assertTrue(Files.readString(cut.resolve("train.log")).contains("resuming"), "resumed from the checkpoint");
        assertEquals(metricsCsv, Files.readString(cut.resolve("metrics.csv")), "no epoch retrained");
        JsonNode now = RunFolder.JSON.readTree(cut.resolve("result.json").toFile());
        for (String k : List.of("accuracy", "macro_f1", "macro_auc", "ece"))
            assertEquals(was.get(k).asDouble(), now.get(k).asDouble(), 1e-9, k);
        Path cutRel = out.resolve("cells").relativize(cut);
        others.keySet().removeIf(p -> p.startsWith(cutRel));
        Map<Path, String> after = snapshot(out.resolve("cells"));
        after.keySet().retainAll(others.keySet());
        assertEquals(others, after, "the other runs are untouched");

        // 4. a cell's numbers equal the same config trained alone on the same split
        TrainConfig cfg = Presets.resolve("demo", withCopies(0));
        assertEquals(plan.cell("augment_copies=0").config(), cfg);
        List<Sample> fold0 = FoldPlan.make(DatasetReader.read(phantoms).samples(), 2, 0.15, 3).forFold(0);
        Path alone = tmp.resolve("alone");
        TrainJob.runOnSplit(alone, cfg, fold0, false, false, new ImageCache(), quiet);
        List<Sample> test = TrainJob.inSplit(fold0, "test");
        try (TrainedModel m = TrainedModel.load(alone)) {
            EvaluateJob.run(m, test, alone.resolve("test"),
                    EvaluateJob.Options.forSamples("test", false, false, test, phantoms, 42), quiet);
        }
        JsonNode a = RunFolder.JSON.readTree(alone.resolve("test/metrics.json").toFile());
        JsonNode e = RunFolder.JSON.readTree(done.resolve("test/metrics.json").toFile());
        for (String k : List.of("n", "accuracy", "macro_f1", "macro_auc", "ece", "log_loss"))
            assertEquals(a.get(k).asDouble(), e.get(k).asDouble(), 1e-6, k + " alone vs in the experiment");
        assertEquals(withoutTiming(alone.resolve("metrics.csv")), withoutTiming(done.resolve("metrics.csv")), "same training history");

        // 5. a rerun that would mix incomparable results is refused
        UserException moved = assertThrows(UserException.class, () -> ExperimentRunner.run(
                ExperimentPlan.build(spec.withSeed(4), phantoms, Map.of()), new ExperimentRunner.Options(out, 1, 0, false, false, false, quiet)));
        assertTrue(moved.getMessage().contains("another partition"), moved.getMessage());
        ExperimentSpec otherLr = spec.withCommandLine(Map.of("lr", List.of(1e-2)));
        UserException changed = assertThrows(UserException.class, () -> ExperimentRunner.run(
                ExperimentPlan.build(otherLr, phantoms, Map.of()), new ExperimentRunner.Options(out, 1, 0, false, false, false, quiet)));
        assertTrue(changed.getMessage().contains("lr 3e-3 → 0.01"), changed.getMessage());
    }

    static Map<String, Object> withCopies(int n) {
        Map<String, Object> m = new LinkedHashMap<>(new org.yaml.snakeyaml.Yaml().<Map<String, Object>>load(TINY_BASE));
        m.put("augment_copies", n);
        return m;
    }

    /** metrics.csv without its speed and elapsed-time columns. */
    static String withoutTiming(Path csv) throws IOException {
        return String.join("\n", Files.readAllLines(csv).stream().map(l -> l.replaceAll(",[^,]*,[^,]*$", "")).toList());
    }

    /** Every file under {@code dir}: modification time and size and content hash. */
    static Map<Path, String> snapshot(Path dir) throws IOException {
        Map<Path, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                FileTime t = Files.getLastModifiedTime(p);
                m.put(dir.relativize(p), t.toMillis() + "/" + Arrays.hashCode(Files.readAllBytes(p)));
            }
        }
        return m;
    }

    /** Without the Spark module on the class path (as here, and under java -jar), --spark says so before any work. */
    @Test
    void sparkWithoutTheSparkModuleSaysWhatToDo() throws IOException {
        Path out = tmp.resolve("no-spark");
        String[] r = cli("experiment", "run", spec("").toString(), "--data", phantoms.toString(), "--out", out.toString(),
                "--spark", "local[2]", "--no-probe");
        assertEquals("2", r[0], r[1] + r[2]);
        assertTrue(r[2].contains("--spark needs the Spark module, which is not on the class path") && r[2].contains("./pneumoscope"), r[2]);
        assertFalse(Files.exists(out), "nothing written");
        String[] both = cli("experiment", "run", spec("").toString(), "--data", phantoms.toString(), "--out", out.toString(),
                "--spark", "local[2]", "--parallel", "2");
        assertEquals("2", both[0], both[1] + both[2]);
        assertTrue(both[2].contains("--parallel and --spark"), both[2]);
    }

    // ------------------------------------------------------------------ the commands' plans

    @Test
    void commandsPrintTheirPlanOnADryRun() {
        Path out = tmp.resolve("never");
        String[] cases = cli("experiment", "cases", "--data", phantoms.toString(), "--out", out.toString(), "--dry-run", "--folds", "2",
                "--model", "resnet18", "--width", "0.25", "--size", "64", "--batch", "8", "--epochs", "1");
        assertEquals("0", cases[0], cases[1] + cases[2]);
        for (String cell : List.of("1-original", "2-augmented-x2", "3-augmented-x4", "4-balanced", "5-balanced-augmented"))
            assertTrue(cases[1].contains(cell), cell + " in\n" + cases[1]);
        assertTrue(cases[1].contains("5 cell(s) × 2 folds = 10 training runs"), cases[1]);
        assertTrue(cases[1].contains("timing probe") && cases[1].contains("estimate: about"), cases[1]);
        assertFalse(Files.exists(out), "a dry run writes nothing");

        // the cases command for real: one cell x fold, the table names the keys the cases differ in
        Path casesOut = tmp.resolve("cases");
        String[] real = cli("experiment", "cases", "--data", phantoms.toString(), "--out", casesOut.toString(), "--folds", "2",
                "--limit", "1", "--no-probe", "--no-gallery", "--preset", "demo", "--width", "0.25", "--size", "64", "--batch", "12",
                "--epochs", "1");
        assertEquals("0", real[0], real[1] + real[2]);
        assertTrue(real[1].contains("9 run(s) still to do"), real[1]);
        List<String> rows;
        try {
            rows = Files.readAllLines(casesOut.resolve("results.csv"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(2, rows.size(), String.join("\n", rows));
        assertTrue(rows.get(0).startsWith("cell,fold,augment,augment_copies,balance,val_accuracy,val_macro_f1,test_accuracy,test_macro_f1,"), rows.get(0));
        assertTrue(rows.get(1).startsWith("1-original,1,none,0,none,"), rows.get(1));

        String[] sweep = cli("experiment", "sweep", "--data", phantoms.toString(), "--dry-run", "--no-probe", "--batch", "8,16", "--lr", "1e-3,1e-4");
        assertEquals("0", sweep[0], sweep[1] + sweep[2]);
        for (String cell : List.of("batch=8_lr=1e-3", "batch=8_lr=1e-4", "batch=16_lr=1e-3", "batch=16_lr=1e-4"))
            assertTrue(sweep[1].contains(cell), cell + " in\n" + sweep[1]);
        assertTrue(sweep[1].contains("4 cell(s) × 5 folds"), sweep[1]);

        String[] freeze = cli("experiment", "freeze", "--data", phantoms.toString(), "--dry-run", "--no-probe",
                "--freeze-through", "layer2,layer3.2,layer3,none");
        assertEquals("0", freeze[0], freeze[1] + freeze[2]);
        assertTrue(freeze[1].contains("freeze_through=layer3.2") && freeze[1].contains("no pretrained weights"), freeze[1]);
        String[] badLayer = cli("experiment", "freeze", "--data", phantoms.toString(), "--dry-run", "--no-probe", "--model", "resnet18",
                "--freeze-through", "layer3.2,none");
        assertEquals("2", badLayer[0], badLayer[1] + badLayer[2]);
        assertTrue(badLayer[2].contains("layer3.2") && badLayer[2].contains("resnet18"), badLayer[2]);

        String[] head = cli("experiment", "head", "--data", phantoms.toString(), "--dry-run", "--no-probe", "--head", "linear,seed");
        assertEquals("0", head[0], head[1] + head[2]);
        assertTrue(head[1].contains("head=linear") && head[1].contains("head=seed"), head[1]);

        String[] train = cli("train", "--data", phantoms.toString(), "--out", tmp.resolve("t").toString(), "--lr", "1e-3,1e-4");
        assertEquals("2", train[0]);
        assertTrue(train[2].contains("--lr takes one value"), train[2]);
    }
}
