package org.pneumoscope.cli;

import org.pneumoscope.util.DjlSetup;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code pneumoscope <command> --help}. Bad usage exits 2 with a one-line reason. */
@Command(name = "pneumoscope", mixinStandardHelpOptions = true, version = "pneumoscope 0.1.0",
        description = "Chest X-ray classification (bacterial / viral pneumonia / normal) with Grad-CAM. Research use only.",
        subcommands = {
                CommandLine.HelpCommand.class,
                DemoCommand.class,
                TrainCommand.class,
                EvaluateCommand.class,
                CalibrateCommand.class,
                PredictCommand.class,
                ServeCommand.class,
                ExplainCommand.class,
                EngineCommand.class,
                DatasetCommand.class,
                BenchCommand.class,
                SynthCommand.class,
                AugmentCommand.class,
                ExperimentCommand.class,
                EnsembleCommand.class,
        })
public class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
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

    public static void main(String[] args) {
        DjlSetup.configure();
        int rc = commandLine().execute(args);
        System.exit(rc);
    }
}
