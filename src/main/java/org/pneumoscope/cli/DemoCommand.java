package org.pneumoscope.cli;

import org.pneumoscope.data.Sample;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.synth.PhantomGenerator;
import org.pneumoscope.train.Presets;
import org.pneumoscope.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** The whole path on data the project makes itself: phantoms → train → evaluate → report. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate phantom chest X-rays, train a small model, evaluate it and write an HTML report (a few minutes on 2 cores).")
public class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "demo-out", description = "Output folder (default ${DEFAULT-VALUE}).") Path out;
    @Option(names = "--count", defaultValue = "1500", description = "Phantoms to generate (default ${DEFAULT-VALUE}).") int count;
    @Option(names = "--epochs", description = "Override the demo preset's epochs.") Integer epochs;
    @Option(names = "--seed", defaultValue = "42") long seed;

    public record Result(Path phantoms, Path run, EvaluateJob.Outcome evaluation, double seconds) {}

    @Override
    public Integer call() throws Exception {
        Result r = runDemo(out, count, epochs, seed);
        System.out.println();
        System.out.printf(Locale.ROOT, "demo finished in %.0f s%n", r.seconds());
        System.out.println("  phantoms: " + r.phantoms().toAbsolutePath());
        System.out.println("  run:      " + r.run().toAbsolutePath());
        System.out.println("  metrics:  " + r.evaluation().metrics().toAbsolutePath());
        System.out.println("  report:   " + r.evaluation().report().toAbsolutePath());
        return 0;
    }

    /** Runs the demo and returns where everything went (tests assert on it). A finished demo is redone in a new run folder. */
    public static Result runDemo(Path out, int count, Integer epochs, long seed) throws Exception {
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        Path phantoms = out.resolve("phantoms");
        Map<String, Object> over = new LinkedHashMap<>();
        over.put("seed", seed);
        if (epochs != null) over.put("epochs", epochs);
        TrainConfig cfg = Presets.resolve("demo", over);
        if (!Files.isRegularFile(phantoms.resolve("manifest.csv"))) {
            System.out.printf(Locale.ROOT, "[1/3] generating %d phantom chest X-rays...%n", count);
            SynthCommand.checkOutput(phantoms);
            new PhantomGenerator().generate(phantoms, count, Math.max(cfg.size(), 128), seed, Runtime.getRuntime().availableProcessors());
        } else {
            System.out.println("[1/3] reusing phantoms in " + phantoms);
        }
        Path run = out.resolve("run");
        boolean resume = Files.exists(run.resolve("checkpoints").resolve("last.ckpt")) && !Files.exists(run.resolve("model.json"));
        if (Files.exists(run.resolve("model.json"))) {
            int i = 2;
            while (Files.exists(out.resolve("run-" + i))) i++;
            run = out.resolve("run-" + i);
        }
        System.out.printf(Locale.ROOT, "[2/3] training %s@%d (width %.2f) for up to %d epochs%s...%n", cfg.model(), cfg.size(), cfg.width(), cfg.epochs(),
                resume ? " (resuming)" : "");
        TrainJob.Outcome o = TrainJob.run(new TrainJob.Options(phantoms, run, cfg, resume, false, null, System.out));
        System.out.println("[3/3] evaluating on the held-out phantom patients and writing the report...");
        List<Sample> test = TrainJob.inSplit(o.samples(), "test");
        EvaluateJob.Outcome e;
        try (TrainedModel m = TrainedModel.load(run)) {
            e = EvaluateJob.run(m, test, run.resolve("test"),
                    EvaluateJob.Options.forSamples("test", false, true, test, phantoms, seed), System.out);
        }
        return new Result(phantoms, run, e, (System.nanoTime() - t0) / 1e9);
    }
}
