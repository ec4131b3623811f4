package org.pneumoscope.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Contrast;
import org.pneumoscope.data.Detail;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.data.Sample;
import org.pneumoscope.pipeline.TrainJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.train.BatchLoader;
import org.pneumoscope.train.ImageSource;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One input recipe: what the training loader feeds the network is, bit for bit, what inference feeds it. */
class InputRecipeTest {
    @TempDir Path dir;

    /** Films of uneven sizes and grey levels, so resizing, letterboxing and equalisation all have work to do. */
    private List<Sample> films() throws Exception {
        Random r = new Random(5);
        List<Sample> out = new ArrayList<>();
        int[][] sizes = {{300, 260}, {97, 140}, {64, 64}, {512, 333}};
        for (int i = 0; i < sizes.length; i++) {
            int w = sizes[i][0], h = sizes[i][1];
            BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            byte[] px = new byte[w * h];
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) px[y * w + x] = (byte) (40 + (x * 90) / w + (y * 60) / h + r.nextInt(30));
            bi.getRaster().setDataElements(0, 0, w, h, px);
            Path f = dir.resolve("film" + i + ".png");
            ImageIO.write(bi, "png", f.toFile());
            out.add(new Sample(f, Label.of(i % Label.COUNT), "p" + i, "train"));
        }
        return out;
    }

    @Test
    void trainingBatchesEqualInferenceInputsBitForBit() throws Exception {
        List<Sample> films = films();
        Path run = TinyRun.make(dir.resolve("run"), Map.of("resize", "letterbox", "contrast", "equalize", "channels", 3, "size", 72), true);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TrainedModel m = TrainedModel.load(run)) {
            InputRecipe recipe = m.recipe();
            assertEquals(InputRecipe.of(72, ResizeMode.LETTERBOX, Contrast.EQUALIZE, 3), recipe);
            int[] order = {0, 1, 2, 3};
            float[] batch;
            try (BatchLoader l = new BatchLoader(films, order, TrainJob.imageSource(recipe, new ImageCache()), null, recipe, 4, 1, 0, pool, 1)) {
                batch = l.next().data();
            }
            int per = 3 * 72 * 72;
            for (int i = 0; i < films.size(); i++) {
                float[] inference = m.input(recipe.fit(Film.read(films.get(i).file()).image()));
                float[] training = java.util.Arrays.copyOfRange(batch, i * per, (i + 1) * per);
                assertArrayEquals(training, inference, 0f, films.get(i).file() + ": training and inference inputs differ");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStoredDetailLevelSoftensTrainingAndInferenceInputsAlike() throws Exception {
        List<Sample> films = films();
        Path run = TinyRun.make(dir.resolve("soft"), Map.of("contrast", "equalize", "size", 72), true);
        Path card = run.resolve("model.json");
        Map<String, Object> m = org.pneumoscope.train.RunFolder.JSON.readValue(card.toFile(), Map.class);
        @SuppressWarnings("unchecked") Map<String, Object> input = (Map<String, Object>) m.get("input");
        input.put("detail", 6.0);
        org.pneumoscope.train.RunFolder.JSON.writeValue(card.toFile(), m);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TrainedModel t = TrainedModel.load(run)) {
            InputRecipe recipe = t.recipe();
            assertEquals(6.0, recipe.detail());
            ImageSource source = TrainJob.imageSource(recipe, new ImageCache());
            int per = 72 * 72;
            for (int epoch = 0; epoch < 2; epoch++) { // the second epoch reads the softened films kept from the first
                float[] batch;
                try (BatchLoader l = new BatchLoader(films, new int[]{0, 1, 2, 3}, source, null, recipe, 4, 1, epoch, pool, 1)) {
                    batch = l.next().data();
                }
                for (int i = 0; i < films.size(); i++) {
                    GreyImage fitted = recipe.fit(Film.read(films.get(i).file()).image());
                    float[] inference = t.input(fitted);
                    assertArrayEquals(java.util.Arrays.copyOfRange(batch, i * per, (i + 1) * per), inference, 0f,
                            films.get(i).file() + ": training and inference inputs differ");
                    assertTrue(Detail.level(recipe.grey(fitted)) <= 6.0
                            && Detail.level(recipe.withDetail(0).grey(fitted)) > 6.0, "softened from sharper");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theStoredRecipeWinsOverTheCodesDefaults() throws Exception {
        Path run = TinyRun.make(dir.resolve("run"), Map.of("contrast", "none"), true);
        Path card = run.resolve("model.json");
        Map<String, Object> m = org.pneumoscope.train.RunFolder.JSON.readValue(card.toFile(), Map.class);
        @SuppressWarnings("unchecked") Map<String, Object> input = (Map<String, Object>) m.get("input");
        input.put("mean", 0.4);
        org.pneumoscope.train.RunFolder.JSON.writeValue(card.toFile(), m);
        try (TrainedModel t = TrainedModel.load(run)) {
            assertEquals(0.4f, t.recipe().mean());
            GreyImage grey = new GreyImage(64, 64, new byte[64 * 64]);
            grey.pixels()[0] = 1;
            float[] x = t.input(grey);
            assertEquals((0f - 0.4f) / InputRecipe.STD, x[1], 1e-6, "normalised with the stored mean");
        }
    }

    @Test
    void aRunWithoutAStoredRecipeUsesItsConfig() throws Exception {
        Path run = TinyRun.make(dir.resolve("old"), Map.of("resize", "letterbox"), false);
        try (TrainedModel t = TrainedModel.load(run)) {
            assertEquals(InputRecipe.of(64, ResizeMode.LETTERBOX, Contrast.parse(t.config().toMap().get("contrast").toString()), 1), t.recipe());
        }
    }

    @Test
    void aDamagedRecipeIsRefusedNamingTheFieldAndFile() throws Exception {
        Path run = TinyRun.make(dir.resolve("bad"), Map.of(), true);
        Path card = run.resolve("model.json");
        Map<String, Object> m = org.pneumoscope.train.RunFolder.JSON.readValue(card.toFile(), Map.class);
        @SuppressWarnings("unchecked") Map<String, Object> input = (Map<String, Object>) m.get("input");
        input.put("resize", "stretchy");
        org.pneumoscope.train.RunFolder.JSON.writeValue(card.toFile(), m);
        Exception e = assertThrows(RuntimeException.class, () -> TrainedModel.load(run).close());
        assertTrue(e.getMessage().contains("model.json") && e.getMessage().contains("input.resize"), e.getMessage());
    }

    @Test
    void everyDoorRefusesTheSameUnusableFilms() {
        GreyImage tiny = new GreyImage(8, 8, new byte[64]);
        GreyImage strip = new GreyImage(400, 40, ramp(400 * 40));
        GreyImage blank = new GreyImage(100, 100, new byte[100 * 100]);
        for (GreyImage g : List.of(tiny, strip, blank)) {
            DecodeException e = assertThrows(DecodeException.class, () -> Film.of(g, "x.png"));
            assertEquals(DecodeException.Kind.UNUSABLE, e.kind());
            assertTrue(e.getMessage().startsWith("x.png: "), e.getMessage());
        }
        assertEquals("x.png", assertDoesNotThrowFilm(new GreyImage(100, 80, ramp(8000))).name());
    }

    private static Film assertDoesNotThrowFilm(GreyImage g) {
        try {
            return Film.of(g, "x.png");
        } catch (DecodeException e) {
            throw new AssertionError("a usable film was refused: " + e.getMessage());
        }
    }

    private static byte[] ramp(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i % 251);
        return b;
    }
}
