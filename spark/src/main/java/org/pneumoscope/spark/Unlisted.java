package org.pneumoscope.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The files Spark's file sources never give a row: empty ones (no split to read) and those under a name starting with
 * '_' (Spark keeps such names for its own metadata). Found by walking the roots once on the driver, so that they too
 * get a row with a reason instead of vanishing.
 */
final class Unlisted {
    private Unlisted() {}

    /** Why a file under a '_' name is not scored. */
    static final String UNDERSCORE = "not read: Spark's file sources skip names starting with '_' (rename the file or its folder)";

    /** (path, length, note) rows: note is {@link #UNDERSCORE} for those, null for the empty files. */
    static List<Row> find(Configuration conf, List<String> roots) throws IOException {
        List<Row> out = new ArrayList<>();
        for (String root : roots) {
            Path r = new Path(root);
            FileSystem fs = r.getFileSystem(conf);
            Deque<Path> dirs = new ArrayDeque<>(List.of(r));
            while (!dirs.isEmpty()) {
                Path d = dirs.pop();
                for (FileStatus f : fs.listStatus(d)) {
                    String name = f.getPath().getName();
                    if (name.startsWith(".")) continue; // hidden, as predict leaves them out too
                    if (f.isDirectory()) {
                        if (name.startsWith("_")) underscored(fs, f.getPath(), out);
                        else dirs.push(f.getPath());
                    } else if (name.startsWith("_")) {
                        out.add(RowFactory.create(f.getPath().toString(), f.getLen(), UNDERSCORE));
                    } else if (f.getLen() == 0) {
                        out.add(RowFactory.create(f.getPath().toString(), 0L, null));
                    }
                }
            }
        }
        return out;
    }

    private static void underscored(FileSystem fs, Path dir, List<Row> out) throws IOException {
        var it = fs.listFiles(dir, true);
        while (it.hasNext()) {
            FileStatus f = it.next();
            out.add(RowFactory.create(f.getPath().toString(), f.getLen(), UNDERSCORE));
        }
    }
}
