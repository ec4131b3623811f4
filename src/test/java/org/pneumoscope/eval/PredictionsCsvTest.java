package org.pneumoscope.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PredictionsCsvTest {
    @TempDir
    Path dir;

    @Test
    void writesTheAgreedColumnsAndReadsThemBack() throws Exception {
        String[] files = {"train/a.jpeg", "odd, \"name\".jpeg", "c.jpeg"};
        int[] y = {0, 1, 2};
        float[][] p = {{0.7f, 0.2f, 0.1f}, {0.1f, 0.3f, 0.6f}, {0.2f, 0.2f, 0.6f}};
        String[] pid = {"person1", "person1", null};
        Path csv = dir.resolve("out/predictions.csv");
        PredictionsCsv.write(csv, files, y, p, pid);

        List<String> lines = Files.readAllLines(csv);
        assertEquals(PredictionsCsv.HEADER, lines.get(0));
        assertEquals("train/a.jpeg,bacteria,bacteria,0.700000,0.200000,0.100000,person1", lines.get(1));
        assertEquals("\"odd, \"\"name\"\".jpeg\",virus,normal,0.100000,0.300000,0.600000,person1", lines.get(2));
        assertEquals("c.jpeg,normal,normal,0.200000,0.200000,0.600000,", lines.get(3));
        try (var s = Files.list(csv.getParent())) {
            assertEquals(1, s.count(), "no temporary file left behind");
        }

        PredictionsCsv.Predictions back = PredictionsCsv.read(csv);
        assertArrayEquals(files, back.files());
        assertArrayEquals(y, back.labels());
        assertArrayEquals(new String[]{"person1", "person1", null}, back.patientIds());
        for (int i = 0; i < 3; i++) assertArrayEquals(p[i], back.probabilities()[i], 1e-6f);
        assertEquals(2, back.evaluate(BootstrapConfig.NONE).patients());
    }

    @Test
    void malformedRowsNameFileAndLine() throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, PredictionsCsv.HEADER + "\na.jpeg,bacteria,bacteria,0.5,0.5,0.0,\nb.jpeg,pneumonia,virus,0.1,0.8,0.1,\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PredictionsCsv.read(csv));
        assertTrue(e.getMessage().contains("bad.csv line 3") && e.getMessage().contains("pneumonia"), e.getMessage());
        Files.writeString(csv, "x,y\n");
        e = assertThrows(IllegalArgumentException.class, () -> PredictionsCsv.read(csv));
        assertTrue(e.getMessage().contains("not a predictions file"), e.getMessage());
    }

    @Test
    void overwritesAtomically() throws Exception {
        Path csv = dir.resolve("predictions.csv");
        Files.writeString(csv, "old");
        PredictionsCsv.write(csv, null, new int[]{2}, new float[][]{{0f, 0f, 1f}});
        assertTrue(Files.readString(csv).startsWith(PredictionsCsv.HEADER));
    }
}
