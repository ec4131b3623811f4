package org.pneumoscope.cli;

import org.pneumoscope.core.BuildInfo;
import org.pneumoscope.core.Choices;
import org.pneumoscope.core.DjlSetup;
import org.pneumoscope.core.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** Entry point: {@code pneumoscope <command> --help}. Bad usage exits 2 with a one-line reason. */
@Command(name = "pneumoscope", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Chest X-ray classification (bacterial / viral pneumonia / normal) with Grad-CAM. Research use only.",
        subcommands = {
                CommandLine.HelpCommand.class,
                DemoCommand.class,
                TrainCommand.class,
                EvaluateCommand.class,
                CalibrateCommand.class,
                AdaptCommand.class,
                PredictCommand.class,
                ServeCommand.class,
                WatchCommand.class,
                SparkCommands.Score.class,
                ExplainCommand.class,
                EngineCommand.class,
                DatasetCommand.class,
                BenchCommand.class,
                SynthCommand.class,
                AugmentCommand.class,
                ExperimentCommand.class,
                EnsembleCommand.class,
                ExportCommand.class,
        })
public class Main implements Runnable {
    /** --version: the pom's version and the commit the build came from. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() { return new String[] {"pneumoscope " + BuildInfo.describe()}; }
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        choice(cl, org.pneumoscope.data.SplitStrategy.class);
        choice(cl, org.pneumoscope.data.BatchSplit.End.class);
        choice(cl, org.pneumoscope.pipeline.AdaptJob.Method.class);
        cl.setParameterExceptionHandler((ex, args) -> {
            System.err.println("pneumoscope: " + ex.getMessage().lines().findFirst().orElse("bad usage")
                    + " (see --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof UserException) {
                System.err.println("pneumoscope: " + ex.getMessage());
                return ((UserException) ex).exitCode();
            }
            throw ex;
        });
        return cl;
    }

    /**
     * Options of an enum type take its {@link Choices} spelling (the one YAML uses) instead of picocli's Java names;
     * a bad value names the choices. Registered here, so every subcommand gets the same conversion.
     */
    private static <E extends Enum<E>> void choice(CommandLine cl, Class<E> type) {
        cl.registerConverter(type, text -> {
            try {
                return Choices.parse(type, text);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        });
    }

    public static void main(String[] args) {
        DjlSetup.configure();
        int rc = commandLine().execute(args);
        System.exit(rc);
    }
}
