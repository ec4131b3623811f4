package org.pneumoscope.pipeline;

import org.pneumoscope.data.Sample;
import org.pneumoscope.train.Presets;
import org.pneumoscope.train.TrainConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The whole path on data the project makes itself: phantoms → train → evaluate → report. */
public final class Demo {
    private Demo() {}

    /** Where everything went. */
    public record Result(Path phantoms, Path run, EvaluateJob.Outcome evaluation, double seconds) {}

    /**
     * Runs the demo in {@code out}: phantoms are made once and reused, an interrupted run resumes, and a finished run is
     * kept and the demo redone in a new run folder beside it.
     */
    public static Result run(Path out, int count, Integer epochs, long seed) throws Exception {
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        Path phantoms = out.resolve("phantoms");
        Map<String, Object> over = new LinkedHashMap<>();
        over.put("seed", seed);
        if (epochs != null) over.put("epochs", epochs);
        TrainConfig cfg = Presets.resolve("demo", over);
        if (!Files.isRegularFile(phantoms.resolve("manifest.csv"))) {
            System.out.printf(Locale.ROOT, "[1/3] generating %d phantom chest X-rays...%n", count);
            Phantoms.generate(phantoms, count, Math.max(cfg.size(), 128), seed, Runtime.getRuntime().availableProcessors());
        } else {
            System.out.println("[1/3] reusing phantoms in " + phantoms);
        }
        Path run = freshRunFolder(out);
        boolean resume = Files.exists(run.resolve("checkpoints").resolve("last.ckpt"));
        System.out.printf(Locale.ROOT, "[2/3] training %s@%d (width %.2f) for up to %d epochs%s...%n", cfg.model(), cfg.size(), cfg.width(),
                cfg.epochs(), resume ? " (resuming)" : "");
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

    /** out/run, or the first free out/run-N when out/run already holds a finished model. */
    private static Path freshRunFolder(Path out) {
        Path run = out.resolve("run");
        if (!Files.exists(run.resolve("model.json"))) return run;
        int i = 2;
        while (Files.exists(out.resolve("run-" + i))) i++;
        return out.resolve("run-" + i);
    }
}
