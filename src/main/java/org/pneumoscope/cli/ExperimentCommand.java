package org.pneumoscope.cli;

import org.pneumoscope.core.DjlSetup;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.experiment.ExperimentPlan;
import org.pneumoscope.experiment.ExperimentRunner;
import org.pneumoscope.experiment.ExperimentSpec;
import org.pneumoscope.experiment.TimeEstimate;
import org.pneumoscope.experiment.UnitDispatcher;
import org.pneumoscope.experiment.UnitResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code pneumoscope experiment ...}: the original study's comparisons, cross-validated by patient, ranked on
 * validation and scored once on one shared test split. {@code cases}, {@code sweep}, {@code freeze} and {@code head}
 * are presets of {@code run} (their specs live in configs/experiments/).
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = {"Compare training configurations by patient-grouped K-fold cross-validation: results.csv, summary.md/csv, "
                + "bar charts, learning curves and index.html. Resumable: rerun the same command to continue; finished runs are skipped.",
                "Cells are ranked by mean validation macro-F1 (each run's own held-out fold); every run is also scored once on "
                        + "the same fixed test split, shown but never used for ranking. With --holdout batch (or `holdout: batch` "
                        + "in the spec) that split is the early batch of patient numbers, a proxy for films from another batch; "
                        + "with --holdout texture it is the blurriest normals and a share of the others, a proxy for "
                        + "blurrier normal films from another batch.",
                "Any config option given a comma list (--lr 1e-3,1e-4) becomes a grid axis; --grid key=a,b does so for any key.",
                "The shipped experiments are editable YAML specs in configs/experiments/; `experiment run SPEC.yaml` runs any spec."},
        subcommands = {ExperimentCommand.Cases.class, ExperimentCommand.Sweep.class, ExperimentCommand.Freeze.class,
                ExperimentCommand.Head.class, ExperimentCommand.Run.class, ExperimentCommand.Unit.class})
