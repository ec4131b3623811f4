package org.pneumoscope.spark;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.data.ImageDecoder;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;

/**
 * Scores an archive of films on Spark: lists the input (a folder tree, or the files a CSV manifest or Parquet table
 * names), leaves out the files this model scored into the same output before, reads the rest through Spark's binaryFile
 * source, scores each partition with the executor's one model ({@link ModelHolder}), and appends one row per file to
 * the Parquet table {@code OUT/scores}. Then, from that table: {@code OUT/summary.csv} when asked, and evaluate's
 * {@code OUT/metrics.json} when the input had labels ({@link Report}).
 */
public final class ScoreJob {
    private ScoreJob() {}

    /** The Parquet table under the output folder. */
    public static final String TABLE = "scores";

    /**
     * @param threadsPerTask PyTorch's intra-op threads per task; 0: the cores a task has (local: cores / task slots;
     *                       a cluster: spark.task.cpus)
     * @param filesPerTask   about how many films one task scores (larger partitions are split by Spark itself)
     * @param tta            mirror-image averaging; null: as the run's config says
     */
    public record Options(String run, String profile, String input, String out, Boolean tta, int threadsPerTask,
                          int filesPerTask, boolean summary, long bootstrapSeed) {}

    /**
     * @param listed   input files found
     * @param skipped  of those, scored by this model into the output before (resume)
     * @param written  rows this run appended (scored films and errors)
     * @param errors   of those, files that could not be scored
     * @param seconds  wall time from listing to the written table
     */
    public record Outcome(long listed, long skipped, long written, long errors, String table, String hash,
                          Report.Written report, double seconds) {}

