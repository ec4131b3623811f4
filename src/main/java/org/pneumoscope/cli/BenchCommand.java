package org.pneumoscope.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code pneumoscope bench ...}: speed measurements of the pipeline's stages on this machine. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure the speed of a pipeline stage on this machine, or reproduce the headline run (bench headline).",
        subcommands = {BenchDecodeCommand.class, BenchTrainCommand.class, BenchServeCommand.class, BenchFuzzCommand.class, BenchExplainCommand.class, BenchHeadlineCommand.class,
                SparkCommands.BenchScore.class})
public class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
