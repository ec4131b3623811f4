package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.synth.PhantomGenerator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** calibration: bias-corrected in training (with its fallback) and the calibrate command on a finished run. */
class CalibrateCommandTest {
    @TempDir static Path dir;
    static Path data, run, other;
    static CliRun trained;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void trainTinyRun() throws Exception {
        data = dir.resolve("phantoms");
        new PhantomGenerator().generate(data, 120, 64, 8, 2);
        // labelled films no run here trained on, what calibrate may use: 50 bacterial, 20 viral and 50 normal films, a
        // class mix unlike the training data's, so that the class offsets have something to correct
        Path films = dir.resolve("other");
        new PhantomGenerator().generate(films, 150, 64, 9, 2);
        StringBuilder csv = new StringBuilder();
        int virus = 0;
        for (String line : Files.readAllLines(films.resolve("manifest.csv")))
            if (!line.contains(",virus,") || virus++ < 20) csv.append(line).append('\n');
        other = films.resolve("calibration.csv");
        Files.writeString(other, csv.toString());
        run = dir.resolve("run");
        trained = CliRun.of("train", "--data", data.toString(), "--out", run.toString(), "--preset", "demo",
                "--size", "64", "--epochs", "1", "--set", "max_minutes=0", "--set", "calibration=bias-corrected");
        assertEquals(0, trained.code(), trained.out() + trained.err());
    }

