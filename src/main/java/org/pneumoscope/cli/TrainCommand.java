package org.pneumoscope.cli;

import org.pneumoscope.core.UserException;
import org.pneumoscope.data.PatientIds;
import org.pneumoscope.pipeline.TrainJob;
import org.pneumoscope.pipeline.TrainRun;
import org.pneumoscope.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
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
        TrainRun.Result r = TrainRun.run(new TrainJob.Options(data, runDir, cfg, resume != null, allowDownload, cache, System.out,
                regroup, verbatimIds ? PatientIds.Rule.VERBATIM : PatientIds.Rule.NAMING), !noEval);
        if (r == null) return 0;
        if (r.eval() != null) System.out.println("report: " + r.eval().report());
        System.out.println(r.peakLine());
        return 0;
    }
}
