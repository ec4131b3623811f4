package org.pneumoscope.spark.cli;

import org.apache.spark.sql.SparkSession;
import org.pneumoscope.cli.SparkCommands;
import org.pneumoscope.core.UserException;
import org.pneumoscope.spark.ScoreJob;
import org.pneumoscope.spark.Sessions;
import org.pneumoscope.synth.PhantomGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * Films per second of {@code predict} and of the Spark job on the same files, in one process: predict first, then
 * Spark with one task slot and with two, so the ratio says what Spark costs and what a second slot buys.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = SparkCommands.BENCH_SCORE)
public class BenchScoreCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A finished run folder.") Path run;
    @Option(names = "--data", description = "A folder of films (default: phantoms written to a temporary folder).") Path data;
    @Option(names = "--films", defaultValue = "384", description = "Phantoms to write without --data (default ${DEFAULT-VALUE}).") int films;
    @Option(names = "--size", defaultValue = "256", description = "Their side in pixels (default ${DEFAULT-VALUE}).") int size;
    @Option(names = "--slots", defaultValue = "1,2", split = ",", description = "Local task slots to measure (default ${DEFAULT-VALUE}).") List<Integer> slots;
    @Option(names = "--threads-per-task", defaultValue = "1", paramLabel = "N",
            description = "PyTorch threads per Spark task (default ${DEFAULT-VALUE}: each slot is one core, so the slots' ratio is the scaling; predict uses every core).") int threads;

    @Override
    public Integer call() throws Exception {
        if (films < 1 || films > 100_000) throw new UserException("--films must be 1..100000", 2);
        Path tmp = Files.createTempDirectory("pneumoscope-bench-score");
        try {
            Path dir = data;
            if (dir == null) {
                dir = tmp.resolve("films");
                new PhantomGenerator().generate(dir, films, size, 1, Runtime.getRuntime().availableProcessors());
                deleteTree(dir.resolve("masks")); // the lesion masks are PNGs too; only the films are scored
            }
            long n = countFiles(dir);
            System.out.printf(Locale.ROOT, "%d film(s) in %s; %d cores%n", n, dir, Runtime.getRuntime().availableProcessors());
            Path first = firstFile(dir), warm = Files.createDirectories(tmp.resolve("warm"));
            Files.copy(first, warm.resolve(first.getFileName()));
            // the engine, Spark's classes and its generated code are loaded once before anything is timed, as in a long job
            SparkMain.commandLine().execute("predict", "--run", run.toString(), "--out", tmp.resolve("warm.csv").toString(), first.toString());
            SparkSession w = Sessions.open("local[1]");
            try {
                ScoreJob.run(w, options(warm, tmp.resolve("warm-out")), new PrintStream(OutputStream.nullOutputStream()));
            } finally {
                w.stop();
            }
            long t0 = System.nanoTime();
            int rc = SparkMain.commandLine().execute("predict", "--run", run.toString(), "--out", tmp.resolve("predict.csv").toString(), dir.toString());
            double predict = n / ((System.nanoTime() - t0) / 1e9);
            if (rc != 0) throw new UserException("predict failed on " + dir);
            List<double[]> spark = new ArrayList<>();
            for (int k : slots) {
                SparkSession s = Sessions.open("local[" + k + "]");
                try {
                    ScoreJob.Outcome o = ScoreJob.run(s, options(dir, tmp.resolve("spark-" + k)), new PrintStream(OutputStream.nullOutputStream()));
                    if (o.errors() > 0) System.out.printf(Locale.ROOT, "local[%d]: %d file(s) with errors%n", k, o.errors());
                    spark.add(new double[]{k, o.written() / o.seconds()});
                } finally {
                    s.stop();
                }
            }
            System.out.printf(Locale.ROOT, "predict           %7.1f films/s  (PyTorch threads: all cores)%n", predict);
            for (double[] r : spark)
                System.out.printf(Locale.ROOT, "spark local[%d]   %7.1f films/s  (%.2f x predict; %d PyTorch thread(s) per task)%n",
                        (int) r[0], r[1], r[1] / predict, threads);
            if (spark.size() >= 2)
                System.out.printf(Locale.ROOT, "local[%d] / local[%d]: %.2f x%n", (int) spark.get(spark.size() - 1)[0],
                        (int) spark.get(0)[0], spark.get(spark.size() - 1)[1] / spark.get(0)[1]);
            return 0;
        } finally {
            deleteTree(tmp);
        }
    }

    private ScoreJob.Options options(Path input, Path out) {
        return new ScoreJob.Options(run.toString(), null, input.toString(), out.toString(), null, threads, 256, false, 42);
    }

    private static long countFiles(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".csv") && !p.toString().endsWith(".json")).count();
        }
    }

    private static Path firstFile(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".csv") && !p.toString().endsWith(".json"))
                    .findFirst().orElseThrow(() -> new UserException("no film under " + dir));
        }
    }

    static void deleteTree(Path p) throws java.io.IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
