package org.pneumoscope.cli;

import org.pneumoscope.pipeline.EnsembleJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "ensemble", mixinStandardHelpOptions = true,
        description = "Score the average of several models' predictions on one test set (cross-validation folds, seeds or "
                + "recipes): reads each RUN/test/predictions.csv (or a predictions.csv given directly), averages the class "
                + "probabilities image by image and writes metrics.json and predictions.csv as evaluate does, with each "
                + "member's own accuracy beside the ensemble's.%n"
                + "Example: pneumoscope ensemble runs/seed1 runs/seed2 runs/seed3 --out runs/ensemble")
public class EnsembleCommand implements Callable<Integer> {
    @Parameters(arity = "2..*", paramLabel = "RUN", description = "Run folders (their test/predictions.csv) or predictions.csv files.")
    List<Path> members;
    @Option(names = "--out", required = true, description = "Output folder.") Path out;
    @Option(names = "--bootstrap-seed", defaultValue = "42", description = "Seed of the patient bootstrap (default ${DEFAULT-VALUE}).") long bootstrapSeed;

    @Override
    public Integer call() throws Exception {
        EnsembleJob.run(members, out, bootstrapSeed, System.out);
        return 0;
    }
}
