package org.pneumoscope.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;


/** {@code pneumoscope dataset ...}: look at a dataset before training on it. */
@Command(name = "dataset", mixinStandardHelpOptions = true,
        description = "Inspect a dataset (counts, patients, leaks, duplicates, unreadable images) or write a split manifest.",
        subcommands = {DatasetStatsCommand.class, DatasetSplitCommand.class})
public class DatasetCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
