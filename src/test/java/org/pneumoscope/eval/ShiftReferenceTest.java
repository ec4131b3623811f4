package org.pneumoscope.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.UserException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class ShiftReferenceTest {
    @TempDir Path dir;

    static ShiftReference sample(int n) {
        SplittableRandom r = new SplittableRandom(1);
        return ShiftReference.of(DriftScoreTest.films(r, n, 0), DriftScoreTest.probabilities(r, n), true);
    }

    @Test
    void statisticsOfTheFilms() {
        float[][] f = {{1, 10}, {3, 10}, {5, 10}};
        float[][] p = {{0.95f, 0.03f, 0.02f}, {0.34f, 0.33f, 0.33f}, {0f, 0f, 1f}};
        ShiftReference r = ShiftReference.of(f, p, false);
        assertArrayEquals(new double[] {3, 10}, r.channelMean(), 1e-9);
        assertArrayEquals(new double[] {2, 0}, r.channelSd(), 1e-9, "sample SD: sqrt((4 + 0 + 4) / 2)");
        assertArrayEquals(new double[] {2 / 3.0, 0, 1 / 3.0}, r.classMix(), 1e-9);
        assertArrayEquals(new int[] {0, 0, 0, 1, 0, 0, 0, 0, 0, 2}, r.confidenceHistogram(), "0.34 in bin 3; 0.95 and 1.0 in the last");
        assertEquals((0.95 + 0.34 + 1.0) / 3, r.meanConfidence(), 1e-6);
        assertEquals(3, r.films());
        assertEquals(2, r.channels());
    }

    @Test
    void writtenAndReadBack() throws Exception {
        ShiftReference r = sample(120);
        r.write(dir);
        ShiftReference back = ShiftReference.read(dir).orElseThrow();
        assertEquals(r.films(), back.films());
        assertArrayEquals(r.channelMean(), back.channelMean(), 0);
        assertArrayEquals(r.channelSd(), back.channelSd(), 0);
        assertArrayEquals(r.classMix(), back.classMix(), 0);
        assertArrayEquals(r.confidenceHistogram(), back.confidenceHistogram());
        assertEquals(r.meanConfidence(), back.meanConfidence(), 0);
        assertTrue(back.tta());
        for (int i = 0; i < r.films(); i++) assertArrayEquals(r.features()[i], back.features()[i], 0);
        JsonNode j = new ObjectMapper().readTree(dir.resolve(ShiftReference.JSON_FILE).toFile());
        assertEquals(120, j.path("films").asInt());
        assertEquals(DriftScoreTest.CHANNELS, j.path("channel_sd").size());
        // float32 after a short header: compact where JSON would not be
        long bin = Files.size(dir.resolve(ShiftReference.FEATURES_FILE));
        assertTrue(bin >= 4L * 120 * DriftScoreTest.CHANNELS && bin < 4L * 120 * DriftScoreTest.CHANNELS + 64, "size " + bin);
        assertEquals(new DriftScore(r).threshold(30), new DriftScore(back).threshold(30), 0);
    }

    @Test
    void aFolderWithoutAReferenceHasNone() throws Exception {
        assertEquals(Optional.empty(), ShiftReference.read(dir));
    }

    @Test
    void damagedFilesAreRefusedByName() throws Exception {
        sample(60).write(dir);
        Path bin = dir.resolve(ShiftReference.FEATURES_FILE);
        byte[] whole = Files.readAllBytes(bin);
        Files.write(bin, java.util.Arrays.copyOf(whole, whole.length - 7));
        UserException e = assertThrows(UserException.class, () -> ShiftReference.read(dir));
        assertTrue(e.getMessage().contains(bin.toString()) && e.getMessage().contains("should hold"), e.getMessage());

        Files.delete(bin);
        e = assertThrows(UserException.class, () -> ShiftReference.read(dir));
        assertTrue(e.getMessage().contains(bin.toString()) && e.getMessage().contains("missing"), e.getMessage());

        sample(60).write(dir);
        Path json = dir.resolve(ShiftReference.JSON_FILE);
        Files.writeString(json, Files.readString(json).replace("\"films\" : 60", "\"films\" : 61"));
        e = assertThrows(UserException.class, () -> ShiftReference.read(dir));
        assertTrue(e.getMessage().contains("holds 60 films") && e.getMessage().contains("says 61"), e.getMessage());

        Files.writeString(json, "{ not json");
        e = assertThrows(UserException.class, () -> ShiftReference.read(dir));
        assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    /** A reference with its films' logits and labels, as training writes it. */
    static ShiftReference withValidation(int n) {
        ShiftReference r = sample(n);
        float[][] logits = new float[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            logits[i] = new float[] {i % 5 * 0.5f, -1.25f, i % 3 == 0 ? 2f : 0f};
            labels[i] = i % 3;
        }
        return r.withValidation(logits, labels);
    }

    @Test
    void theValidationFilmsLogitsAndLabelsAreKeptAndGiveTheEstimate() throws Exception {
        ShiftReference r = withValidation(90);
        r.write(dir);
        ShiftReference back = ShiftReference.read(dir).orElseThrow();
        assertArrayEquals(r.validation().labels(), back.validation().labels());
        for (int i = 0; i < 90; i++) assertArrayEquals(r.validation().logits()[i], back.validation().logits()[i], 0);
        Calibration t = new Calibration(Calibration.Method.TEMPERATURE, 1.5, null);
        AccuracyEstimate a = r.accuracyEstimate(t), b = back.accuracyEstimate(t);
        assertEquals(a, b);
        int right = 0;
        for (int i = 0; i < 90; i++) if (Metrics.argmax(r.validation().logits()[i]) == r.validation().labels()[i]) right++;
        assertEquals(right / 90.0, a.validationAccuracy(), 1e-12, "a temperature leaves every answer where it was");
        assertNull(sample(90).accuracyEstimate(t), "a reference without labelled films (a profile's) gives no estimate");
        sample(90).write(dir);
        assertNull(ShiftReference.read(dir).orElseThrow().validation(), "an older file reads without the block");
    }

    @Test
    void aDamagedValidationBlockIsRefusedByName() throws Exception {
        withValidation(30).write(dir);
        Path json = dir.resolve(ShiftReference.JSON_FILE);
        String good = Files.readString(json);
        JsonNode j = new ObjectMapper().readTree(good);
        ((com.fasterxml.jackson.databind.node.ArrayNode) j.path("validation").path("labels")).set(0, 7);
        Files.writeString(json, j.toString());
        UserException e = assertThrows(UserException.class, () -> ShiftReference.read(dir));
        assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("not a class"), e.getMessage());

        j = new ObjectMapper().readTree(good);
        ((com.fasterxml.jackson.databind.node.ArrayNode) j.path("validation").path("labels")).remove(0);
        Files.writeString(json, j.toString());
        e = assertThrows(UserException.class, () -> ShiftReference.read(dir));
        assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("logits for 29 labels"), e.getMessage());

        Files.writeString(json, good.replaceFirst("\"labels\" : \\[ 0", "\"labels\" : [ \"zero\""));
        e = assertThrows(UserException.class, () -> ShiftReference.read(dir));
        assertTrue(e.getMessage().contains("'validation.labels' must be an array of whole numbers"), e.getMessage());
    }
}
