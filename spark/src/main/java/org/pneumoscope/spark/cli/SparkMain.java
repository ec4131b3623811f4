package org.pneumoscope.spark.cli;

import org.pneumoscope.cli.Main;
import org.pneumoscope.cli.SparkCommands;
import org.pneumoscope.core.DjlSetup;
import picocli.CommandLine;

/**
 * The command line with the Spark commands added ({@code score}, {@code bench score}): the launcher runs this class for
 * them, with Spark on the class path, and spark-submit runs it from the job jar.
 */
public final class SparkMain {
    private SparkMain() {}

    public static CommandLine commandLine() {
        CommandLine cl = Main.commandLine();
        SparkCommands.replace(cl, new ScoreCommand(), new BenchScoreCommand());
        return cl;
    }

    public static void main(String[] args) {
        DjlSetup.configure();
        System.exit(commandLine().execute(args));
    }
}
