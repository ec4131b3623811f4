package org.pneumoscope.spark.cli;

import org.apache.spark.sql.SparkSession;
import org.pneumoscope.cli.SparkCommands;
import org.pneumoscope.core.UserException;
import org.pneumoscope.spark.ScoreJob;
import org.pneumoscope.spark.Sessions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "score", mixinStandardHelpOptions = true,
        description = {SparkCommands.SCORE,
                "Appends one row per file to the Parquet table OUT/scores: path, SHA-256, predicted label, calibrated "
                        + "probabilities, logits, pooled features, calibration, model and model hash, and the error for a "
                        + "file that could not be scored. A re-run skips the files this model scored into OUT before. "
                        + "With labels in the input, also writes evaluate's OUT/metrics.json."})
public class ScoreCommand implements Callable<Integer> {
    @Option(names = "--spark", description = "Run on Spark (required: predict scores files in one process).") boolean spark;
    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master: local[*] (default), local[N], spark://HOST:PORT, yarn, k8s://... "
                    + "(under spark-submit: the one it was given).") String master;
    @Option(names = "--run", required = true, description = "A finished run folder, at the same path on every machine.") String run;
    @Option(names = "--profile", paramLabel = "NAME", description = "Use the run's site profile NAME (made by adapt).") String profile;
    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "A folder of films (read recursively; .csv and .json files are left out), a CSV manifest, or a "
                    + "Parquet table of paths: column path (or file), optionally label and patient_id; relative paths "
                    + "are read against the manifest's folder. Any file system Spark reads (file:, hdfs://, s3a://...).") String input;
    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Output folder (created; a table already there is appended to).") String out;
    @Option(names = "--tta", description = "Average with the horizontally flipped image (default: as the run's config).") Boolean tta;
    @Option(names = "--summary", description = "Also write OUT/summary.csv: films per model and outcome.") boolean summary;
    @Option(names = "--threads-per-task", defaultValue = "0", paramLabel = "N",
            description = "PyTorch threads per task (default: cores per task slot locally, spark.task.cpus on a cluster).") int threads;
    @Option(names = "--files-per-task", defaultValue = "256", paramLabel = "N",
            description = "About how many films one task scores (default ${DEFAULT-VALUE}).") int filesPerTask;
    @Option(names = "--bootstrap-seed", defaultValue = "42", description = "Seed of the metrics' patient bootstrap (default ${DEFAULT-VALUE}).") long seed;

    @Override
    public Integer call() throws Exception {
        if (!spark) throw new UserException("score runs on Spark: add --spark (embedded local[*] by default), or use predict", 2);
        if (filesPerTask < 1) throw new UserException("--files-per-task must be at least 1", 2);
        ScoreJob.Options o = new ScoreJob.Options(run, profile, input, out, tta, threads, filesPerTask, summary, seed);
        SparkSession s = Sessions.open(master != null ? master : Sessions.defaultMaster());
        try {
            ScoreJob.Outcome r = ScoreJob.run(s, o, System.out);
            return r.listed() == 0 ? 1 : 0;
        } finally {
            s.stop();
        }
    }
}
