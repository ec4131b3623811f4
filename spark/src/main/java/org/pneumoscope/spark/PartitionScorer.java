package org.pneumoscope.spark;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.Film;
import org.pneumoscope.api.Prediction;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.pipeline.ModelInfo;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Scores one partition of (path, length, content) rows with the JVM's model, {@link Classifier#BATCH} films per forward
 * pass, and gives one row of {@link ScoreSchema#SCHEMA} per input row: a file that does not decode (or that crashes the
 * decoder) becomes a row with its error, never a failed task. Labels are joined in afterwards.
 */
final class PartitionScorer implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    /** What a model writes beside every score, so a table that holds several models' scores stays readable. */
    record Stamp(String model, String hash, String calibration, boolean tta) implements java.io.Serializable {
        /** The run folder's name and the network as the server names it; the calibration as evaluate prints it. */
        static Stamp of(Classifier c, String run, String hash) {
            String name = java.nio.file.Path.of(run).toAbsolutePath().normalize().getFileName() + " ("
                    + ModelInfo.of(c.model()).summary().get("name") + (c.profile() == null ? "" : ", profile " + c.profile()) + ")";
            var cal = c.model().calibration();
            return new Stamp(name, hash, cal.method() + ": " + cal.describe(List.of(Label.ids())), c.tta());
        }
    }

    private final String run, profile;
    private final Stamp stamp;
    private final int threads;

    /** {@code stamp}: the driver's description of the model, whose hash every executor checks its own copy against. */
    PartitionScorer(String run, String profile, Stamp stamp, int threads) {
        this.run = run;
        this.profile = profile;
        this.stamp = stamp;
        this.threads = threads;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> in) throws Exception {
        Classifier loaded = ModelHolder.get(run, profile, stamp.hash());
        Torch.threads(threads);
        Classifier c = loaded.tta() == stamp.tta() ? loaded : loaded.withTta(stamp.tta());
        Deque<Row> ready = new ArrayDeque<>();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                if (ready.isEmpty() && in.hasNext()) {
                    List<Row> batch = new ArrayList<>(Classifier.BATCH);
                    while (in.hasNext() && batch.size() < Classifier.BATCH) batch.add(in.next());
                    ready.addAll(score(c, stamp, batch));
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                return ready.poll();
            }
        };
    }

    static List<Row> score(Classifier c, Stamp stamp, List<Row> batch) {
        Row[] out = new Row[batch.size()];
        String[] sha = new String[batch.size()];
        List<Film> films = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            Row r = batch.get(i);
            String path = r.getString(0);
            byte[] bytes = r.getAs(2);
            sha[i] = sha256(bytes);
            try {
                ImageDecoder.checkFileSize(path, bytes.length);
                films.add(Film.of(bytes, path));
                at.add(i);
            } catch (DecodeException e) {
                out[i] = error(path, sha[i], (long) bytes.length, stamp, e.kind().name(), e.reason());
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                // a file that breaks the decoder in a way it does not foresee costs its own row, not the task
                out[i] = error(path, sha[i], (long) bytes.length, stamp, "DECODER_FAILURE",
                        "the decoder failed: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            }
        }
        List<Prediction> ps = c.predict(films);
        for (int j = 0; j < ps.size(); j++) {
            int i = at.get(j);
            Row r = batch.get(i);
            Prediction p = ps.get(j);
            float[] q = p.probabilities();
            out[i] = RowFactory.create(r.getString(0), sha[i], (long) ((byte[]) r.getAs(2)).length, null, null,
                    p.label().id(), q[0], q[1], q[2], boxed(p.logits()), boxed(p.features()), stamp.calibration(),
                    stamp.tta(), stamp.model(), stamp.hash(), null, null);
        }
        return List.of(out);
    }

    /** A row for a file that was not scored; {@code sha} and {@code size} are null when it could not be read. */
    static Row error(String path, String sha, Long size, Stamp stamp, String kind, String reason) {
        return RowFactory.create(path, sha, size, null, null, null, null, null, null, null, null,
                stamp == null ? null : stamp.calibration(), stamp == null ? null : stamp.tta(),
                stamp == null ? null : stamp.model(), stamp == null ? null : stamp.hash(), kind, reason);
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(ModelHolder.sha256().digest(bytes));
    }

    /** An array column's value as Spark's row encoder takes it. */
    private static Float[] boxed(float[] v) {
        if (v == null) return null;
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) b[i] = v[i];
        return b;
    }
}
