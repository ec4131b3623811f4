package org.pneumoscope.cli;

import org.pneumoscope.pipeline.DatasetStatsJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code pneumoscope dataset stats --data X [--json]}. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Count images per class and split, distinct patients, patients in several splits (leakage), "
                + "byte-identical duplicates (SHA-256) and images that fail to decode.",
                "Reads every image once; --no-decode skips that for a quick count."})
public class DatasetStatsCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, paramLabel = "FOLDER|CSV",
            description = "Dataset folder (Kermany or class folders, optionally under train/val/test) or CSV manifest.")
    Path data;

    @Option(names = "--json", description = "Print the statistics as JSON instead of text.")
    boolean json;

    @Option(names = "--no-decode", description = "Do not read the images (no duplicate or decode checks).")
    boolean noDecode;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for reading images (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--list", paramLabel = "N", description = "Longest list printed per section in text mode (default ${DEFAULT-VALUE}).")
    int listLimit = 20;

    @Option(names = "--verbatim-ids", description = "Take a manifest's patient_id as written instead of by the file-name "
            + "rule (which makes NORMAL2-IM-0383 and IM-0383 one patient).")
    boolean verbatimIds;

    @Override
    public Integer call() throws Exception {
        DatasetStatsJob.run(new DatasetStatsJob.Options(data, json, noDecode, threads, listLimit, verbatimIds), System.out);
        return 0;
    }
}
