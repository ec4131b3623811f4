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
}
