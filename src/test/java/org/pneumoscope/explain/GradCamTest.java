package org.pneumoscope.explain;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Ranks;
import org.pneumoscope.model.Arch;
import org.pneumoscope.model.Head;
import org.pneumoscope.model.ModelSpec;
import org.pneumoscope.model.XrayNet;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.*;

class GradCamTest {
    static final int SIZE = 96, SQUARE = 24;

    @BeforeAll
    static void seed() {
        Engine.getInstance().setRandomSeed(7);
    }

    /**
     * Noise background; class 0 = bright square top-right, class 1 = bright square bottom-left, class 2 = none.
     * The squares sit on the anti-diagonal, so a map with x and y swapped would show each class's evidence where
     * the other class's square is.
     */
    static float[] picture(int label, Random r) {
        float[] p = new float[SIZE * SIZE];
        for (int i = 0; i < p.length; i++) p[i] = 0.3f + 0.1f * (float) r.nextGaussian();
        if (label < 2) {
            int jitter = r.nextInt(5);
            int far = SIZE - SQUARE - 2 - jitter, near = 2 + jitter;
            int ox = label == 0 ? far : near, oy = label == 0 ? near : far;
            for (int y = oy; y < oy + SQUARE; y++) for (int x = ox; x < ox + SQUARE; x++) p[y * SIZE + x] = 0.9f;
        }
        return p;
    }

