package org.pneumoscope.cli;

import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.Sample;
import org.pneumoscope.eval.EvaluateJob;
import org.pneumoscope.model.TrainedModel;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;
import org.pneumoscope.train.TrainJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
    @Mixin ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        if (resume == null && (data == null || out == null)) throw new UserException("train needs --data and --out (or --resume RUN)", 2);
        if (resume != null && data != null) throw new UserException("--resume takes the data from the run's split.csv; drop --data", 2);
        if (allowDownload) org.pneumoscope.util.DjlSetup.allowDownload();
        Path runDir = resume != null ? resume : out;
        TrainConfig cfg = resume != null ? null : config.resolve();
        TrainJob.Outcome o = TrainJob.run(new TrainJob.Options(data, runDir, cfg, resume != null, allowDownload, cache, System.out));
        if (o == null) return 0;
        System.out.println("model: " + o.run().modelParams());
        if (!noEval) {
            List<Sample> test = TrainJob.inSplit(o.samples(), "test");
            if (test.isEmpty()) {
                System.out.println("no test split: evaluate later with pneumoscope evaluate --run " + runDir + " --data DATA --out DIR");
            } else {
                try (TrainedModel m = TrainedModel.load(runDir)) {
                    EvaluateJob.Outcome e = EvaluateJob.run(m, test, o.run().testDir(),
                            EvaluateCommand.options("test", m.config().tta(), true, test, data).withSeed(42), System.out);
                    System.out.println("test metrics: " + e.metrics());
                    System.out.println("report: " + e.report());
                }
            }
        }
        return 0;
    }
}
