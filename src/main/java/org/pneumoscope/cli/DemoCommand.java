package org.pneumoscope.cli;

import org.pneumoscope.pipeline.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** The whole path on data the project makes itself: phantoms → train → evaluate → report. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate phantom chest X-rays, train a small model, evaluate it and write an HTML report (a few minutes on 2 cores).")
public class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "demo-out", description = "Output folder (default ${DEFAULT-VALUE}).") Path out;
    @Option(names = "--count", defaultValue = "1500", description = "Phantoms to generate (default ${DEFAULT-VALUE}).") int count;
    @Option(names = "--epochs", description = "Override the demo preset's epochs.") Integer epochs;
    @Option(names = "--seed", defaultValue = "42") long seed;

    @Override
    public Integer call() throws Exception {
        Demo.Result r = Demo.run(out, count, epochs, seed);
        System.out.println();
        System.out.printf(Locale.ROOT, "demo finished in %.0f s%n", r.seconds());
        System.out.println("  phantoms: " + r.phantoms().toAbsolutePath());
        System.out.println("  run:      " + r.run().toAbsolutePath());
        System.out.println("  metrics:  " + r.evaluation().metrics().toAbsolutePath());
        System.out.println("  report:   " + r.evaluation().report().toAbsolutePath());
        return 0;
    }
}