    @Test
    void camOfATrainedNetPointsAtTheEvidence() {
        Random r = new Random(11);
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, SIZE, Head.LINEAR).withWidth(0.25));
             Model model = Model.newInstance("cam-test");
             NDManager m = NDManager.newBaseManager()) {
            model.setBlock(net.block());
            DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(3e-3f)).build());
            int batch = 24;
            try (Trainer trainer = model.newTrainer(cfg)) {
                trainer.initialize(new Shape(batch, 1, SIZE, SIZE));
                for (int step = 0; step < 50; step++) {
                    try (NDManager b = m.newSubManager()) {
                        float[] xs = new float[batch * SIZE * SIZE];
                        float[] ys = new float[batch];
                        for (int i = 0; i < batch; i++) {
                            int label = i % 3;
                            System.arraycopy(picture(label, r), 0, xs, i * SIZE * SIZE, SIZE * SIZE);
                            ys[i] = label;
                        }
                        NDArray x = b.create(xs, new Shape(batch, 1, SIZE, SIZE));
                        NDArray y = b.create(ys);
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDArray logits = trainer.forward(new NDList(x)).singletonOrThrow();
                            gc.backward(trainer.getLoss().evaluate(new NDList(y), new NDList(logits)));
                        }
                        trainer.step();
                    }
                }
            }
            int correct = 0;
            for (int i = 0; i < 30; i++) {
                int label = i % 3;
                NDArray x = m.create(picture(label, r), new Shape(1, 1, SIZE, SIZE));
                if (Ranks.argmax(net.predict(x).toFloatArray()) == label) correct++;
            }
            assertTrue(correct >= 27, "the tiny net learnt the toy task: " + correct + "/30");

            NDArray img0 = m.create(picture(0, r), new Shape(1, 1, SIZE, SIZE));
            CamResult last = GradCam.compute(net, m, img0, null, null);
            assertEquals(0, last.targetClass(), "explains the predicted class");
            assertEquals(SIZE, last.width());
            // layer4 is 3×3 at this size, its cells centred on pixels 0, 32 and 64 (see mapCellsLandOnTheirReceptiveFields):
            // too coarse for quadrants. layer3 is 6×6 (cells at 0, 16, …, 80): ask for the peak and a clear majority
            CamResult cam = GradCam.compute(net, m, img0, "layer3", null);
            double topRight = cam.massFraction(SIZE / 2, 0, SIZE, SIZE / 2);
            double bottomLeftOf0 = cam.massFraction(0, SIZE / 2, SIZE / 2, SIZE);
            assertInQuadrant(cam, SIZE / 2, 0);
            assertTrue(topRight > 0.4 && topRight > 2 * bottomLeftOf0,
                    "class-0 evidence is in the top-right quadrant, not transposed: " + topRight + " vs " + bottomLeftOf0);

            NDArray img1 = m.create(picture(1, r), new Shape(1, 1, SIZE, SIZE));
            CamResult cam1 = GradCam.compute(net, m, img1, "layer3", 1);
            double bottomLeft = cam1.massFraction(0, SIZE / 2, SIZE / 2, SIZE);
            double topRightOf1 = cam1.massFraction(SIZE / 2, 0, SIZE, SIZE / 2);
            assertInQuadrant(cam1, 0, SIZE / 2);
            assertTrue(bottomLeft > 0.4 && bottomLeft > 2 * topRightOf1,
                    "class-1 evidence is in the bottom-left quadrant, not transposed: " + bottomLeft + " vs " + topRightOf1);

            // Grad-CAM leaves the trained weights' gradient flags as they were
            for (Parameter p : net.block().getParameters().values())
                assertEquals(p.requiresGradient(), p.getArray().hasGradient(), p.getName());
        }
    }

    /**
     * At the last feature map of a linear head the channel weights come from the head's weights, without a backward
     * pass: the maps, probabilities and targets are those of the gradient pass, for any target class, mirrored or not.
     */
    @Test
    void theLinearHeadsWeightsGiveTheGradientPassesMaps() {
        Random r = new Random(3);
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.25));
             NDManager m = NDManager.newBaseManager()) {
            float[] xs = new float[5 * 64 * 64];
            for (int i = 0; i < xs.length; i++) xs[i] = (float) r.nextGaussian();
            NDArray x = m.create(xs, new Shape(5, 1, 64, 64));
            java.util.function.Function<float[][], int[]> targets = p -> new int[] {0, 1, 2, 2, 1};
            assertTrue(GradCam.usesHeadWeights(net, "layer4"), "the fast path is the one compared");
            assertFalse(GradCam.usesHeadWeights(net, "layer3"));
            for (boolean mirror : new boolean[] {false, true}) {
                List<CamResult> fast = GradCam.computeBatch(net, m, x, null, mirror, targets), slow;
                GradCam.alwaysBackward = true;
                try {
                    slow = GradCam.computeBatch(net, m, x, null, mirror, targets);
                } finally {
                    GradCam.alwaysBackward = false;
                }
                int nonFlat = 0;
                for (int i = 0; i < 5; i++) {
                    assertArrayEquals(slow.get(i).map(), fast.get(i).map(), 1e-5f, "map " + i + (mirror ? " mirrored" : ""));
                    assertArrayEquals(slow.get(i).probabilities(), fast.get(i).probabilities(), 1e-6f);
                    assertEquals(slow.get(i).targetClass(), fast.get(i).targetClass());
                    float max = 0, min = 1;
                    for (float v : fast.get(i).map()) { max = Math.max(max, v); min = Math.min(min, v); }
                    if (max - min > 0.5f) nonFlat++;
                }
                assertTrue(nonFlat >= 3, "the maps compared are not flat: " + nonFlat);
            }
        }
    }

    /**
     * Each cell of the map must land on the input pixels that cell actually looks at: for a cell off the diagonal of
     * layer2/3/4, the peak of a map holding only that cell sits on the centroid of |∂cell/∂input| (its effective
     * receptive field). Laying cells out as tiles (cell j at (j+½)·stride) puts a layer4 peak 15.5 px off, and a
     * transposed map puts it at (y, x).
     */
    @Test
    void mapCellsLandOnTheirReceptiveFields() {
        int size = 128;
        Random r = new Random(5);
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, size, Head.LINEAR).withWidth(0.25));
             NDManager m = NDManager.newBaseManager()) {
            for (String layer : new String[] {"layer2", "layer3.1", "layer4"}) {
                int cells = -1, row = -1, col = -1;
                double sx = 0, sy = 0, sw = 0;
                for (int rep = 0; rep < 2; rep++) {
                    try (NDManager sub = m.newSubManager()) {
                        float[] noise = new float[size * size];
                        for (int i = 0; i < noise.length; i++) noise[i] = (float) r.nextGaussian();
                        NDArray x = sub.create(noise, new Shape(1, 1, size, size));
                        x.setRequiresGradient(true);
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray act = net.forwardTo(new ParameterStore(sub, false), x, layer, false).singletonOrThrow();
                            cells = (int) act.getShape().get(3);
                            row = cells / 4;
                            col = cells / 2; // (1,2) on layer4's 4×4
                            gc.backward(act.get(new NDIndex("0, :, " + row + ", " + col)).sum());
                        }
                        float[] g = x.getGradient().toFloatArray();
                        for (int i = 0; i < g.length; i++) {
                            double v = Math.abs(g[i]);
                            sx += v * (i % size);
                            sy += v * (i / size);
                            sw += v;
                        }
                    }
                }
                float[] oneHot = new float[cells * cells];
                oneHot[row * cells + col] = 1;
                float[] map = GradCam.toInputGrid(oneHot, cells, cells, net.cellStride(layer), size, size);
                int peak = Ranks.argmax(map);
                double ex = sx / sw, ey = sy / sw;
                int px = peak % size, py = peak / size;
                assertTrue(Math.abs(px - ex) <= 2.5 && Math.abs(py - ey) <= 2.5, String.format(java.util.Locale.ROOT,
                        "%s cell (row %d, col %d): map peak at (%d,%d), receptive field centred at (%.1f,%.1f)",
                        layer, row, col, px, py, ex, ey));
            }
        }
    }

    @Test
    void cellStrideOfTheResNetStages() {
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.25))) {
            assertEquals(4, net.cellStride("stem"));
            assertEquals(4, net.cellStride("layer1.1"));
            assertEquals(8, net.cellStride("layer2"));
            assertEquals(16, net.cellStride("layer3.0"));
            assertEquals(32, net.cellStride("layer4"));
            assertEquals(0, net.cellStride("head"));
        }
        // unknown geometry (TorchScript): cells spread as tiles, as any image resize
        assertArrayEquals(GradCam.upsample(new float[] {0, 1, 2, 3}, 2, 2, 8, 8),
                GradCam.toInputGrid(new float[] {0, 1, 2, 3}, 2, 2, 0, 8, 8));
    }

    static void assertInQuadrant(CamResult c, int x0, int y0) {
        int best = Ranks.argmax(c.map());
        int bx = best % c.width(), by = best / c.width();
        assertTrue(bx >= x0 && bx < x0 + SIZE / 2 && by >= y0 && by < y0 + SIZE / 2, "peak at " + bx + "," + by);
    }

    @Test
    void resnet50CamIsAValidMap() {
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET50, 3, 96, Head.SEED).withWidth(0.25));
             NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomUniform(0, 1, new Shape(1, 3, 96, 96));
            for (String layer : new String[] {null, "layer3.5", "stem"}) {
                CamResult c = GradCam.compute(net, m, x, layer, null);
                assertEquals(96 * 96, c.map().length);
                float sum = 0, max = 0, min = 1;
                for (float v : c.map()) {
                    assertTrue(v >= 0 && v <= 1, "map in 0..1");
                    sum += v;
                    max = Math.max(max, v);
                    min = Math.min(min, v);
                }
                double p = 0;
                for (float f : c.probabilities()) p += f;
                assertEquals(1.0, p, 1e-4);
                assertEquals(Ranks.argmax(c.probabilities()), c.targetClass());
                assertTrue(max == 1f || sum == 0, "normalised");
            }
            CamResult forced = GradCam.compute(net, m, x, "layer4", 2);
            assertEquals(2, forced.targetClass());
        }
    }

    @Test
    void invalidLayerMessageListsValidNames() {
        try (XrayNet net = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.25));
             NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(1, 1, 64, 64));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GradCam.compute(net, m, x, "conv5_block3_add", null));
            assertTrue(e.getMessage().contains("conv5_block3_add") && e.getMessage().contains("layer4")
                    && e.getMessage().contains("layer2.1"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> GradCam.compute(net, m, x, "head", null));
            assertThrows(IllegalArgumentException.class, () -> GradCam.compute(net, m, m.zeros(new Shape(1, 3, 64, 64)), null, null));
        }
    }

    @Test
    void overlayAndRawPng() throws Exception {
        int w = 80, h = 60;
        byte[] px = new byte[w * h];
        for (int i = 0; i < px.length; i++) px[i] = (byte) 128;
        GreyImage xray = new GreyImage(w, h, px);
        float[] map = new float[40 * 30];
        for (int y = 0; y < 15; y++) for (int x = 0; x < 20; x++) map[y * 40 + x] = 1f; // hot top-left
        CamResult cam = new CamResult(map, 40, 30, new float[] {0.7f, 0.2f, 0.1f}, 0);
        BufferedImage img = Overlay.render(xray, cam, 0.6);
        assertEquals(w, img.getWidth());
        assertEquals(h, img.getHeight());
        int hot = img.getRGB(5, 5), cold = img.getRGB(w - 5, h - 5);
        assertEquals(0x808080, cold & 0xffffff, "no evidence: the plain X-ray");
        assertTrue(((hot >> 16) & 0xff) > ((hot) & 0xff) + 60, "strong evidence is red-ish");

        byte[] png = Overlay.rawMapPng(cam, 20);
        BufferedImage raw = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(20, raw.getWidth());
        assertEquals(15, raw.getHeight());
        assertEquals(255, raw.getRaster().getSample(1, 1, 0));
        assertEquals(0, raw.getRaster().getSample(18, 13, 0));
    }

    @Test
    void heatmapLayerIsTheJetRampWithAlphaOfRootEvidence() {
        float[] map = {0f, 0.25f, 0.5f, 0.75f, 1f, 1.5f};
        CamResult cam = new CamResult(map, 3, 2, new float[] {0.7f, 0.2f, 0.1f}, 0);
        BufferedImage h = Overlay.heatmap(cam);
        assertEquals(3, h.getWidth());
        assertEquals(2, h.getHeight());
        assertEquals(0x00000080, h.getRGB(0, 0), "no evidence: transparent dark blue");
        assertEquals(0x80 << 24 | 0x0080FF, h.getRGB(1, 0), "a quarter: cyan-blue at alpha 0.5");
        assertEquals(0xFF800000, h.getRGB(1, 1), "strongest evidence: opaque dark red");
        assertEquals(h.getRGB(1, 1), h.getRGB(2, 1), "values above 1 are clamped");
        assertTrue(h.getColorModel() instanceof java.awt.image.IndexColorModel t && t.getMapSize() <= 256,
                "drawn from a colour table, one byte per pixel");
        assertEquals(0xB4 << 24 | 0x80FF80, h.getRGB(2, 0), "a half: green at alpha sqrt(1/2)");
        double[] mid = Overlay.jet(0.5);
        assertArrayEquals(new double[] {0.5, 1, 0.5}, mid, 1e-12);
        assertArrayEquals(Overlay.jet(0), Overlay.jet(-3), 0);
    }

    @Test
    void theOverlaysFixedPointBlendIsTheBlendInRealNumbersToTheNearestLevel() {
        java.util.Random r = new java.util.Random(3);
        int w = 64, h = 48, off = 0;
        byte[] px = new byte[w * h];
        r.nextBytes(px);
        float[] map = new float[w * h];
        for (int i = 0; i < map.length; i++) map[i] = i % 97 == 0 ? 1f : r.nextFloat();
        CamResult cam = new CamResult(map, w, h, new float[] {0.7f, 0.2f, 0.1f}, 0);
        for (double opacity : new double[] {0, 0.3, Overlay.DEFAULT_OPACITY, 1}) {
            BufferedImage img = Overlay.render(new GreyImage(w, h, px), cam, opacity);
            for (int i = 0; i < map.length; i++) {
                double v = Math.round(map[i] * 1020) / 1020.0, a = opacity * Math.sqrt(v);
                double[] c = Overlay.jet(v);
                int rgb = img.getRGB(i % w, i / w), grey = px[i] & 0xff;
                for (int k = 0; k < 3; k++) {
                    double want = grey * (1 - a) + 255 * c[k] * a;
                    int got = rgb >> (16 - 8 * k) & 0xff;
                    // to the nearest level, give or take the fixed point's error: (255·½ + ½) / 2^16 < 0.002
                    assertEquals(want, got, 0.502, "pixel " + i + " channel " + k + " at opacity " + opacity);
                    if (Math.abs(want - got) > 0.5) off++;
                }
            }
        }
        assertTrue(off < 20, off + " channels rounded the other way at a near-tie");
    }

    @Test
    void overlayAtTheDefaultOpacity() {
        byte[] px = new byte[16 * 16];
        java.util.Arrays.fill(px, (byte) 100);
        float[] map = new float[16 * 16];
        for (int i = 0; i < map.length; i++) map[i] = i / (float) map.length;
        CamResult cam = new CamResult(map, 16, 16, new float[] {0.7f, 0.2f, 0.1f}, 0);
        GreyImage xray = new GreyImage(16, 16, px);
        BufferedImage a = Overlay.render(xray, cam), b = Overlay.render(xray, cam, Overlay.DEFAULT_OPACITY);
        for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) assertEquals(b.getRGB(x, y), a.getRGB(x, y));
        assertTrue(Overlay.DEFAULT_OPACITY > 0 && Overlay.DEFAULT_OPACITY < 0.5, "more X-ray than colour even at the peak");
    }

    @Test
    void upsampleKeepsConstantsAndNormaliseScales() {
        float[] up = GradCam.upsample(new float[] {2, 2, 2, 2}, 2, 2, 7, 5);
        for (float v : up) assertEquals(2f, v, 1e-6);
        float[] n = GradCam.normalise(new float[] {1, 3, 2});
        assertArrayEquals(new float[] {0, 1, 0.5f}, n, 1e-6f);
        assertArrayEquals(new float[] {0, 0}, GradCam.normalise(new float[] {0, 0}));
    }
}
