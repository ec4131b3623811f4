package org.pneumoscope.cli;

import org.pneumoscope.bench.LatencyBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Single-image latency of prediction and of Grad-CAM, as a user of explain or the server sees it. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Single-image latency (ms, p50/p95) of predict and of Grad-CAM for a trained run, and what drawing "
                + "a Grad-CAM answer's pictures costs, step by step, as the server draws them.")
public class BenchExplainCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A finished run folder.") Path run;
    @Option(names = "--data", description = "Images to use (default: phantoms rendered in memory).") Path data;
    @Option(names = "--images", defaultValue = "30", description = "Timed images (default ${DEFAULT-VALUE}).") int count;

    @Override
    public Integer call() throws Exception {
        LatencyBenchmark.run(run, data, count, System.out);
        return 0;
    }
}