public class ExperimentCommand implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Options every experiment command takes. */
    public static class Common {
        @Option(names = "--data", description = "Dataset folder or manifest (a spec's own `data:` otherwise).") Path data;
        @Option(names = "--out", description = "Experiment folder (created; rerun with the same folder to resume). With --spark, "
                + "a path every executor can write at the same place (a shared file system such as NFS), as --data must be "
                + "readable there.") Path out;
        @Option(names = "--folds", description = "K of the cross-validation (default: the spec's, 5).") Integer folds;
        @Option(names = "--test-fraction", description = "Share of patients in the fixed test split (default: the spec's, 0.1); "
                + "with holdout texture, the share of the patients who are not normal-class.") Double testFraction;
        @Option(names = "--holdout", paramLabel = "patient|batch|texture", description = "The fixed test split (default: the "
                + "spec's `holdout`, patient): patient = a random share of patients; batch = the lowest-numbered share of each "
                + "file-name family's patients (IM- and person: the file-name rule makes NORMAL2-IM-0383 patient "
                + "IM-0383), a proxy for films from another batch (as dataset split "
                + "--strategy batch); texture = the blurriest 25 %% of normal-class patients and a random --test-fraction of the "
                + "others, a proxy for blurrier normal films from another batch (as dataset split --strategy texture).")
        SplitStrategy holdout;
        @Option(names = "--grid", description = "Another grid axis over any config key, e.g. --grid label_smoothing=0,0.1 (repeatable).")
        Map<String, String> grid = new LinkedHashMap<>();
        @Option(names = "--dry-run", description = "Print the plan (cells × folds, each cell's config, time estimate) and stop.") boolean dryRun;
        @Option(names = "--parallel", description = "Runs at a time, each a child process with cores/N threads "
                + "(default: one per 8 cores, so 1 on small machines; 1 = all in this process).")
        Integer parallel;
        @Option(names = "--spark", paramLabel = "MASTER", description = "Run each cell × fold as a Spark task: local[N], "
                + "spark://HOST:PORT, yarn, k8s://... (docs/scale.md). Each task trains in a child process with cores/slots threads "
                + "(spark.task.cpus on a cluster); a lost executor's unit is rerun by Spark, a unit that fails is reported.")
        String spark;
        @Option(names = "--limit", defaultValue = "0", description = "Stop after this many cell × fold runs (0 = all); rerun to continue.") int limit;
        @Option(names = "--no-probe", description = "Skip the timing probe (no time estimate).") boolean noProbe;
        @Option(names = "--no-gallery", description = "Leave the Grad-CAM gallery out of each run's report.") boolean noGallery;
        @Option(names = "--allow-download", description = "Let --weights imagenet fetch weights through DJL's model zoo.") boolean allowDownload;
    }

    /** The shared path of all experiment commands: spec + command line → plan → dry run or run. */
    abstract static class Base implements Callable<Integer> {
        @Mixin Common common;
        @Mixin ConfigOptions config;

        abstract ExperimentSpec spec();

        @Override
        public Integer call() throws Exception {
            DjlSetup.configure();
            if (common.allowDownload) DjlSetup.allowDownload();
            Map<String, List<Object>> values = config.values();
            ExperimentSpec spec = withOptions(spec(), values);
            Path data = common.data != null ? common.data : spec.data();
            if (common.parallel != null && common.parallel < 1) throw new UserException("--parallel must be at least 1", 2);
            if (common.spark != null && common.parallel != null)
                throw new UserException("--parallel and --spark: with --spark, Spark's task slots decide how many runs go at a time", 2);
            // before the data is read: a missing Spark module is said at once
            UnitDispatcher.Provider onSpark = common.spark == null || common.dryRun ? null : UnitDispatcher.spark();
            int parallel = common.parallel != null ? common.parallel : ExperimentRunner.defaultParallel();
            Map<String, Object> singles = new LinkedHashMap<>();
            values.forEach((k, v) -> { if (v.size() == 1) singles.put(k, v.get(0)); });
            ExperimentPlan plan = ExperimentPlan.build(spec, data, singles);
            if (common.dryRun) return dryRun(plan, parallel);
            if (common.out == null) throw new UserException("experiment needs --out (the experiment folder; rerun with it to resume)", 2);
            try (UnitDispatcher d = onSpark == null ? null : onSpark.open(common.spark, System.out)) {
                ExperimentRunner.Outcome o = ExperimentRunner.run(plan, new ExperimentRunner.Options(common.out, parallel, common.limit,
                        !common.noGallery, common.allowDownload, !common.noProbe, System.out, d));
                return o.failures().isEmpty() ? 0 : 1;
            }
        }

        /** The bundled spec with what the command line sets: grid values (also into {@code values}), preset, folds, holdout, seed. */
        private ExperimentSpec withOptions(ExperimentSpec spec, Map<String, List<Object>> values) {
            common.grid.forEach((k, v) -> {
                List<Object> l = new ArrayList<>();
                for (String s : v.split(",")) if (!s.isBlank()) l.add(s.trim());
                values.put(k.replace('-', '_'), l);
            });
            spec = spec.withCommandLine(values);
            if (config.presetGiven()) spec = spec.withPreset(config.presetName());
            if (common.folds != null) spec = spec.withFolds(common.folds);
            if (common.testFraction != null) spec = spec.withTestFraction(common.testFraction);
            if (common.holdout != null) spec = spec.withHoldout(common.holdout);
            if (config.seed != null) spec = spec.withSeed(config.seed);
            return spec;
        }

        /** Prints the plan and the time it would take; trains and writes nothing. */
        private int dryRun(ExperimentPlan plan, int parallel) throws Exception {
            List<ExperimentPlan.Unit> pending = common.out != null && Files.isDirectory(common.out)
                    ? ExperimentRunner.pending(plan, common.out) : plan.units();
            TimeEstimate est = common.noProbe || pending.isEmpty() ? null
                    : TimeEstimate.probe(plan, pending, new ImageCache(null, Runtime.getRuntime().maxMemory() / 4), common.allowDownload, System.out);
            System.out.print(plan.describe(est, parallel));
            if (pending.size() < plan.units().size())
                System.out.printf("%d of %d runs already finished in %s%n", plan.units().size() - pending.size(), plan.units().size(), common.out);
            System.out.println("dry run: nothing was trained" + (common.out == null ? "" : " and nothing written to " + common.out));
            return 0;
        }
    }

    @Command(name = "cases", mixinStandardHelpOptions = true,
            description = "The original study's five data cases: 1 original (imbalanced), 2–3 augmented but imbalanced (1 and 3 "
                    + "augmented copies), 4 balanced by oversampling, 5 balanced and augmented (original + 3 augmented copies, ~4×). "
                    + "Spec: configs/experiments/cases.yaml.")
    public static class Cases extends Base {
        @Override ExperimentSpec spec() { return ExperimentSpec.bundled("cases"); }
    }

    @Command(name = "sweep", mixinStandardHelpOptions = true,
            description = "Batch size against learning rate (the study's batch 8–16 vs 32 question): --batch 8,16,32 --lr 1e-3,1e-4,1e-5. "
                    + "Spec: configs/experiments/sweep.yaml.")
    public static class Sweep extends Base {
        @Override ExperimentSpec spec() { return ExperimentSpec.bundled("sweep"); }
    }

    @Command(name = "freeze", mixinStandardHelpOptions = true,
            description = "How much of a pretrained backbone to freeze: --freeze-through layer2,layer3.2,layer3,none (needs --weights). "
                    + "Spec: configs/experiments/freeze.yaml.")
    public static class Freeze extends Base {
        @Override ExperimentSpec spec() { return ExperimentSpec.bundled("freeze"); }
    }

    @Command(name = "head", mixinStandardHelpOptions = true,
            description = "Classifier head: --head linear,seed (GAP → Dense 3 against the study's extra-FC head). "
                    + "Spec: configs/experiments/head.yaml.")
    public static class Head extends Base {
        @Override ExperimentSpec spec() { return ExperimentSpec.bundled("head"); }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run any experiment spec: a base preset + overrides, a grid (cartesian product) over config keys and/or named "
                    + "cells, folds, test fraction, seed. See configs/experiments/*.yaml for examples.")
    public static class Run extends Base {
        @Parameters(index = "0", paramLabel = "SPEC.yaml", description = "The experiment spec.") Path specFile;

        @Override ExperimentSpec spec() { return ExperimentSpec.read(specFile); }
    }

    /** One cell × fold in a child process started by {@code --parallel}; reads the plan its parent wrote. */
    @Command(name = "unit", hidden = true, description = "Internal: one cell × fold of an experiment folder.")
    public static class Unit implements Callable<Integer> {
        @Option(names = "--out", required = true) Path out;
        @Option(names = "--cell", required = true) String cell;
        @Option(names = "--fold", required = true, description = "1-based") int fold;
        @Option(names = "--parent-pid") Long parentPid;
        @Option(names = "--no-gallery") boolean noGallery;
        @Option(names = "--allow-download") boolean allowDownload;

        @Override
        public Integer call() throws Exception {
            DjlSetup.configure();
            if (allowDownload) DjlSetup.allowDownload();
            if (parentPid != null) ExperimentRunner.exitWithParent(parentPid);
            ExperimentPlan plan = ExperimentPlan.readFrom(out);
            if (fold < 1 || fold > plan.folds().folds()) throw new UserException("--fold must be 1.." + plan.folds().folds(), 2);
            System.out.printf("cell %s, fold %d of %d; %d processor(s), PyTorch threads %s%n", cell, fold, plan.folds().folds(),
                    Runtime.getRuntime().availableProcessors(), System.getProperty("ai.djl.pytorch.num_threads", "default"));
            UnitResult r = ExperimentRunner.runUnit(plan, plan.cell(cell), fold - 1, out,
                    new ImageCache(null, Runtime.getRuntime().maxMemory() / 3), !noGallery, allowDownload, System.out);
            System.out.printf("finished: accuracy %.4f, macro-F1 %.4f%n", r.accuracy(), r.macroF1());
            return 0;
        }
    }
}
