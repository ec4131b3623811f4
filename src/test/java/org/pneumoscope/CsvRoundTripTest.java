package org.pneumoscope;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.api.TinyRun;
import org.pneumoscope.cli.CliRun;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Csv;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Manifest;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.TestImages;
import org.pneumoscope.eval.PredictionsCsv;
import org.pneumoscope.train.Provenance;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.Trainer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every CSV the program writes reads back as written, whatever the names in it hold: commas, quotes, line breaks,
 * separators of other dialects, spaces at either end. The writers of results tables and robustness sweeps are checked
 * beside their packages (ResultTablesCsvTest, RobustnessSweepCsvTest) with the same names.
 */
public class CsvRoundTripTest {
    /**
     * File names that a hospital export or a user can make (Linux allows anything but '/' and NUL; non-ASCII names
     * need a UTF-8 locale, which the tests do not assume).
     */
    public static final List<String> AWKWARD = List.of("plain.png", "comma, name.png", "quote \"q\".png", "\"quoted\".png",
            "line\nbreak.png", "crlf\r\nbreak.png", " spaced .png", "semi;colon.png", "tab\tname.png", "#hash.png",
            "=sum(A1).png", "ends in a space.png ", "back\\slash.png");
    /** Patient ids and reasons with the same troubles (ids are read trimmed, so none has spaces at its ends). */
    public static final List<String> AWKWARD_TEXT = List.of("p1", "p,2", "p \"3\"", "p\n4", "p\r\n5", "p;6", "p\t7", "#p8",
            "\"p9\"", "p10,\"x\"\ny", "p11 ü", "p12\\", "p13");

    @TempDir Path dir;

    @Test
    void recordsAndFieldsReadBackAsWritten() {
        List<String> fields = new ArrayList<>(AWKWARD_TEXT);
        fields.addAll(List.of("", " both ends ", "last"));
        String text = Csv.record(fields) + Csv.record("", "") + Csv.record(fields.toArray());
        List<Csv.Row> rows = Csv.parse(text);
        assertEquals(List.of(fields, List.of("", ""), fields), rows.stream().map(Csv.Row::fields).toList());
        assertEquals(1, rows.get(0).line());
        assertEquals(1 + text.substring(0, text.indexOf("\"\",\n")).chars().filter(c -> c == '\n').count(), rows.get(1).line(),
                "a row's line counts the line breaks inside the quoted fields before it");
        StringBuilder piecewise = new StringBuilder();
        for (String f : fields) piecewise.append(piecewise.length() == 0 ? "" : ",").append(Csv.field(f));
        assertEquals(List.of(fields), Csv.parse(piecewise + "\n").stream().map(Csv.Row::fields).toList());
    }

