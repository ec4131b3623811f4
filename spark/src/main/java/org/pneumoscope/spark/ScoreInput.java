package org.pneumoscope.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * What to score: a folder tree of films, or a table of their paths (a CSV manifest or a Parquet table) with, optionally,
 * their labels and patient ids. Paths become fully qualified URIs (file:/..., hdfs://..., s3a://...), the spelling
 * Spark's binaryFile source gives its files, so the two can be joined.
 */
record ScoreInput(Kind kind, String qualified, List<String> roots, Dataset<Row> table) {
    enum Kind { FOLDER, CSV, PARQUET }

    /** (path, label, patient_id) of a table's rows; label is the class id when it names one, else as written. */
    static final StructType TABLE = new StructType()
            .add(ScoreSchema.PATH, DataTypes.StringType, false)
            .add(ScoreSchema.LABEL, DataTypes.StringType, true)
            .add(ScoreSchema.PATIENT, DataTypes.StringType, true);

    /** Reads the input's kind, and a table's rows; a missing input is refused here, before any job starts. */
    static ScoreInput open(SparkSession spark, String input) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path in = new Path(input);
        FileSystem fs = in.getFileSystem(conf);
        if (!fs.exists(in)) throw new UserException("input " + input + " does not exist");
        Path q = fs.makeQualified(in);
        FileStatus st = fs.getFileStatus(q);
        String name = q.getName().toLowerCase(Locale.ROOT);
        // the program's CSV dialect (data.Csv, RFC 4180): quotes doubled inside a quoted field, which may span lines;
        // spaces around an unquoted field are dropped, a quoted one keeps them
        if (st.isFile() && name.endsWith(".csv"))
            return table(spark, Kind.CSV, q, spark.read().option("header", "true").option("escape", "\"").option("multiLine", "true")
                    .option("ignoreLeadingWhiteSpace", "true").option("ignoreTrailingWhiteSpace", "true").csv(q.toString()));
        if (name.endsWith(".parquet") || (st.isDirectory() && holdsParquet(fs, q)))
            return table(spark, Kind.PARQUET, q, spark.read().parquet(q.toString()));
        if (st.isDirectory()) return new ScoreInput(Kind.FOLDER, q.toString(), List.of(q.toString()), null);
        throw new UserException("input " + input + " is a file, but neither a .csv manifest nor a .parquet table; "
                + "give a folder of films, a CSV manifest or a Parquet table of paths");
    }

    private static boolean holdsParquet(FileSystem fs, Path dir) throws IOException {
        for (FileStatus f : fs.listStatus(dir))
            if (f.isFile() && f.getPath().getName().endsWith(".parquet")) return true;
        return false;
    }

    private static ScoreInput table(SparkSession spark, Kind kind, Path q, Dataset<Row> raw) throws IOException {
        List<String> cols = Arrays.asList(raw.columns());
        String pathCol = cols.contains("path") ? "path" : cols.contains("file") ? "file" : null;
        if (pathCol == null)
            throw new UserException(q + " has no 'path' or 'file' column (its columns: " + String.join(", ", cols) + ")");
        String labelCol = cols.contains("label") ? "label" : null, pidCol = cols.contains("patient_id") ? "patient_id" : null;
        Path base = kind == Kind.CSV ? q.getParent() : q;
        Dataset<Row> t = raw.map(qualify(pathCol, labelCol, pidCol, base.toUri()), Encoders.row(TABLE))
                .dropDuplicates(ScoreSchema.PATH);
        return new ScoreInput(kind, q.toString(), null, t);
    }

    /** A table row as (qualified path, label, patient id); relative paths are read against the manifest's folder. */
    private static MapFunction<Row, Row> qualify(String pathCol, String labelCol, String pidCol, URI base) {
        return r -> {
            String p = r.getAs(pathCol);
            if (p == null || p.isBlank()) p = "";
            Label l = labelCol == null ? null : Label.parse(r.getAs(labelCol));
            String label = labelCol == null ? null : l != null ? l.id() : r.getAs(labelCol);
            return RowFactory.create(resolve(base, p), label, pidCol == null ? null : r.getAs(pidCol));
        };
    }

    /** {@code p} as a qualified URI: kept when it has a scheme, on the base's file system when absolute, else under base. */
    static String resolve(URI base, String p) {
        if (p.isEmpty()) return new Path(new Path(base), "(empty path)").toString();
        Path path = new Path(p);
        if (path.toUri().getScheme() != null) return path.toString();
        if (path.isAbsolute()) return new Path(base.getScheme(), base.getAuthority(), path.toUri().getPath()).toString();
        return new Path(new Path(base), path).toString();
    }

    /**
     * The folders to list for a table's files: each file's parent, less those inside another one (a folder is listed
     * with its subfolders); folders that do not exist are left out (their files are reported as not found).
     */
    static List<String> roots(SparkSession spark, Dataset<Row> table) throws IOException {
        MapFunction<Row, String> parentOf = r -> {
            Path parent = new Path(r.getString(0)).getParent();
            return parent == null ? "" : parent.toString();
        };
        TreeSet<String> parents = new TreeSet<>(table.map(parentOf, Encoders.STRING()).distinct().collectAsList());
        parents.remove("");
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<String> out = new ArrayList<>();
        for (String p : parents) {
            boolean inside = false;
            for (Path a = new Path(p).getParent(); a != null && !inside; a = a.getParent()) inside = parents.contains(a.toString());
            Path dir = new Path(p);
            if (!inside && dir.getFileSystem(conf).exists(dir)) out.add(p);
        }
        return out;
    }
}
