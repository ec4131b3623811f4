package org.pneumoscope.cli;

import org.pneumoscope.pipeline.CalibrateJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Re-fits a finished model's calibration on labelled images (by default the run's own validation split) and writes it
 * into model.json, keeping the one it replaces. For a site whose class mix differs from the training data's, a
 * labelled local sample with {@code --method bias-corrected} adapts the probabilities to the local prevalence without
 * retraining.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Re-fit a trained run's calibration (temperature, or temperature and class offsets) on labelled images "
                + "and store it in the run's model.json; the calibration it replaces is kept there.",
                "Films of the run's training or test split are refused: calibrate on its validation split (the default) "
                        + "or on labelled films it never saw."})
public class CalibrateCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A finished run folder.") Path run;
    @Option(names = "--method", defaultValue = "bias-corrected",
            description = "temperature, bias-corrected (temperature plus one offset per class) or none (default ${DEFAULT-VALUE}).") String method;
    @Option(names = "--data", description = "Dataset folder or manifest (default: the run's own split.csv).") Path data;
    @Option(names = "--split", description = "Only this split of the data; default val for the run's own split, all images otherwise.") String split;
    @Option(names = "--dry-run", description = "Fit and print, but leave model.json as it is.") boolean dryRun;
    @Option(names = "--profile", paramLabel = "NAME",
            description = "Calibrate the run's site profile NAME (made by adapt) instead; stored in its profile.json.") String profile;

    @Override
    public Integer call() throws Exception {
        CalibrateJob.run(new CalibrateJob.Options(run, method, data, split, dryRun, profile), System.out);
        return 0;
    }
}
