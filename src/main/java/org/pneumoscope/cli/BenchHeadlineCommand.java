package org.pneumoscope.cli;

import org.pneumoscope.bench.Headline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The headline run (docs/recipe.md): exactly {@code train --data DIR --out RUN} (same code path, preset defaults plus any
 * overrides), then one block with wall times, memory, the test figures and a PASS/FAIL line per target of the
 * issue, also written to RUN/headline.json. Every figure is read back from the run's own files.
 */
@Command(name = "headline", mixinStandardHelpOptions = true,
        description = {"Reproduce the headline run: train and evaluate exactly as `train --data DIR --out RUN`, "
                + "then report wall minutes, epochs, peak RSS, test accuracy with CI, macro-F1, per-class recall, ECE, "
                + "and PASS/FAIL against the headline targets (accuracy >= 0.90, every class recall >= 0.85, "
                + "calibrated ECE <= 0.05, training <= 30 min). Also written to RUN/headline.json.",
                "RUN must not hold a run yet: a headline figure is one fresh run, so it is never resumed or trained over.",
                "With --proxy, the same recipe is then trained again on a texture split of the same data (the blurriest normals "
                        + "held out) and its held-out figures are printed beside the internal ones (and under \"proxy\" in "
                        + "headline.json): this doubles the time.",
                "Example: pneumoscope bench headline --data ../shared/data/kermany224 --out runs/headline"})
public class BenchHeadlineCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "Dataset folder (Kermany or class folders) or CSV manifest.") Path data;
    @Option(names = "--out", description = "Run folder to create (default: headline-YYYYMMDD-HHMMSS here).") Path out;
    @Mixin ConfigOptions config;
    @Option(names = "--proxy", description = "After the headline run, train the same recipe again in RUN/proxy/ on a texture "
            + "split of the same data (the blurriest 25 %% of the normal-class patients and a random 15 %% of the others held out "
            + "as test, as dataset split --strategy texture; RUN/proxy/split.csv) and print its accuracy (95 %% CI), recall per "
            + "class and share of normal films called pneumonia on them beside the internal test split's: a proxy for blurrier "
            + "normal films from another batch, which a model that learnt \"sharp = normal\" calls pneumonia and the internal "
            + "split never shows. Doubles the time.")
    boolean proxy;

    @Override
    public Integer call() throws Exception {
        Path runDir = out != null ? out
                : Path.of("headline-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        Headline.run(data, runDir, config.presetName(), config.resolve(), proxy, System.out);
        return 0;
    }
}