    @Test
    void manifestsReadBackWithTheirImagesLabelsPatientsAndSplits() throws Exception {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < AWKWARD.size(); i++) {
            // half in the manifest's folder, so that the name starts the field
            Path folder = i % 2 == 0 ? dir.resolve("data") : dir.resolve("data").resolve("sub dir, \"x\"");
            Path img = TestImages.write(folder.resolve(AWKWARD.get(i)), TestImages.jpeg(TestImages.chest(16, 16, i)));
            samples.add(new Sample(img, Label.of(i % 3), AWKWARD_TEXT.get(i), i % 2 == 0 ? "train" : null));
        }
        // beside the images (relative paths), and elsewhere (absolute paths)
        for (Path csv : List.of(dir.resolve("data/manifest.csv"), dir.resolve("elsewhere/split.csv"))) {
            Manifest.write(csv, samples, csv.getParent());
            DatasetScan back = DatasetReader.read(csv);
            assertEquals(List.of(), back.problems(), csv.toString());
            assertEquals(new HashSet<>(samples), new HashSet<>(back.samples()), csv.toString());
        }
        // a run's split.csv: relative to the images' folder, named on its first line
        Path split = dir.resolve("run/split.csv");
        Manifest.write(split, samples, Manifest.commonRoot(samples));
        assertTrue(Files.readString(split).startsWith(Manifest.ROOT_DIRECTIVE));
        assertEquals(new HashSet<>(samples), new HashSet<>(DatasetReader.read(split).samples()));
    }

    @Test
    void predictionsReadBackWithFilesAndPatients() throws Exception {
        int n = AWKWARD.size();
        String[] files = AWKWARD.toArray(new String[0]), pids = AWKWARD_TEXT.toArray(new String[0]);
        pids[n - 1] = null;
        int[] labels = new int[n];
        float[][] p = new float[n][];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            p[i] = new float[] {0.25f, 0.25f, 0.5f};
            p[i][i % 3] += 0.125f;
            p[i][2 - i % 3] -= 0.125f;
        }
        Path csv = dir.resolve("predictions.csv");
        PredictionsCsv.write(csv, files, labels, p, pids);
        PredictionsCsv.Predictions back = PredictionsCsv.read(csv);
        assertArrayEquals(files, back.files());
        assertArrayEquals(pids, back.patientIds());
        assertArrayEquals(labels, back.labels());
        for (int i = 0; i < n; i++) assertArrayEquals(p[i], back.probabilities()[i], 1e-6f);
    }

    @Test
    void skippedListsReadBackWithFilesAndReasons() throws Exception {
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < AWKWARD.size(); i++) problems.add(new Problem(dir.resolve(AWKWARD.get(i)), AWKWARD_TEXT.get(i)));
        problems.add(new Problem(null, "no file"));
        Path csv = dir.resolve(Problem.SKIPPED_CSV);
        Problem.writeCsv(csv, problems);
        List<Csv.Row> rows = Csv.read(csv);
        assertEquals(List.of("file", "reason"), rows.get(0).fields());
        List<List<String>> expected = new ArrayList<>();
        for (Problem pr : problems) expected.add(List.of(pr.file() == null ? "" : pr.file().toString(), pr.reason()));
        assertEquals(expected, rows.subList(1, rows.size()).stream().map(Csv.Row::fields).toList());
    }

    @Test
    void trainingHistoryReadsBackAsNumbers() throws Exception {
        RunFolder run = new RunFolder(dir.resolve("run"));
        Files.createDirectories(run.dir());
        List<Trainer.EpochStats> history = List.of(
                new Trainer.EpochStats(1, 1.25, 0.5, 1.5, 0.375, new double[] {0.25, 0.5, 0.75}, 1e-3, 12.5, 30.5),
                new Trainer.EpochStats(2, 0.75, 0.625, Double.NaN, 0.5, new double[] {0.5, 0.5, 1}, 5e-4, 13.25, 61.5));
        run.writeHistory(history, new Provenance("0", "c", false, "djl", "torch", "cfg", "manifest", 2));
        List<Csv.Row> rows = Csv.read(run.metricsCsv());
        assertEquals(List.of("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "val_recall_bacteria", "val_recall_virus",
                "val_recall_normal", "lr", "img_per_s", "elapsed_s"), rows.get(0).fields());
        assertEquals(3, rows.size());
        for (int i = 0; i < 2; i++) {
            Trainer.EpochStats e = history.get(i);
            double[] got = rows.get(i + 1).fields().stream().mapToDouble(Double::parseDouble).toArray();
            double[] want = {e.epoch(), e.trainLoss(), e.trainAcc(), e.valLoss(), e.valAcc(), e.valRecall()[0], e.valRecall()[1],
                    e.valRecall()[2], e.lr(), e.imgPerSec(), e.seconds()};
            assertArrayEquals(want, got, 1e-9, Arrays.toString(got));
        }
    }

    @Test
    void predictOutputReadsBackWithEveryFilmName() throws Exception {
        Path run = TinyRun.make(dir.resolve("run"), Map.of(), true);
        Path films = dir.resolve("films");
        Set<String> names = new HashSet<>();
        for (int i = 0; i < AWKWARD.size(); i++)
            names.add(TestImages.write(films.resolve(AWKWARD.get(i)), TestImages.png(TestImages.chest(64, 64, i))).toString());
        Path out = dir.resolve("predict.csv");
        CliRun r = CliRun.of("predict", "--run", run.toString(), "--out", out.toString(), films.toString());
        assertEquals(0, r.code(), r.all());
        List<Csv.Row> rows = Csv.read(out);
        assertEquals(List.of("file", "predicted_label", "p_bacteria", "p_virus", "p_normal"), rows.get(0).fields());
        Set<String> got = new HashSet<>();
        for (Csv.Row row : rows.subList(1, rows.size())) {
            assertEquals(5, row.fields().size(), row.toString());
            assertNotNull(Label.parse(row.get(1)), row.toString());
            got.add(row.get(0));
        }
        assertEquals(names, got);
    }
}