    public static Outcome run(SparkSession spark, Options o, PrintStream out) throws IOException {
        long t0 = System.nanoTime();
        String hash = ModelHolder.hash(java.nio.file.Path.of(o.run()), o.profile()); // a bad run is refused before Spark works
        // the driver opens the model too: a damaged run fails here, and the rows of files never read name it as well
        org.pneumoscope.api.Classifier c = ModelHolder.get(o.run(), o.profile(), hash);
        PartitionScorer.Stamp stamp = PartitionScorer.Stamp.of(o.tta() == null ? c : c.withTta(o.tta()), o.run(), hash);
        ScoreInput in = ScoreInput.open(spark, o.input());
        Path outDir = new Path(o.out());
        FileSystem fs = outDir.getFileSystem(spark.sparkContext().hadoopConfiguration());
        String table = fs.makeQualified(new Path(outDir, TABLE)).toString();

        Dataset<Row> wanted = wanted(spark, in);
        Dataset<Row> before = fs.exists(new Path(table))
                ? spark.read().parquet(table).filter(col(ScoreSchema.MODEL_HASH).equalTo(hash)).select(ScoreSchema.PATH)
                : null;
        long listed = wanted.count(), skipped = 0;
        if (before != null) {
            skipped = wanted.join(before, wanted.col(ScoreSchema.PATH).equalTo(before.col(ScoreSchema.PATH)), "left_semi").count();
            wanted = wanted.join(before, wanted.col(ScoreSchema.PATH).equalTo(before.col(ScoreSchema.PATH)), "left_anti");
        }
        wanted = wanted.persist(StorageLevel.MEMORY_AND_DISK());
        Column readable = col(NOTE).isNull().and(col("length").isNotNull()).and(col("length").gt(0))
                .and(col("length").leq(ImageDecoder.MAX_FILE_BYTES));
        long toRead = wanted.filter(readable).count();
        out.printf(Locale.ROOT, "%d file(s) in %s; %d scored by this model before (skipped), %d to read%n",
                listed, o.input(), skipped, toRead);

        Dataset<Row> rows = errorRows(wanted.filter(readable.unary_$bang()), stamp);
        if (toRead > 0) rows = rows.unionByName(scored(spark, in, wanted, readable, skipped > 0, toRead, stamp, o));
        rows.select(java.util.Arrays.stream(ScoreSchema.columns()).map(org.apache.spark.sql.functions::col).toArray(Column[]::new))
                .write().mode(SaveMode.Append).parquet(table);
        wanted.unpersist();

        Dataset<Row> mine = spark.read().parquet(table).filter(col(ScoreSchema.MODEL_HASH).equalTo(hash));
        long total = mine.count(), errors = mine.filter(col(ScoreSchema.ERROR).isNotNull()).count();
        double seconds = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "this model (hash %s): %d film(s) in %s, %d written now, %d with errors (column error) in %.1f s%n",
                hash.substring(0, 12), total, table, total - skipped, errors, seconds);
        Report.Written report = Report.write(spark, table, hash, o, fs, outDir, out);
        return new Outcome(listed, skipped, total - skipped, errors, table, hash, report, seconds);
    }

    /** Why a listed file is not read, or null. */
    static final String NOTE = "note";

    /**
     * (path, length, note, label, patient_id) of every input file; length is null for a file a table names that is
     * not there, note says why a file Spark does not read is left out.
     */
    static Dataset<Row> wanted(SparkSession spark, ScoreInput in) throws IOException {
        List<String> roots = in.kind() == ScoreInput.Kind.FOLDER ? in.roots() : ScoreInput.roots(spark, in.table());
        StructType listed = new StructType().add("path", DataTypes.StringType).add("length", DataTypes.LongType)
                .add(NOTE, DataTypes.StringType);
        Dataset<Row> listing = spark.createDataFrame(Unlisted.find(spark.sparkContext().hadoopConfiguration(), roots), listed);
        if (!roots.isEmpty())
            listing = listing.unionByName(binaryFiles(spark).load(roots.toArray(String[]::new)).select("path", "length")
                    .withColumn(NOTE, lit(null).cast(DataTypes.StringType)));
        if (in.kind() == ScoreInput.Kind.FOLDER) // as predict lists a folder: manifests and results beside the films are no films
            return listing.filter(notCsvOrJson())
                    .withColumn(ScoreSchema.LABEL, lit(null).cast(DataTypes.StringType))
                    .withColumn(ScoreSchema.PATIENT, lit(null).cast(DataTypes.StringType));
        Dataset<Row> t = in.table();
        return t.join(listing.dropDuplicates("path"), t.col(ScoreSchema.PATH).equalTo(listing.col("path")), "left")
                .select(t.col(ScoreSchema.PATH), listing.col("length"), listing.col(NOTE), t.col(ScoreSchema.LABEL),
                        t.col(ScoreSchema.PATIENT));
    }

    private static Column notCsvOrJson() {
        return lower(col("path")).endsWith(".csv").or(lower(col("path")).endsWith(".json")).unary_$bang();
    }

    static org.apache.spark.sql.DataFrameReader binaryFiles(SparkSession spark) {
        return spark.read().format("binaryFile").option("recursiveFileLookup", "true");
    }

    /**
     * The readable files' scores, with their labels. A whole folder is read by listing it again; otherwise (a table's
     * files, or a resumed folder) exactly the wanted files are read, so nothing scored before is read twice.
     */
    private static Dataset<Row> scored(SparkSession spark, ScoreInput in, Dataset<Row> wanted, Column readable,
                                       boolean resumed, long n, PartitionScorer.Stamp stamp, Options o) {
        Dataset<Row> content;
        if (in.kind() == ScoreInput.Kind.FOLDER && !resumed) {
            content = binaryFiles(spark).load(in.roots().toArray(String[]::new)).filter(notCsvOrJson());
        } else {
            List<String> paths = wanted.filter(readable).select(ScoreSchema.PATH).as(Encoders.STRING()).collectAsList();
            content = binaryFiles(spark).load(paths.stream().map(ScoreJob::globEscaped).toArray(String[]::new));
        }
        content = content.filter(col("length").leq(ImageDecoder.MAX_FILE_BYTES)).select("path", "length", "content");
        int target = (int) Math.max(spark.sparkContext().defaultParallelism(), (n + o.filesPerTask() - 1) / o.filesPerTask());
        if (content.rdd().getNumPartitions() > target) content = content.coalesce(target);
        PartitionScorer scorer = new PartitionScorer(o.run(), o.profile(), stamp, threads(spark, o));
        Dataset<Row> s = content.mapPartitions(scorer, Encoders.row(ScoreSchema.SCHEMA));
        if (in.kind() == ScoreInput.Kind.FOLDER) return s;
        Dataset<Row> labels = wanted.select(col(ScoreSchema.PATH).as("p"), col(ScoreSchema.LABEL).as("l"), col(ScoreSchema.PATIENT).as("pid"));
        return s.join(labels, s.col(ScoreSchema.PATH).equalTo(labels.col("p")), "left")
                .withColumn(ScoreSchema.LABEL, col("l")).withColumn(ScoreSchema.PATIENT, col("pid"))
                .drop("p", "l", "pid");
    }

    /** Rows for the files not read: not found, or refused by their size with the words the CLI uses. */
    private static Dataset<Row> errorRows(Dataset<Row> notRead, PartitionScorer.Stamp stamp) {
        MapFunction<Row, Row> toRow = r -> {
            String path = r.getString(0);
            Long size = r.isNullAt(1) ? null : r.getLong(1);
            Row e;
            if (!r.isNullAt(2)) {
                e = PartitionScorer.error(path, null, size, stamp, "SKIPPED", r.getString(2));
            } else if (size == null) {
                e = PartitionScorer.error(path, null, null, stamp, DecodeException.Kind.UNREADABLE.name(), "file not found");
            } else {
                try {
                    ImageDecoder.checkFileSize(path, size);
                    e = PartitionScorer.error(path, null, size, stamp, DecodeException.Kind.UNREADABLE.name(), "not read");
                } catch (DecodeException x) {
                    e = PartitionScorer.error(path, null, size, stamp, x.kind().name(), x.reason());
                }
            }
            Object[] v = new Object[ScoreSchema.SCHEMA.size()];
            for (int i = 0; i < v.length; i++) v[i] = e.get(i);
            v[3] = r.get(3); // the input's label and patient id
            v[4] = r.get(4);
            return org.apache.spark.sql.RowFactory.create(v);
        };
        return notRead.map(toRow, Encoders.row(ScoreSchema.SCHEMA));
    }

    /** Intra-op threads per task: as asked, else the cores one task slot has. */
    static int threads(SparkSession spark, Options o) {
        return threads(spark, o.threadsPerTask());
    }

    /** {@code asked} if above 0, else the cores one task slot has: locally cores / slots, on a cluster spark.task.cpus. */
    static int threads(SparkSession spark, int asked) {
        if (asked > 0) return asked;
        if (spark.sparkContext().isLocal())
            return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, spark.sparkContext().defaultParallelism()));
        return Integer.parseInt(spark.conf().get("spark.task.cpus", "1"));
    }

    /** A path that binaryFile's loader reads as itself, not as a glob pattern. */
    static String globEscaped(String path) {
        return path.replaceAll("([\\\\\\[\\]{}*?])", "\\\\$1");
    }
}
