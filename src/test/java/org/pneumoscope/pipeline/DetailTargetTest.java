package org.pneumoscope.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Detail;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.TestImages;
import org.pneumoscope.data.TexturedFilms;
import org.pneumoscope.train.TrainConfig;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code detail: match} measures its target on the training films, at the input size, after the grey-scale mapping. */
class DetailTargetTest {
    @TempDir Path dir;

    private List<Sample> films(int n) throws Exception {
        List<Sample> out = new ArrayList<>();
        for (int a = 1; a <= n; a++) { // checkerboards at 224 px, sharpness 8a; kept exact at size 224, contrast none
            Path f = dir.resolve("f" + a + ".png");
            Files.write(f, TestImages.png(TexturedFilms.film(a)));
            out.add(new Sample(f, Label.NORMAL, "p" + a, "train"));
        }
        return out;
    }

    @Test
    void theTargetIsTheTenthPercentileOfTheTrainingFilms() throws Exception {
        TrainConfig cfg = TrainConfig.fromMap(Map.of("size", 224, "detail", "match"));
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        InputRecipe r = TrainJob.detailTarget(cfg.input(), cfg, films(11), new ImageCache(),
                new PrintStream(said, true, StandardCharsets.UTF_8));
        assertEquals(16, r.detail(), 1e-9, "levels 8, 16, ..., 88: the 10th percentile is the second");
        assertTrue(said.toString(StandardCharsets.UTF_8).contains("level 16.00 at 224 px"), said.toString(StandardCharsets.UTF_8));
    }

    @Test
    void keepLeavesTheRecipeAsItIs() throws Exception {
        TrainConfig cfg = TrainConfig.fromMap(Map.of("size", 224));
        assertEquals(Detail.Mode.KEEP, cfg.detail());
        InputRecipe in = cfg.input();
        assertSame(in, TrainJob.detailTarget(in, cfg, films(3), new ImageCache(), null));
    }

    @Test
    void anUnknownDetailModeIsRefusedNamingTheChoices() {
        Exception e = assertThrows(RuntimeException.class, () -> TrainConfig.fromMap(Map.of("detail", "blur")));
        assertTrue(e.getMessage().contains("detail") && e.getMessage().contains("keep") && e.getMessage().contains("match"), e.getMessage());
    }
}
