package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.Sample;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.eval.ShiftReference;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.synth.ImageFiles;
import org.pneumoscope.synth.PhantomGenerator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The shift alarm end to end on phantoms: training writes the validation films' reference; evaluate and predict stay
 * quiet on fresh phantoms from the same generator and raise the alarm on the same films re-rendered as by another
 * detector (darker mid-tones, softer, noisier).
 */
class ShiftAlarmTest {
    static final String SHIFT = "gamma=2,blur=1.5,noise=0.05";
    @TempDir static Path dir;
    static Path run, fresh, plain, shifted;

    @BeforeAll
    static void trainAndRender() throws Exception {
        Path data = dir.resolve("phantoms");
        new PhantomGenerator().generate(data, 150, 64, 21, 2);
        run = dir.resolve("run");
        // a large validation split: the reference holds its films
        CliRun r = CliRun.of("train", "--data", data.toString(), "--out", run.toString(), "--preset", "demo",
                "--size", "64", "--epochs", "1", "--set", "max_minutes=0", "--set", "split=2:2:1");
        assertEquals(0, r.code(), r.all());
        fresh = dir.resolve("fresh");
        new PhantomGenerator().generate(fresh, 60, 64, 22, 2);
        // folders of films alone (the generator's folder also holds lesion masks), as they are and re-rendered
        plain = dir.resolve("plain");
        shifted = dir.resolve("shifted");
        AcquisitionShift s = AcquisitionShift.parse(SHIFT);
        for (Path f : pngs(fresh)) {
            GreyImage g = ImageFiles.readGrey(f);
            ImageFiles.writePng(g, plain.resolve(f.getFileName()));
            ImageFiles.writePng(s.apply(g), shifted.resolve(f.getFileName()));
        }
    }

