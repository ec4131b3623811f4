package org.pneumoscope.spark;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Csv;
import org.pneumoscope.data.Sample;
import org.pneumoscope.pipeline.EvaluateJob;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

/**
 * What is written beside the score table, always from the table itself (so a resumed run reports on every film this
 * model scored, not only the last run's): a summary CSV of outcomes per model, and, for labelled films, evaluate's
 * metrics.json, measured by evaluate's own code.
 */
final class Report {
    private Report() {}

    /** The files written; null where not written. */
    record Written(String summary, String metrics) {}

    static Written write(SparkSession spark, String table, String hash, ScoreJob.Options o, FileSystem fs, Path outDir,
                         PrintStream out) throws IOException {
        Dataset<Row> all = spark.read().parquet(table);
        String summary = o.summary() ? summary(all, fs, outDir, out) : null;
        String metrics = metrics(all.filter(col(ScoreSchema.MODEL_HASH).equalTo(hash)), hash, o, fs, outDir, out);
        return new Written(summary, metrics);
    }

    /** summary.csv: films per model and outcome (a predicted class, or error:KIND). */
    private static String summary(Dataset<Row> all, FileSystem fs, Path outDir, PrintStream out) throws IOException {
        List<Row> rows = all.withColumn("outcome", coalesce(col(ScoreSchema.PREDICTED), concat(lit("error:"), col(ScoreSchema.ERROR_KIND))))
                .groupBy(ScoreSchema.MODEL, ScoreSchema.MODEL_HASH, "outcome").count()
                .orderBy(ScoreSchema.MODEL, ScoreSchema.MODEL_HASH, "outcome").collectAsList();
        StringBuilder csv = new StringBuilder(Csv.record("model", "model_hash", "outcome", "films"));
        for (Row r : rows) csv.append(Csv.record(r.getString(0), r.getString(1), r.getString(2), r.getLong(3)));
        Path p = new Path(outDir, "summary.csv");
        writeText(fs, p, csv.toString());
        out.println("summary of every model's outcomes: " + p);
        return p.toString();
    }

    /**
     * metrics.json of the labelled films this model scored, as {@code evaluate} writes it (the bootstrap, calibration,
     * ECE floor and shift alarm of {@link EvaluateJob}); files that could not be read count as unreadable.
     */
    private static String metrics(Dataset<Row> mine, String hash, ScoreJob.Options o, FileSystem fs, Path outDir,
                                  PrintStream out) throws IOException {
        Dataset<Row> labelled = mine.filter(col(ScoreSchema.LABEL).isin((Object[]) Label.ids()));
        long unreadable = labelled.filter(col(ScoreSchema.ERROR).isNotNull()).count();
        List<Row> ok = labelled.filter(col(ScoreSchema.ERROR).isNull())
                .select(ScoreSchema.PATH, ScoreSchema.LABEL, ScoreSchema.PATIENT, ScoreSchema.LOGITS, ScoreSchema.FEATURES)
                .orderBy(ScoreSchema.PATH).collectAsList();
        if (ok.isEmpty()) return null;
        long unlabelled = mine.filter(col(ScoreSchema.LABEL).isNotNull()).count() - labelled.count();
        if (unlabelled > 0)
            out.printf(Locale.ROOT, "%d film(s) have a label that is not bacteria, virus or normal; metrics leave them out%n", unlabelled);
        List<Sample> samples = new ArrayList<>(ok.size());
        float[][] logits = new float[ok.size()][], features = new float[ok.size()][];
        int[] labels = new int[ok.size()];
        for (int i = 0; i < ok.size(); i++) {
            Row r = ok.get(i);
            Label l = Label.parse(r.getString(1));
            samples.add(new Sample(java.nio.file.Path.of(r.getString(0)), l, r.getString(2), null));
            labels[i] = l.index();
            logits[i] = floats(r.getList(3));
            features[i] = floats(r.getList(4));
        }
        Classifier c = ModelHolder.get(o.run(), o.profile(), hash);
        boolean tta = o.tta() != null ? o.tta() : c.tta();
        boolean phantom = samples.stream().allMatch(s -> s.file().getFileName().toString().startsWith("phantom-"));
        EvaluateJob.Options eo = new EvaluateJob.Options("all", tta, false, phantom, null, null, o.bootstrapSeed());
        out.printf(Locale.ROOT, "metrics of the %d labelled film(s) this model scored:%n", samples.size());
        String json = EvaluateJob.metricsOfScored(c.model(), samples, new EvaluateJob.Scored(logits, labels, features), eo,
                (int) unreadable, out);
        Path p = new Path(outDir, "metrics.json");
        writeText(fs, p, json);
        out.println("metrics: " + p);
        return p.toString();
    }

    private static float[] floats(List<Object> l) {
        float[] v = new float[l.size()];
        for (int i = 0; i < v.length; i++) v[i] = ((Number) l.get(i)).floatValue();
        return v;
    }

    /** A small file beside the table: atomically on a local disk, else through a temporary name and a rename. */
    static void writeText(FileSystem fs, Path p, String text) throws IOException {
        Path q = fs.makeQualified(p);
        if ("file".equals(q.toUri().getScheme())) {
            AtomicFiles.writeString(java.nio.file.Path.of(q.toUri()), text);
            return;
        }
        Path tmp = new Path(q.getParent(), "." + q.getName() + ".tmp");
        try (FSDataOutputStream s = fs.create(tmp, true)) {
            s.write(text.getBytes(StandardCharsets.UTF_8));
        }
        if (fs.exists(q)) fs.delete(q, false);
        if (!fs.rename(tmp, q)) throw new IOException("could not rename " + tmp + " to " + q);
    }
}
