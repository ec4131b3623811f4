package org.pneumoscope.cli;

import org.pneumoscope.core.ProcessMemory;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.PatientIds;
import org.pneumoscope.data.Sample;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a classifier and write a run folder: config.yaml, split.csv, metrics.csv/json, checkpoints, "
                + "model.params + model.json (calibrated), and test/ with metrics.json, predictions.csv and report.html.",
                "Resume an interrupted run with --resume RUN."})
public class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", description = "Dataset folder (Kermany or class folders) or CSV manifest.") Path data;
    @Option(names = "--out", description = "Run folder to create.") Path out;
    @Option(names = "--resume", paramLabel = "RUN", description = "Continue an interrupted run from its last completed epoch.") Path resume;
    @Option(names = "--allow-download", description = "Let --weights imagenet fetch weights through DJL's model zoo.") boolean allowDownload;
    @Option(names = "--cache", description = "Folder for an on-disk decode cache (default: memory only).") Path cache;
    @Option(names = "--no-eval", description = "Skip the test-split evaluation and report at the end.") boolean noEval;
    @Option(names = "--regroup", description = "When the dataset's own split puts one patient in two of train, val and test, "
            + "move that patient's images into the split holding most of them (default: refuse, listing the patients).") boolean regroup;
    @Option(names = "--verbatim-ids", description = "Take a manifest's patient_id as written instead of by the file-name rule "
            + "(which makes NORMAL2-IM-0383 and IM-0383 one patient).") boolean verbatimIds;
    @Mixin ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        if (resume == null && (data == null || out == null)) throw new UserException("train needs --data and --out (or --resume RUN)", 2);
        if (resume != null && data != null) throw new UserException("--resume takes the data from the run's split.csv; drop --data", 2);
        if (allowDownload) org.pneumoscope.core.DjlSetup.allowDownload();
        Path runDir = resume != null ? resume : out;
        TrainConfig cfg = resume != null ? null : config.resolve();
        Result r = run(new TrainJob.Options(data, runDir, cfg, resume != null, allowDownload, cache, System.out, regroup,
                verbatimIds ? PatientIds.Rule.VERBATIM : PatientIds.Rule.NAMING), !noEval);
        if (r == null) return 0;
        if (r.eval() != null) System.out.println("report: " + r.eval().report());
        System.out.println(peakLine(r));
        return 0;
    }

    /**
     * What one {@code train} did: the training job, its test evaluation (null with --no-eval or without a test
     * split) and the wall time of each (seconds; evaluation 0 when skipped).
     */
    public record Result(TrainJob.Outcome train, EvaluateJob.Outcome eval, double trainSeconds, double evalSeconds) {}

    /**
     * The whole of {@code train}: train (or resume) the run, then evaluate it on its test split into RUN/test.
     * {@code bench headline} runs exactly this. Returns null when a resumed run was already complete.
     */
    static Result run(Path data, Path runDir, TrainConfig cfg, boolean resume, boolean allowDownload, Path cache,
                      boolean evaluate, PrintStream out) throws Exception {
        return run(new TrainJob.Options(data, runDir, cfg, resume, allowDownload, cache, out), evaluate);
    }

    static Result run(TrainJob.Options options, boolean evaluate) throws Exception {
        long t0 = System.nanoTime();
        TrainJob.Outcome o = TrainJob.run(options);
        if (o == null) return null;
        return evaluated(o, (System.nanoTime() - t0) / 1e9, options.data(), options.runDir(), evaluate, options.out());
    }

    /**
     * As {@link #run} on samples that already carry their train/val/test split (written to RUN/split.csv as they
     * are): {@code bench headline --proxy} trains the same recipe on a proxy split (texture or batch) this way.
     */
    static Result runOnSplit(Path data, Path runDir, TrainConfig cfg, List<Sample> samples, PrintStream out) throws Exception {
        long t0 = System.nanoTime();
        TrainJob.Outcome o = TrainJob.runOnSplit(runDir, cfg, samples, false, false,
                new ImageCache(null, Runtime.getRuntime().maxMemory() / 3), out);
        return evaluated(o, (System.nanoTime() - t0) / 1e9, data, runDir, true, out);
    }

    /** After training: the run evaluated on its test split into RUN/test (unless told not to, or there is none). */
    private static Result evaluated(TrainJob.Outcome o, double trainSeconds, Path data, Path runDir, boolean evaluate,
                                    PrintStream out) throws Exception {
        out.println("model: " + o.run().modelParams());
        EvaluateJob.Outcome e = null;
        long t1 = System.nanoTime();
        if (evaluate) {
            List<Sample> test = TrainJob.inSplit(o.samples(), "test");
            if (test.isEmpty()) {
                out.println("no test split: evaluate later with pneumoscope evaluate --run " + runDir + " --data DATA --out DIR");
            } else {
                try (TrainedModel m = TrainedModel.load(runDir)) {
                    e = EvaluateJob.run(m, test, o.run().testDir(),
                            EvaluateJob.Options.forSamples("test", m.config().tta(), true, test, data, 42), out);
                    out.println("test metrics: " + e.metrics());
                }
            }
        }
        double evalSeconds = e == null ? 0 : (System.nanoTime() - t1) / 1e9;
        return new Result(o, e, trainSeconds, evalSeconds);
    }

    /** The summary line of peak memory: the process's RSS high-water mark after training and after evaluation. */
    static String peakLine(Result r) {
        return "peak RSS: " + ProcessMemory.mb(r.train().peakRssMb()) + " after training"
                + (r.eval() == null ? "" : ", " + ProcessMemory.mb(r.eval().peakRssMb()) + " after evaluation")
                + " (Java heap + native PyTorch memory)";
    }
}
