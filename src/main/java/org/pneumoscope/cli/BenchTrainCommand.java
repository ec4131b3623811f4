package org.pneumoscope.cli;

import org.pneumoscope.bench.TrainComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Training speed against PyTorch's own Python API on the same machine, same net, size, batch and threads. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Training throughput: loader alone, model step alone, end to end, peak RSS; then the PyTorch "
                + "reference (../shared/bench/torch_reference.py with Debian's python3-torch) with the same net, size, "
                + "batch and threads, and the ratio.",
                "Example: pneumoscope bench train --model resnet18 --size 128 --batch 32"})
public class BenchTrainCommand implements Callable<Integer> {
    @Mixin ConfigOptions config;
    @Option(names = "--data", description = "Real images to load (default: phantoms rendered in memory).") Path data;
    @Option(names = "--steps", defaultValue = "10", description = "Timed steps (default ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--reference", description = "Path of torch_reference.py (default: ../shared/bench/torch_reference.py from the project).") Path reference;
    @Option(names = "--no-reference", description = "Skip the PyTorch reference.") boolean noReference;
    @Option(names = "--memory-every", defaultValue = "250", description = "Sample RSS, heap and native memory every N steps "
            + "of each phase (default ${DEFAULT-VALUE}; 0: phase ends only). Run with --steps 2000 for the native-memory check.")
    int memoryEvery;

    @Override
    public Integer call() throws Exception {
        TrainComparison.run(config.resolve(), data, steps, reference, noReference, memoryEvery, System.out);
        return 0;
    }
}
