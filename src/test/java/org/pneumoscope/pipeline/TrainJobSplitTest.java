package org.pneumoscope.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.PatientIds;
import org.pneumoscope.train.Presets;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A dataset's own train/val/test split is checked for patients in two splits before anything is trained. */
class TrainJobSplitTest {

    /**
     * A manifest whose split column the run uses as it is (it has test and 30+ val images); the last row puts
     * patient NORMAL2-IM-0383, which the naming rule reads as IM-0383, into test while IM-0383 trains. The films are
     * one-byte stand-ins: the split is checked before any is decoded.
     */
    static Path givenSplit(Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("file,label,patient_id,split\n");
        String[] labels = {"bacteria", "virus", "normal"};
        int n = 0;
        for (String split : new String[] {"train", "val", "test"})
            for (int i = 0; i < 36; i++, n++) csv.append("f").append(n).append(".png,").append(labels[i % 3]).append(",P")
                    .append(n).append(',').append(split).append('\n');
        csv.append("f").append(n).append(".png,normal,IM-0383,train\n");
        csv.append("f").append(n + 1).append(".png,normal,NORMAL2-IM-0383,test\n");
        for (int i = 0; i < n + 2; i++) Files.write(dir.resolve("f" + i + ".png"), new byte[] {1});
        Path m = dir.resolve("manifest.csv");
        Files.writeString(m, csv.toString());
        return m;
    }

    static TrainConfig cfg() { return Presets.resolve("demo", Map.of("size", 64, "epochs", 1)); }

    @Test
    void aLeakingGivenSplitIsRefusedWithThePatientsListed(@TempDir Path dir) throws Exception {
        Path data = givenSplit(Files.createDirectories(dir.resolve("data")));
        Path run = dir.resolve("run");
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        UserException e = assertThrows(UserException.class,
                () -> TrainJob.run(new TrainJob.Options(data, run, cfg(), false, false, null, quiet)));
        assertTrue(e.getMessage().contains("IM-0383 (train 1, test 1)") && e.getMessage().contains("--regroup"), e.getMessage());
        assertFalse(Files.exists(run.resolve("split.csv")), "nothing is written for a refused split");

        // taken as written, the two ids are two patients and the split passes the check (the stand-in films then fail)
        Path verbatim = dir.resolve("verbatim");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        assertThrows(UserException.class, () -> TrainJob.run(new TrainJob.Options(data, verbatim, cfg(), false, false, null,
                new PrintStream(log, true, StandardCharsets.UTF_8), false, PatientIds.Rule.VERBATIM)));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("none in two of train, val and test"), log.toString(StandardCharsets.UTF_8));
    }

    @Test
    void regroupMovesThePatientAndTheRunRecordsWhatWasChecked(@TempDir Path dir) throws Exception {
        Path data = givenSplit(Files.createDirectories(dir.resolve("data")));
        Path run = dir.resolve("run");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        // the stand-in films do not decode, so training stops after the split is written
        assertThrows(UserException.class, () -> TrainJob.run(new TrainJob.Options(data, run, cfg(), false, false, null,
                new PrintStream(log, true, StandardCharsets.UTF_8), true, PatientIds.Rule.NAMING)));
        String split = Files.readString(run.resolve("split.csv"));
        assertTrue(split.contains("f108.png,normal,IM-0383,train") && split.contains("f109.png,normal,IM-0383,train"), split);
        JsonNode check = RunFolder.JSON.readTree(run.resolve(TrainJob.SPLIT_CHECK).toFile());
        assertEquals(1, check.path("regrouped").asInt());
        assertEquals(109, check.path("patients").asInt());
        assertEquals("naming-rule", check.path("patient_ids").asText());
        @SuppressWarnings("unchecked")
        Map<String, Object> card = Map.of("split_check", RunFolder.JSON.convertValue(check, Map.class));
        String text = EvaluateJob.splitCheckText(card);
        assertTrue(text.contains("109 patients") && text.contains("none in two") && text.contains("1 patient(s)"), text);
        assertTrue(EvaluateJob.splitCheckText(Map.of()).contains("not checked"), "an older run does not claim a check");
    }
}