    static List<Path> pngs(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith("phantom-") && !p.startsWith(root.resolve("masks")))
                    .sorted().toList();
        }
    }

    static JsonNode json(Path file) throws Exception {
        return new ObjectMapper().readTree(file.toFile());
    }

    @Test
    void trainingWritesTheValidationFilmsReference() throws Exception {
        List<Sample> val = DatasetReader.read(run.resolve("split.csv")).inSplit("val");
        try (TrainedModel m = TrainedModel.load(run)) {
            ShiftReference ref = m.shiftReference().orElseThrow();
            assertEquals(val.size(), ref.films());
            List<GreyImage> imgs = new ArrayList<>();
            for (Sample s : val) imgs.add(EvaluateJob.load(s.file(), m));
            float[][] f = m.scores(imgs, m.config().tta()).features();
            assertEquals(f[0].length, ref.channels());
            double[] mean = ShiftReference.of(f, m.probabilities(imgs, false), false).channelMean();
            assertArrayEquals(mean, ref.channelMean(), 1e-4, "the reference is of the validation films as inference sees them");
            assertEquals(1.0, ref.classMix()[0] + ref.classMix()[1] + ref.classMix()[2], 1e-9);
            int[] want = val.stream().mapToInt(x -> x.label().index()).sorted().toArray();
            assertArrayEquals(want, java.util.Arrays.stream(ref.validation().labels()).sorted().toArray(),
                    "the validation films' labels go with the reference, for the accuracy estimate");
            assertEquals(val.size(), ref.validation().logits().length);
        }
        assertTrue(Files.isRegularFile(run.resolve(ShiftReference.FEATURES_FILE)));
    }

    @Test
    void evaluateStaysQuietOnFreshPhantomsAndAlarmsOnShiftedOnes() throws Exception {
        Path quiet = dir.resolve("eval"), loud = dir.resolve("eval-shifted");
        CliRun a = CliRun.of("evaluate", "--run", run.toString(), "--data", fresh.toString(), "--out", quiet.toString(), "--no-gallery");
        CliRun b = CliRun.of("evaluate", "--run", run.toString(), "--data", fresh.toString(), "--out", loud.toString(), "--no-gallery",
                "--shift", SHIFT);
        assertEquals(0, a.code(), a.all());
        assertEquals(0, b.code(), b.all());
        JsonNode qa = json(quiet.resolve("metrics.json")).path("shift_alarm"), la = json(loud.resolve("metrics.json")).path("shift_alarm");
        assertFalse(qa.path("alarm").asBoolean(), qa.toString());
        assertTrue(la.path("alarm").asBoolean(), la.toString());
        assertEquals(60, la.path("window").asInt());
        assertEquals(DriftScore.ALARM, la.path("message").asText());
        assertTrue(qa.path("score").asDouble() < qa.path("threshold").asDouble());
        assertTrue(la.path("score").asDouble() > 2 * la.path("threshold").asDouble(), la.toString());
        assertEquals(AcquisitionShift.parse(SHIFT).describe(), json(loud.resolve("metrics.json")).path("shift").asText(),
                "the stress test keeps its key");
        assertTrue(a.out().contains("shift check on 60 films: score ") && a.out().contains("no shift detected"), a.out());
        assertTrue(b.out().contains("ALARM: " + DriftScore.ALARM), b.out());
        String qh = Files.readString(quiet.resolve("report.html")), lh = Files.readString(loud.resolve("report.html"));
        assertTrue(lh.contains("id=\"shift-alarm\"") && lh.contains("These films differ from the training films"), "banner");
        assertFalse(qh.contains("id=\"shift-alarm\""));
        assertTrue(qh.contains("id=\"shift-check\""));
    }

    @Test
    void predictOnAFolderChecksAfterThePredictions() throws Exception {
        Path csv = dir.resolve("shifted.csv");
        CliRun loud = CliRun.of("predict", "--run", run.toString(), shifted.toString(), "--out", csv.toString());
        assertEquals(0, loud.code(), loud.all());
        assertTrue(loud.out().contains("shift check on 60 films") && loud.out().contains("ALARM: " + DriftScore.ALARM), loud.out());
        // predictions on stdout: the check goes to stderr so the CSV stays a CSV
        CliRun quiet = CliRun.of("predict", "--run", run.toString(), plain.toString());
        assertEquals(0, quiet.code(), quiet.all());
        assertFalse(quiet.out().contains("shift check"), quiet.out());
        assertTrue(quiet.err().contains("shift check on 60 films") && quiet.err().contains("no shift detected"), quiet.err());
        List<Path> few = pngs(shifted).subList(0, DriftScore.MIN_WINDOW - 1);
        List<String> args = new ArrayList<>(List.of("predict", "--run", run.toString()));
        few.forEach(p -> args.add(p.toString()));
        CliRun small = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, small.code(), small.all());
        assertFalse(small.all().contains("shift check"), "too few files for a check: " + small.all());
    }

    @Test
    void aRunWithoutAReferenceSaysSoOnceAndGoesOn() throws Exception {
        Path old = dir.resolve("old-run");
        Files.createDirectories(old);
        for (String f : List.of("model.json", "model.params", "config.yaml", "split.csv", "metrics.json"))
            Files.copy(run.resolve(f), old.resolve(f));
        CliRun r = CliRun.of("evaluate", "--run", old.toString(), "--data", fresh.toString(), "--out", dir.resolve("eval-old").toString(),
                "--no-gallery");
        assertEquals(0, r.code(), r.all());
        assertEquals(1, r.out().split(DriftScore.NO_REFERENCE, -1).length - 1, r.out());
        assertEquals(DriftScore.NO_REFERENCE, json(dir.resolve("eval-old/metrics.json")).path("shift_alarm").path("message").asText());
    }

    /**
     * On the validation films themselves the label-free estimate is their measured accuracy; a reference written before
     * the estimate existed gives none, and calibrating on the run's own validation films adds their scores to it,
     * features untouched; a dry run, and a run adapted to another site's films, are left as they were.
     */
    @Test
    void evaluateEstimatesAccuracyWithoutLabelsAndCalibrateGivesAnOlderRunTheEstimate() throws Exception {
        Path own = dir.resolve("eval-val");
        CliRun a = CliRun.of("evaluate", "--run", run.toString(), "--split", "val", "--out", own.toString(), "--no-gallery");
        assertEquals(0, a.code(), a.all());
        JsonNode m = json(own.resolve("metrics.json")), sa = m.path("shift_alarm");
        double acc = m.path("accuracy").asDouble(Double.NaN);
        assertEquals(acc, sa.path("validation_accuracy").asDouble(), 1e-9, sa.toString());
        int n = sa.path("window").asInt();
        assertEquals(acc, sa.path("estimated_accuracy").asDouble(), 2.0 / n + 1e-9, "on its own validation films: " + sa);
        assertTrue(a.out().contains("label-free accuracy estimate "), a.out());
        assertTrue(Files.readString(own.resolve("report.html")).contains("abel-free accuracy estimate"));

        Path older = dir.resolve("older-run");
        Files.createDirectories(older);
        try (Stream<Path> files = Files.list(run)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) Files.copy(f, older.resolve(f.getFileName()));
        }
        ShiftReference ref = ShiftReference.read(older).orElseThrow();
        new ShiftReference(ref.classMix(), ref.confidenceHistogram(), ref.meanConfidence(), ref.channelMean(), ref.channelSd(),
                ref.features(), ref.tta(), null).write(older);
        CliRun b = CliRun.of("evaluate", "--run", older.toString(), "--data", fresh.toString(), "--out", dir.resolve("eval-older").toString(),
                "--no-gallery");
        assertEquals(0, b.code(), b.all());
        assertTrue(json(dir.resolve("eval-older/metrics.json")).path("shift_alarm").path("estimated_accuracy").isNull());
        assertFalse(b.out().contains("accuracy estimate"), b.out());

        byte[] before = Files.readAllBytes(older.resolve(ShiftReference.JSON_FILE));
        CliRun dry = CliRun.of("calibrate", "--run", older.toString(), "--dry-run");
        assertEquals(0, dry.code(), dry.all());
        assertArrayEquals(before, Files.readAllBytes(older.resolve(ShiftReference.JSON_FILE)), "a dry run writes nothing");
        Path adapted = dir.resolve("adapted-run");
        Files.createDirectories(adapted);
        try (Stream<Path> files = Files.list(older)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) Files.copy(f, adapted.resolve(f.getFileName()));
        }
        Files.writeString(adapted.resolve(org.pneumoscope.pipeline.AdaptJob.ADAPTATION_CARD), "{}");
        CliRun ca = CliRun.of("calibrate", "--run", adapted.toString());
        assertEquals(0, ca.code(), ca.all());
        assertTrue(ca.out().contains("gains no validation scores (its films are the adapted site's"), ca.out());
        assertArrayEquals(before, Files.readAllBytes(adapted.resolve(ShiftReference.JSON_FILE)), "another site's reference stays");

        CliRun c = CliRun.of("calibrate", "--run", older.toString());
        assertEquals(0, c.code(), c.all());
        assertTrue(c.out().contains("the shift reference gained these validation films' logits and labels"), c.out());
        ShiftReference gained = ShiftReference.read(older).orElseThrow();
        assertEquals(ref.films(), gained.validation().labels().length);
        assertArrayEquals(ref.channelMean(), gained.channelMean(), 0, "the features stay as training wrote them");
        assertArrayEquals(java.util.Arrays.stream(ref.validation().labels()).sorted().toArray(),
                java.util.Arrays.stream(gained.validation().labels()).sorted().toArray(), "the same films");
        CliRun d = CliRun.of("evaluate", "--run", older.toString(), "--data", fresh.toString(), "--out", dir.resolve("eval-older2").toString(),
                "--no-gallery");
        assertEquals(0, d.code(), d.all());
        double e = json(dir.resolve("eval-older2/metrics.json")).path("shift_alarm").path("estimated_accuracy").asDouble(-1);
        assertTrue(e >= 0 && e <= 1, "estimate after calibrate: " + e);
    }
}
