package org.pneumoscope.cli;

import org.pneumoscope.bench.DecodeBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code pneumoscope bench decode}: images per second for decode + resize, Pneumoscope's path against the
 * plain Java way ({@code ImageIO.read} + {@code Graphics2D.drawImage} with bilinear interpolation), with one
 * thread and with all cores, in the same run on the same files.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Decode + resize throughput (images/s), Pneumoscope vs ImageIO.read + Graphics2D, 1 thread and all cores.")
public class BenchDecodeCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, paramLabel = "FOLDER|CSV", description = "Dataset folder or CSV manifest.")
    Path data;

    @Option(names = "--limit", paramLabel = "N", description = "Images to use, spread over the dataset (default ${DEFAULT-VALUE}).")
    int limit = 1000;

    @Option(names = "--size", paramLabel = "PX", description = "Output side in pixels (default ${DEFAULT-VALUE}).")
    int size = 224;

    @Option(names = "--mode", paramLabel = "MODE", description = "squash or letterbox (default ${DEFAULT-VALUE}).")
    String mode = "squash";

    @Option(names = "--threads", paramLabel = "N", description = "Threads for the parallel runs (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--rounds", paramLabel = "R", description = "Timed passes per measurement; the best is reported (default ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Override
    public Integer call() throws Exception {
        DecodeBenchmark.run(data, limit, size, mode, threads, rounds, System.out);
        return 0;
    }
}
