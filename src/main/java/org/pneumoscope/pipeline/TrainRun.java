package org.pneumoscope.pipeline;

import org.pneumoscope.core.ProcessMemory;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.Sample;
import org.pneumoscope.train.TrainConfig;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The whole of {@code train}: train (or resume) a run, then evaluate it on its test split into RUN/test. {@code bench
 * headline} runs exactly this, so its figures are the ones a user's {@code train} prints.
 */
public final class TrainRun {
    private TrainRun() {}

    /**
     * What one run did: the training job, its test evaluation (null when skipped or without a test split) and the
     * wall time of each (seconds; evaluation 0 when skipped).
     */
    public record Result(TrainJob.Outcome train, EvaluateJob.Outcome eval, double trainSeconds, double evalSeconds) {
        /** The summary line of peak memory: the process's RSS high-water mark after training and after evaluation. */
        public String peakLine() {
            return "peak RSS: " + ProcessMemory.mb(train.peakRssMb()) + " after training"
                    + (eval == null ? "" : ", " + ProcessMemory.mb(eval.peakRssMb()) + " after evaluation")
                    + " (Java heap + native PyTorch memory)";
        }
    }

    /** Trains (or resumes) and evaluates; null when a resumed run was already complete. */
    public static Result run(Path data, Path runDir, TrainConfig cfg, boolean resume, boolean allowDownload, Path cache,
                             boolean evaluate, PrintStream out) throws Exception {
        return run(new TrainJob.Options(data, runDir, cfg, resume, allowDownload, cache, out), evaluate);
    }

    /** As above with every option of the training job (how patients are grouped, whether leaking ones are moved). */
    public static Result run(TrainJob.Options options, boolean evaluate) throws Exception {
        long t0 = System.nanoTime();
        TrainJob.Outcome o = TrainJob.run(options);
        if (o == null) return null;
        return evaluated(o, (System.nanoTime() - t0) / 1e9, options.data(), options.runDir(), evaluate, options.out());
    }

    /**
     * As {@link #run} on samples that already carry their train/val/test split (written to RUN/split.csv as they
     * are): a proxy split (texture or batch) is trained this way.
     */
    public static Result runOnSplit(Path data, Path runDir, TrainConfig cfg, List<Sample> samples, PrintStream out) throws Exception {
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
}