    static double nll(String out, String row) {
        Matcher m = Pattern.compile(row + ":.*NLL ([0-9.]+), ECE ([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aSmallValidationSplitFallsBackToTemperatureAndSaysSo() throws Exception {
        // 120 phantoms leave about four of each class for validation: too few for class offsets
        assertTrue(trained.all().contains("class offsets need 10 of each class); fitting the temperature alone"), trained.all());
        JsonNode card = JSON.readTree(run.resolve("model.json").toFile());
        assertEquals("temperature", card.path("calibration_method").asText());
        assertTrue(card.path("class_bias").isMissingNode());
        assertEquals("bias-corrected", card.path("config").path("calibration").asText(), "the configured method is kept in the config");
    }

    @Test
    void recalibratesOnAllTheImagesKeepsTheOldOneAndEvaluateUsesTheNew() throws Exception {
        Path fresh = dir.resolve("recal");
        CliRun copy = CliRun.of("train", "--data", data.toString(), "--out", fresh.toString(), "--preset", "demo",
                "--size", "64", "--epochs", "1", "--set", "max_minutes=0");
        assertEquals(0, copy.code(), copy.all());
        byte[] before = Files.readAllBytes(fresh.resolve("model.json"));
        double oldT = JSON.readTree(before).path("temperature").asDouble();

        CliRun dry = CliRun.of("calibrate", "--run", fresh.toString(), "--data", other.toString(), "--dry-run");
        assertEquals(0, dry.code(), dry.all());
        assertArrayEquals(before, Files.readAllBytes(fresh.resolve("model.json")), "--dry-run leaves model.json alone");
        assertTrue(dry.out().contains("120 images"), dry.out());

        CliRun r = CliRun.of("calibrate", "--run", fresh.toString(), "--data", other.toString());
        assertEquals(0, r.code(), r.all());
        // maximum likelihood over a family holding the stored calibration: never worse on the same images
        assertTrue(nll(r.out(), "fitted") <= nll(r.out(), "stored") + 1e-4, r.out());
        JsonNode card = JSON.readTree(fresh.resolve("model.json").toFile());
        assertEquals("bias-corrected", card.path("calibration_method").asText());
        JsonNode b = card.path("class_bias");
        assertEquals(3, b.size(), r.out());
        assertEquals(0, b.get(0).asDouble() + b.get(1).asDouble() + b.get(2).asDouble(), 1e-9);
        JsonNode prev = card.path("previous_calibrations");
        assertEquals(1, prev.size());
        assertEquals("temperature", prev.get(0).path("calibration_method").asText());
        assertEquals(oldT, prev.get(0).path("temperature").asDouble(), 0);
        assertEquals(120, prev.get(0).path("replaced_with_images").asInt());
        assertEquals(120, card.path("calibration").path("n").asInt());

        try (TrainedModel m = TrainedModel.load(fresh)) {
            Calibration c = m.calibration();
            assertEquals(card.path("temperature").asDouble(), c.temperature(), 0);
            for (int k = 0; k < 3; k++) assertEquals(b.get(k).asDouble(), c.bias()[k], 0);
        }
        Path ev = dir.resolve("eval");
        CliRun e = CliRun.of("evaluate", "--run", fresh.toString(), "--data", data.toString(), "--out", ev.toString(), "--no-gallery");
        assertEquals(0, e.code(), e.all());
        JsonNode metrics = JSON.readTree(ev.resolve("metrics.json").toFile());
        assertEquals("bias-corrected", metrics.path("calibration_method").asText());
        for (int k = 0; k < 3; k++) assertEquals(b.get(k).asDouble(), metrics.path("class_bias").get(k).asDouble(), 0);
        assertTrue(e.out().contains("class offsets bacteria "), e.out());
        String html = Files.readString(ev.resolve("report.html"));
        assertTrue(html.contains("Offset added to the virus logit") && html.contains("Bias-corrected temperature scaling"), "report explains the offsets");

        // a second re-fit keeps both earlier calibrations
        CliRun again = CliRun.of("calibrate", "--run", fresh.toString(), "--data", other.toString(), "--method", "temperature");
        assertEquals(0, again.code(), again.all());
        JsonNode card2 = JSON.readTree(fresh.resolve("model.json").toFile());
        assertEquals(2, card2.path("previous_calibrations").size());
        assertEquals("bias-corrected", card2.path("previous_calibrations").get(1).path("calibration_method").asText());
        assertEquals("temperature", card2.path("calibration_method").asText());
        assertTrue(card2.path("class_bias").isMissingNode(), "temperature alone carries no offsets");
    }

    /** The run's test films, or a dataset holding its training and test films, are refused; evaluate on them warns. */
    @Test
    void refusesToCalibrateOnTheRunsTestOrTrainingFilmsAndEvaluateWarnsOnThem() throws Exception {
        byte[] card = Files.readAllBytes(run.resolve("model.json"));
        CliRun test = CliRun.of("calibrate", "--run", run.toString(), "--split", "test", "--dry-run");
        assertEquals(1, test.code(), test.all());
        assertTrue(test.err().contains("refusing to calibrate") && test.err().contains("in its test split"), test.all());
        CliRun all = CliRun.of("calibrate", "--run", run.toString(), "--data", data.toString());
        assertEquals(1, all.code(), all.all());
        assertTrue(all.err().contains("of its 120 films are in the run's training split"), all.all());
        assertArrayEquals(card, Files.readAllBytes(run.resolve("model.json")), "nothing was written");

        Path ev = dir.resolve("eval-own");
        CliRun e = CliRun.of("evaluate", "--run", run.toString(), "--data", data.toString(), "--out", ev.toString(), "--no-gallery");
        assertEquals(0, e.code(), e.all());
        assertTrue(e.out().contains("!!! WARNING: these figures are optimistic"), e.out());
        JsonNode overlap = JSON.readTree(ev.resolve("metrics.json").toFile()).path("training_overlap");
        assertTrue(overlap.path("images_in_run_split").path("train").asInt() > 0, overlap.toString());
        assertTrue(overlap.path("warning").asText().contains("training films"), overlap.toString());
        assertTrue(Files.readString(ev.resolve("report.html")).contains("id=\"trained-on\""), "a banner on top of the report");

        Path evTest = dir.resolve("eval-test");
        CliRun t = CliRun.of("evaluate", "--run", run.toString(), "--out", evTest.toString(), "--no-gallery");
        assertEquals(0, t.code(), t.all());
        assertFalse(t.out().contains("WARNING: these figures"), t.out());
        JsonNode clean = JSON.readTree(evTest.resolve("metrics.json").toFile()).path("training_overlap");
        assertEquals(0, clean.path("images_in_run_split").path("train").asInt());
        assertTrue(clean.path("checked").asBoolean() && clean.path("warning").isMissingNode(), clean.toString());
    }

    @Test
    void evaluateUnseenOnlyScoresJustTheFilmsTheRunNeverLearntFromOrChoseBy() throws Exception {
        Path ev = dir.resolve("eval-unseen");
        CliRun e = CliRun.of("evaluate", "--run", run.toString(), "--data", data.toString(), "--out", ev.toString(),
                "--no-gallery", "--unseen-only");
        assertEquals(0, e.code(), e.all());
        long testFilms = Files.readAllLines(run.resolve("split.csv")).stream().filter(l -> l.endsWith(",test")).count();
        assertTrue(testFilms > 0 && testFilms < 120, testFilms + " test films");
        assertTrue(e.out().contains("--unseen-only: " + (120 - testFilms) + " of 120 films left out"), e.out());
        assertFalse(e.out().contains("WARNING: these figures"), e.out());
        JsonNode m = JSON.readTree(ev.resolve("metrics.json").toFile());
        assertEquals(0, m.path("training_overlap").path("images_of_run_patients").path("train").asInt(), m.toString());
        assertEquals(testFilms, m.path("training_overlap").path("images_in_run_split").path("test").asInt(), m.toString());

        // only the run's own training films: nothing is left to score, and it says so
        Path trainOnly = dir.resolve("train-only.csv");
        List<String> rows = new java.util.ArrayList<>();
        for (String l : Files.readAllLines(run.resolve("split.csv"))) if (!l.endsWith(",test") && !l.endsWith(",val")) rows.add(l);
        Files.write(trainOnly, rows);
        CliRun none = CliRun.of("evaluate", "--run", run.toString(), "--data", trainOnly.toString(), "--out",
                dir.resolve("eval-none").toString(), "--no-gallery", "--unseen-only");
        assertEquals(1, none.code(), none.all());
        assertTrue(none.err().contains("was seen by the run"), none.all());
    }

    @Test
    void badRequestsSayWhatIsWrong() {
        CliRun r = CliRun.of("calibrate", "--run", run.toString(), "--method", "platt");
        assertEquals(2, r.code());
        assertTrue(r.all().contains("--method must be temperature, bias-corrected or none, not platt"), r.all());
        CliRun t = CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("x").toString(), "--set", "calibration=isotonic");
        assertEquals(2, t.code());
        assertTrue(t.all().contains("calibration must be temperature, bias-corrected or none, not isotonic"), t.all());
    }
}
