package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.Contrast;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.eval.PredictionsCsv;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.synth.PhantomGenerator;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** A run trained with contrast: equalize, and evaluate --shift: the stress test and the normalisation that answers it. */
class ContrastShiftTest {
    @TempDir static Path dir;
    static Path data, run;

    @BeforeAll
    static void trainEqualizedRun() throws Exception {
        data = dir.resolve("phantoms");
        new PhantomGenerator().generate(data, 60, 64, 11, 2);
        run = dir.resolve("run");
        CliRun r = CliRun.of("train", "--data", data.toString(), "--out", run.toString(), "--preset", "demo",
                "--size", "64", "--epochs", "1", "--set", "max_minutes=0", "--set", "contrast=equalize");
        assertEquals(0, r.code(), r.out() + r.err());
    }

    @Test
    void theRunKeepsItsContrastAndAppliesItToEveryInput() throws Exception {
        assertTrue(Files.readString(run.resolve("config.yaml")).contains("contrast: equalize"));
        try (TrainedModel m = TrainedModel.load(run)) {
            assertEquals(Contrast.EQUALIZE, m.config().contrastMode());
            GreyImage g = EvaluateJob.load(firstPhantom(), m);
            assertArrayEquals(InputRecipe.of(g.width(), ResizeMode.SQUASH, Contrast.NONE, 1).tensor(Contrast.EQUALIZE.apply(g)), m.input(g), "inference sees the equalised image");
            assertFalse(java.util.Arrays.equals(InputRecipe.of(g.width(), ResizeMode.SQUASH, Contrast.NONE, 1).tensor(g), m.input(g)));
        }
    }

    static Path firstPhantom() throws java.io.IOException {
        try (var s = Files.walk(data)) {
            return s.filter(p -> p.getFileName().toString().startsWith("phantom-")).sorted().findFirst().orElseThrow();
        }
    }

    @Test
    void anEqualizedModelBarelyMovesUnderAShiftedGreyScale() throws Exception {
        Path plain = dir.resolve("eval"), shifted = dir.resolve("eval-shifted");
        CliRun a = CliRun.of("evaluate", "--run", run.toString(), "--out", plain.toString(), "--no-gallery");
        CliRun b = CliRun.of("evaluate", "--run", run.toString(), "--out", shifted.toString(), "--no-gallery",
                "--shift", "gamma=1.6,contrast=0.8");
        assertEquals(0, a.code(), a.out() + a.err());
        assertEquals(0, b.code(), b.out() + b.err());
        assertTrue(b.out().contains("re-rendered before the model: gamma=1.6,contrast=0.8,brightness=0"), b.out());
        JsonNode mb = new ObjectMapper().readTree(shifted.resolve("metrics.json").toFile());
        assertEquals("gamma=1.6,contrast=0.8,brightness=0", mb.path("shift").asText());
        assertEquals("none", new ObjectMapper().readTree(plain.resolve("metrics.json").toFile()).path("shift").asText());
        float[][] pa = PredictionsCsv.read(plain.resolve("predictions.csv")).probabilities();
        float[][] pb = PredictionsCsv.read(shifted.resolve("predictions.csv")).probabilities();
        assertEquals(pa.length, pb.length);
        double worst = 0;
        for (int i = 0; i < pa.length; i++)
            for (int k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(pa[i][k] - pb[i][k]));
        assertTrue(worst < 0.05, "largest change of a probability under the shift: " + worst);
        // the shift did reach the pixels: the same images unequalised differ a lot
        GreyImage g = new GreyImage(2, 1, new byte[] {(byte) 60, (byte) 180});
        assertNotEquals(g.pixels()[0], AcquisitionShift.parse("gamma=1.6,contrast=0.8").apply(g).pixels()[0]);
    }

    @Test
    void aBadShiftIsOneLineAndExitTwo() {
        CliRun r = CliRun.of("evaluate", "--run", run.toString(), "--out", dir.resolve("bad").toString(), "--shift", "gamma=dark");
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("gamma has a bad value 'dark'"), r.err());
    }
}
