package org.pneumoscope.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.Sample;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class TrainerTest {

    /** Class 0: bright blob top-left; class 1: bright blob bottom-right; class 2: none. Noise everywhere. */
    static Map<Path, GreyImage> images(List<Sample> out, int n, int size, long seed) {
        Random r = new Random(seed);
        Map<Path, GreyImage> m = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Label l = Label.of(i % 3);
            byte[] px = new byte[size * size];
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) {
                    double v = 60 + r.nextGaussian() * 20;
                    boolean tl = x < size / 3 && y < size / 3, br = x > 2 * size / 3 && y > 2 * size / 3;
                    if ((l == Label.BACTERIA && tl) || (l == Label.VIRUS && br)) v += 120;
                    px[y * size + x] = (byte) Math.max(0, Math.min(255, (int) v));
                }
            Path p = Path.of("mem", "img" + i + ".png");
            m.put(p, new GreyImage(size, size, px));
            out.add(new Sample(p, l, "p" + i, i % 6 == 5 ? "val" : "train"));
        }
        return m;
    }

    static TrainConfig tiny(int epochs) {
        Map<String, Object> m = new HashMap<>();
        m.put("model", "resnet18"); m.put("width", 0.25); m.put("size", 64); m.put("head", "linear");
        m.put("batch", 12); m.put("epochs", epochs); m.put("lr", 3e-3); m.put("optimizer", "adamw");
        m.put("schedule", "constant"); m.put("augment", "none"); m.put("l2", 0);
        return TrainConfig.fromMap(m);
    }

    static Trainer.Result run(Path dir, TrainConfig cfg, boolean resume, List<Sample> all, Map<Path, GreyImage> imgs) throws Exception {
        return run(dir, cfg, resume, all, imgs, new PrintStream(java.io.OutputStream.nullOutputStream()));
    }

    static Trainer.Result run(Path dir, TrainConfig cfg, boolean resume, List<Sample> all, Map<Path, GreyImage> imgs,
                              PrintStream log) throws Exception {
        List<Sample> tr = new ArrayList<>(), va = new ArrayList<>();
        for (Sample s : all) (s.split().equals("val") ? va : tr).add(s);
        return Trainer.train(new Trainer.Request(cfg, new RunFolder(dir), tr, va, s -> imgs.get(s.file()), null, resume, false, log));
    }

    @Test
    void lossFallsOnALearnableTask(@TempDir Path dir) throws Exception {
        List<Sample> all = new ArrayList<>();
        Map<Path, GreyImage> imgs = images(all, 48, 64, 1);
        Trainer.Result r = run(dir, tiny(6), false, all, imgs);
        assertEquals(6, r.history().size());
        double first = r.history().get(0).trainLoss(), last = r.history().get(5).trainLoss();
        assertTrue(last < first * 0.7, "train loss should fall: " + first + " -> " + last);
        assertTrue(Files.size(new RunFolder(dir).bestParams()) > 1000);
        assertTrue(Files.readString(new RunFolder(dir).metricsCsv()).lines().count() == 7);
        // the process's peak RSS at the end of training, where /proc tells it
        if (Files.isReadable(Path.of("/proc/self/status"))) {
            com.fasterxml.jackson.databind.JsonNode m = RunFolder.JSON.readTree(new RunFolder(dir).metricsJson().toFile());
            assertTrue(m.path("peak_rss_mb").asLong() > 0, m.toString());
        }
    }

    /**
     * DJL's create(float[]) leaves a direct buffer per array for the GC to free, so native memory followed GC
     * timing. A step now reuses its input buffers: steps add no direct buffers beyond the first step's.
     */
    @Test
    void trainStepsAllocateNoDirectBufferPerBatch() throws Exception {
        TrainConfig cfg = tiny(1);
        int n = 4, s = cfg.size();
        float[] x = new float[n * s * s], w = {1, 1, 1, 1};
        int[] y = {0, 1, 2, 0};
        try (ai.djl.ndarray.NDManager root = ai.djl.ndarray.NDManager.newBaseManager();
             org.pneumoscope.model.XrayNet net = Models.build(cfg, false, null);
             Optimizer opt = new Optimizer(root, Optimizer.Kind.ADAMW, 0.01)) {
            TrainStep step = new TrainStep(net.block(), new ai.djl.training.ParameterStore(root, false), List.of(), 0, opt, null, 1, s);
            step.run(root, x, Losses.targets(y, 0), w, y, n, 1e-3);
            long before = directBuffers();
            for (int i = 0; i < 20; i++) step.run(root, x, Losses.targets(y, 0), w, y, n, 1e-3);
            // a GC meanwhile could only lower the count; before the fix it rose by 3 per step
            assertTrue(directBuffers() - before < 5, "direct buffers: " + before + " -> " + directBuffers());
        }
    }

    static long directBuffers() {
        for (java.lang.management.BufferPoolMXBean b : java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class))
            if (b.getName().equals("direct")) return b.getCount();
        return 0;
    }

    @Test
    void resumeAfterInterruptionMatchesUninterruptedRun(@TempDir Path dir) throws Exception {
        List<Sample> all = new ArrayList<>();
        Map<Path, GreyImage> imgs = images(all, 36, 64, 2);
        Trainer.Result full = run(dir.resolve("full"), tiny(3), false, all, imgs);
        run(dir.resolve("cut"), tiny(3).with("epochs", 2), false, all, imgs);   // "killed" after epoch 2
        Trainer.Result resumed = run(dir.resolve("cut"), tiny(3), true, all, imgs);
        assertEquals(3, resumed.history().size());
        for (int e = 0; e < 3; e++) {
            assertEquals(full.history().get(e).trainLoss(), resumed.history().get(e).trainLoss(), 1e-5, "epoch " + (e + 1) + " train loss");
            assertEquals(full.history().get(e).valLoss(), resumed.history().get(e).valLoss(), 1e-5, "epoch " + (e + 1) + " val loss");
        }
    }

    @Test
    void aRunThatMixesStylesResumesAsIfNeverStoppedAndDiffersFromOneThatDoesNot(@TempDir Path dir) throws Exception {
        List<Sample> all = new ArrayList<>();
        Map<Path, GreyImage> imgs = images(all, 36, 64, 2);
        TrainConfig mixing = tiny(2).with("mixstyle", 1.0);
        Trainer.Result full = run(dir.resolve("full"), mixing, false, all, imgs);
        run(dir.resolve("cut"), mixing.with("epochs", 1), false, all, imgs);
        Trainer.Result resumed = run(dir.resolve("cut"), mixing, true, all, imgs);
        Trainer.Result plain = run(dir.resolve("plain"), tiny(2), false, all, imgs);
        assertEquals(full.history().get(1).trainLoss(), resumed.history().get(1).trainLoss(), 1e-5, "epoch 2 train loss");
        assertEquals(full.history().get(1).valLoss(), resumed.history().get(1).valLoss(), 1e-5, "epoch 2 val loss");
        assertNotEquals(plain.history().get(0).trainLoss(), full.history().get(0).trainLoss(), 1e-6);
        var e = assertThrows(org.pneumoscope.core.UserException.class, () -> tiny(1).with("mixstyle", 1.5));
        assertTrue(e.getMessage().contains("mixstyle must be in [0, 1]"), e.getMessage());
    }

    @Test
    void aBudgetedRunCheckpointsWhereItsScheduleWasLastReplanned(@TempDir Path dir) throws Exception {
        List<Sample> all = new ArrayList<>();
        Map<Path, GreyImage> imgs = images(all, 36, 64, 2);
        TrainConfig cfg = tiny(2).with("schedule", "cosine").with("max_minutes", 600);
        Trainer.Result r = run(dir, cfg, false, all, imgs);
        assertEquals(2, r.history().size());
        try (java.io.DataInputStream in = new java.io.DataInputStream(java.nio.file.Files.newInputStream(new RunFolder(dir).lastCheckpoint()))) {
            assertEquals(0x50534B32, in.readInt());
            in.readInt(); in.readDouble(); in.readInt(); in.readInt(); in.readDouble(); // epochs, best, best epoch, since, seconds
            in.readDouble(); in.readDouble(); in.readInt();                            // plateau state
            assertEquals(2, in.readInt(), "planned epochs: the budget holds both");
            long anchorStep = in.readLong();
            double anchorT = in.readDouble();
            assertTrue(anchorStep > 0, "re-planned at the end of epoch 2: step " + anchorStep);
            assertEquals(1.0, anchorT, 1e-9, "at the end of the plan the cosine is done");
        }
    }

    @Test
    void sameSeedGivesSameFirstEpochLoss(@TempDir Path dir) throws Exception {
        List<Sample> all = new ArrayList<>();
        Map<Path, GreyImage> imgs = images(all, 24, 64, 3);
        double a = run(dir.resolve("a"), tiny(1), false, all, imgs).history().get(0).trainLoss();
        double b = run(dir.resolve("b"), tiny(1), false, all, imgs).history().get(0).trainLoss();
        double c = run(dir.resolve("c"), tiny(1).with("seed", 7), false, all, imgs).history().get(0).trainLoss();
        assertEquals(a, b, 1e-5);
        assertNotEquals(a, c, 1e-6);
    }

    @Test
    void augmentCopiesShowEveryImageOnceAsIsAndNTimesAugmented() {
        List<Sample> train = new ArrayList<>();
        for (int i = 0; i < 10; i++) train.add(new Sample(Path.of("x" + i), Label.of(i < 6 ? 0 : i < 8 ? 1 : 2), "p" + i, "train"));
        int[] counts = Trainer.counts(train);
        Trainer.EpochPlan plain = Trainer.epochOrder(tiny(1).with("balance", "none"), train, counts, 0);
        assertNull(plain.augment(), "augment_copies 0 keeps every view augmented");
        assertEquals(10, plain.order().length);
        for (String balance : List.of("none", "oversample")) {
            TrainConfig cfg = tiny(1).with(Map.of("augment_copies", 3, "balance", balance));
            Trainer.EpochPlan p = Trainer.epochOrder(cfg, train, counts, 2);
            int base = balance.equals("none") ? 10 : 18; // oversampled: 6 per class
            assertEquals(4 * base, p.order().length);
            assertEquals(Trainer.epochLength(cfg, counts), p.order().length);
            int[] asIs = new int[10], augmented = new int[10];
            for (int k = 0; k < p.order().length; k++) (p.augment()[k] ? augmented : asIs)[p.order()[k]]++;
            for (int i = 0; i < 10; i++) {
                assertTrue(asIs[i] >= 1, balance + ": image " + i + " shown as is");
                assertEquals(3 * asIs[i], augmented[i], balance + ": image " + i + " has 3 augmented copies per plain view");
            }
            // shuffled together: augmented views are not all at the end
            int firstHalfAug = 0;
            for (int k = 0; k < p.order().length / 2; k++) if (p.augment()[k]) firstHalfAug++;
            assertTrue(firstHalfAug > 0 && firstHalfAug < p.order().length / 2, "plain and augmented views interleave");
        }
    }

    @Test
    void batchLoaderAugmentsOnlyFlaggedPositions() throws Exception {
        List<Sample> all = new ArrayList<>();
        Map<Path, GreyImage> imgs = images(all, 6, 64, 4);
        org.pneumoscope.augment.Transform invert = (img, rng) -> {
            float[] px = img.pixels().clone();
            for (int i = 0; i < px.length; i++) px[i] = 1f - px[i];
            return new org.pneumoscope.augment.FloatImage(img.width(), img.height(), px);
        };
        int[] order = {0, 1, 2, 0, 1, 2};
        boolean[] flags = {false, false, false, true, true, true};
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try (BatchLoader l = new BatchLoader(all, order, flags, s -> imgs.get(s.file()), invert,
                InputRecipe.of(64, org.pneumoscope.data.ResizeMode.SQUASH, org.pneumoscope.data.Contrast.NONE, 1), 6, 1, 0, pool, 2)) {
            BatchLoader.Batch b = l.next();
            int plane = 64 * 64;
            for (int k = 0; k < 3; k++) {
                byte[] px = imgs.get(all.get(k).file()).pixels();
                float plainVal = ((px[100] & 0xff) / 255f - InputRecipe.MEAN) / InputRecipe.STD;
                float invVal = ((1f - (px[100] & 0xff) / 255f) - InputRecipe.MEAN) / InputRecipe.STD;
                assertEquals(plainVal, b.data()[k * plane + 100], 1e-5, "position " + k + " is shown as is");
                assertEquals(invVal, b.data()[(k + 3) * plane + 100], 1e-5, "position " + (k + 3) + " is augmented");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Progressive resizing: the first half of the epochs trains on half-size images, the rest at the model's size. */
    @Test
    void progressiveResizingTrainsEarlyEpochsSmallThenAtTheModelsSize(@TempDir Path dir) throws Exception {
        List<Sample> all = new ArrayList<>();
        Map<Path, GreyImage> imgs = images(all, 48, 64, 1);
        Map<Path, GreyImage> small = new HashMap<>();
        imgs.forEach((p, g) -> {   // 2 x 2 means
            byte[] px = new byte[32 * 32];
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) {
                    int v = 0;
                    for (int dy = 0; dy < 2; dy++) for (int dx = 0; dx < 2; dx++) v += g.pixels()[(2 * y + dy) * 64 + 2 * x + dx] & 0xff;
                    px[y * 32 + x] = (byte) (v / 4);
                }
            small.put(p, new GreyImage(32, 32, px));
        });
        java.util.concurrent.atomic.AtomicInteger smallCalls = new java.util.concurrent.atomic.AtomicInteger(), fullCalls = new java.util.concurrent.atomic.AtomicInteger();
        TrainConfig cfg = tiny(4).with(Map.of("early_size", 32, "early_fraction", 0.5));
        List<Sample> tr = new ArrayList<>(), va = new ArrayList<>();
        for (Sample s : all) (s.split().equals("val") ? va : tr).add(s);
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        Trainer.Result r = Trainer.train(new Trainer.Request(cfg, new RunFolder(dir), tr, va,
                s -> { fullCalls.incrementAndGet(); return imgs.get(s.file()); }, null, false, false,
                new PrintStream(log, true), s -> { smallCalls.incrementAndGet(); return small.get(s.file()); }));
        assertEquals(4, r.history().size());
        for (Trainer.EpochStats e : r.history()) assertTrue(Double.isFinite(e.trainLoss()), e.toString());
        int perEpoch = Trainer.epochLength(cfg, Trainer.counts(tr));   // oversampled to the largest class
        assertEquals(2 * perEpoch, smallCalls.get(), "epochs 1-2 read their images at 32 px");
        // epochs 3-4 at 64 px, and validation after every epoch at the model's size
        assertEquals(2 * perEpoch + 4 * va.size(), fullCalls.get());
        assertTrue(log.toString().contains("progressive resizing: epoch 3 on trains at 64 px (before: 32 px)"), log.toString());
        // a request without the small images is refused before anything trains
        assertThrows(IllegalArgumentException.class, () -> new Trainer.Request(cfg, new RunFolder(dir), tr, va, s -> imgs.get(s.file()),
                null, false, false, new PrintStream(log, true)));
    }
}
