package org.pneumoscope.cli;

import org.pneumoscope.bench.DecodeBenchmark;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.Contrast;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.pipeline.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code pneumoscope bench decode}: images per second for decode + resize, Pneumoscope's path against the
 * plain Java way ({@code ImageIO.read} + {@code Graphics2D.drawImage} with bilinear interpolation), with one
 * thread and with all cores, in the same run on the same files; and the whole way to the network's input tensor.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = {"Decode + resize throughput (images/s), Pneumoscope vs ImageIO.read + Graphics2D, 1 thread and all cores;",
                "and decode -> fit -> normalise to the float tensor the network takes (the input recipe of --run, or of "
                        + "--size/--mode/--contrast/--channels), against the same plain reference."})
public class BenchDecodeCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, paramLabel = "FOLDER|CSV", description = "Dataset folder or CSV manifest.")
    Path data;

    @Option(names = "--limit", paramLabel = "N", description = "Images to use, spread over the dataset (default ${DEFAULT-VALUE}).")
    int limit = 1000;

    @Option(names = "--size", paramLabel = "PX", description = "Output side in pixels (default ${DEFAULT-VALUE}).")
    int size = 224;

    @Option(names = "--mode", paramLabel = "MODE", description = "squash or letterbox (default ${DEFAULT-VALUE}).")
    String mode = "squash";

    @Option(names = "--contrast", paramLabel = "C", description = "Grey-scale mapping of the tensor path: none, stretch or "
            + "equalize (default ${DEFAULT-VALUE}).")
    String contrast = "none";

    @Option(names = "--channels", paramLabel = "N", description = "Channels of the tensor path (default ${DEFAULT-VALUE}).")
    int channels = 1;

    @Option(names = "--run", paramLabel = "RUN", description = "Take size, resize, contrast and channels from this run's input recipe.")
    Path run;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for the parallel runs (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--rounds", paramLabel = "R", description = "Timed passes per measurement; the best is reported (default ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Override
    public Integer call() throws Exception {
        InputRecipe recipe;
        if (run != null) {
            try (TrainedModel m = TrainedModel.load(run)) {
                recipe = m.recipe();
            }
        } else {
            ResizeMode rm = ResizeMode.parse(mode);
            if (rm == null) throw new UserException("--mode must be squash or letterbox, not '" + mode + "'", 2);
            Contrast c = Contrast.parse(contrast);
            if (c == null) throw new UserException("--contrast must be none, stretch or equalize, not '" + contrast + "'", 2);
            if (size < 8 || channels < 1) throw new UserException("--size must be at least 8 and --channels at least 1", 2);
            recipe = InputRecipe.of(size, rm, c, channels);
        }
        DecodeBenchmark.run(data, limit, recipe, threads, rounds, System.out);
        return 0;
    }
}
