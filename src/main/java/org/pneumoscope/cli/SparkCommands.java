package org.pneumoscope.cli;

import org.pneumoscope.core.UserException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * The commands that run on Apache Spark ({@code score}, {@code bench score}) live in the Spark module, which this
 * program does not depend on. So that {@code pneumoscope --help} still lists them, the program's command line holds a
 * placeholder of each, with the real command's one-line description; the Spark module's command line puts the real
 * commands in their place ({@link #replace}). Run without Spark, a placeholder says how to run the real one.
 */
public final class SparkCommands {
    private SparkCommands() {}

    /** The first line of {@code score}'s description, here and in the Spark module's command. */
    public static final String SCORE = "Score an archive of films with Apache Spark: embedded on this machine (local[*]) or on a "
            + "cluster through spark-submit (docs/scale.md).";
    /** The first line of {@code bench score}'s description, here and in the Spark module's command. */
    public static final String BENCH_SCORE = "Films/s of predict and of score --spark with local[1] and local[2] on the same "
            + "films, and their ratios (runs on Spark).";

    static final String ON_SPARK = "Runs on Spark, from the Spark module: ./pneumoscope in a source checkout builds it on first "
            + "use and runs it; on a cluster, spark-submit its job jar (docs/scale.md). The distribution zip leaves it out.";

    @Command(name = "score", mixinStandardHelpOptions = true, description = {SCORE, ON_SPARK})
    public static final class Score implements Callable<Integer> {
        @Unmatched List<String> args;

        @Override
        public Integer call() { throw notHere("score"); }
    }

    @Command(name = "score", mixinStandardHelpOptions = true, description = {BENCH_SCORE, ON_SPARK})
    public static final class BenchScore implements Callable<Integer> {
        @Unmatched List<String> args;

        @Override
        public Integer call() { throw notHere("bench score"); }
    }

    private static UserException notHere(String command) {
        return new UserException(command + " runs on Apache Spark, which this program's class path leaves out. "
                + "Run it through ./pneumoscope in a source checkout (it builds the Spark module on first use), or submit the "
                + "Spark module's job jar with spark-submit (docs/scale.md).", 2);
    }

    /** Puts the Spark module's commands where {@link Main#commandLine} holds their placeholders. */
    public static void replace(CommandLine cl, Object score, Object benchScore) {
        cl.getCommandSpec().removeSubcommand("score");
        cl.addSubcommand("score", score);
        CommandLine bench = cl.getSubcommands().get("bench");
        bench.getCommandSpec().removeSubcommand("score");
        bench.addSubcommand("score", benchScore);
    }
}
