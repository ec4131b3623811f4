package org.pneumoscope.augment;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TransformsTest {

    static Map<String, Transform> all() {
        Map<String, Transform> m = new LinkedHashMap<>();
        m.put("HorizontalFlip", new HorizontalFlip());
        m.put("RandomGamma", RandomGamma.of(80, 120));
        m.put("Blur", Blur.of(4));
        m.put("MotionBlur", MotionBlur.of(4));
        m.put("ElasticTransform", ElasticTransform.of(60, 9, 1.8));
        m.put("GridDistortion", GridDistortion.defaults());
        m.put("OpticalDistortion", new OpticalDistortion(0.3, 0.1));
        m.put("ShiftScaleRotate", new ShiftScaleRotate(0.2, 0.1, 20));
        m.put("BrightnessContrast", new BrightnessContrast(0.2, 0.2));
        m.put("GaussianNoise", new GaussianNoise(0.01, 0.03));
        m.put("seed recipe", Augmentations.seedRecipe());
        m.put("Downscale", new Downscale(0.45, 0.85));
        m.put("Sharpen", new Sharpen(0.3, 1.5, 1.0));
        m.put("strong recipe", Augmentations.strongRecipe());
        m.put("acquisition recipe", Augmentations.acquisitionRecipe());
        m.put("Reframe", new Reframe(0.85, 1.4, 0.12, 0.06));
        m.put("framing recipe", Augmentations.framingRecipe());
        m.put("Reframe with a shape", new Reframe(0.85, 1.4, 0.12, 0.06, 1.4, 2.3));
        m.put("shape recipe", Augmentations.shapeRecipe());
        return m;
    }

    /** Each transform keeps the size and [0,1] range and, when it fires, changes the image. */
    static void checkAll(FloatImage img, String what) {
        for (Map.Entry<String, Transform> e : all().entrySet()) {
            int changed = 0;
            for (int seed = 0; seed < 4; seed++) {
                FloatImage out = e.getValue().apply(img, new Random(seed));
                assertEquals(img.width(), out.width(), e.getKey() + " width on " + what);
                assertEquals(img.height(), out.height(), e.getKey() + " height on " + what);
                float lo = 1, hi = 0;
                for (float v : out.pixels()) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
                assertTrue(lo >= 0f && hi <= 1f, e.getKey() + " left [0,1] on " + what + ": " + lo + ".." + hi);
                if (meanAbsDiff(img, out) > 1e-4) changed++;
            }
            // Single transforms always fire; a recipe may, for some seed, fire nothing but not for all four.
            if (e.getKey().endsWith("recipe")) assertTrue(changed >= 1, e.getKey() + " never changed " + what);
            else assertEquals(4, changed, e.getKey() + " left " + what + " unchanged for some seed");
        }
    }

    @Test
    void transformsOnPhantom() {
        checkAll(TestImages.phantom(128), "phantom 128");
        checkAll(TestImages.phantom(97), "phantom 97 (odd size)");
    }

    @Test
    void transformsOnRealChestXrays() throws IOException {
        assumeTrue(TestImages.realAvailable(), "real CXRs not found at " + TestImages.kermany() + " (shared data absent): skipping");
        for (FloatImage img : TestImages.real(2)) checkAll(img, "real CXR");
    }

    /** Mean absolute 4-neighbour Laplacian: the sharpness whose class difference the acquisition recipe hides. */
    static double sharpness(FloatImage img) {
        int w = img.width(), h = img.height();
        float[] v = img.pixels();
        double sum = 0;
        for (int y = 1; y < h - 1; y++)
            for (int x = 1; x < w - 1; x++) {
                int i = y * w + x;
                sum += Math.abs(4 * v[i] - v[i - 1] - v[i + 1] - v[i - w] - v[i + w]);
            }
        return sum / ((w - 2) * (h - 2));
    }

    @Test
    void downscaleBlursAndSharpenSharpensInProportionToTheirStrength() {
        FloatImage img = TestImages.phantom(128);
        double s0 = sharpness(img);
        double mild = sharpness(new Downscale(0.85, 0.85).apply(img, new Random(1)));
        double hard = sharpness(new Downscale(0.45, 0.45).apply(img, new Random(1)));
        assertTrue(hard < mild && mild < s0, "downscaling removes detail: " + s0 + " -> " + mild + " -> " + hard);
        double weak = sharpness(new Sharpen(0.3, 0.3, 1.0).apply(img, new Random(1)));
        double strong = sharpness(new Sharpen(1.5, 1.5, 1.0).apply(img, new Random(1)));
        assertTrue(s0 < weak && weak < strong, "unsharp masking adds detail: " + s0 + " -> " + weak + " -> " + strong);
        FloatImage flat = new FloatImage(16, 16, new float[256]);
        java.util.Arrays.fill(flat.pixels(), 0.4f);
        for (float v : new Downscale(0.5, 0.5).apply(flat, new Random(2)).pixels()) assertEquals(0.4f, v, 1e-6f);
        for (float v : new Sharpen(1, 1, 1).apply(flat, new Random(2)).pixels()) assertEquals(0.4f, v, 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> new Downscale(0.5, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new Sharpen(-0.1, 1, 1));
    }

    @Test
    void acquisitionStepsParseFromASpec() {
        Transform t = Augmentations.from(List.of(
                Map.of("name", "Downscale", "p", 1.0, "params", Map.of("scale_limit", List.of(0.5, 0.5))),
                Map.of("name", "Sharpen", "p", 1.0, "params", Map.of("alpha", List.of(1.0, 1.0), "sigma", 1.0))));
        FloatImage img = TestImages.phantom(64);
        FloatImage expected = new Sharpen(1, 1, 1).apply(new Downscale(0.5, 0.5).apply(img, new Random(3)), new Random(3));
        assertArrayEquals(expected.pixels(), t.apply(img, new Random(3)).pixels(), 1e-6f);
        assertEquals(Augmentations.acquisitionRecipe().toString(), Augmentations.named("acquisition").toString());
    }

    /** A square x square white patch at the centre of a black size x size image. */
    static FloatImage patch(int size, int square) {
        float[] px = new float[size * size];
        int lo = (size - square) / 2;
        for (int y = lo; y < lo + square; y++) for (int x = lo; x < lo + square; x++) px[y * size + x] = 1f;
        return new FloatImage(size, size, px);
    }

    /** Width and height of the pixels above one half. */
    static int[] extent(FloatImage img) {
        int minX = img.width(), maxX = -1, minY = img.height(), maxY = -1;
        for (int y = 0; y < img.height(); y++)
            for (int x = 0; x < img.width(); x++)
                if (img.get(x, y) > 0.5f) {
                    minX = Math.min(minX, x); maxX = Math.max(maxX, x);
                    minY = Math.min(minY, y); maxY = Math.max(maxY, y);
                }
        return new int[] {maxX - minX + 1, maxY - minY + 1};
    }

    /** Both sides of a square's extent, to a pixel (bilinear edges land half a pixel either way). */
    static void assertSides(int side, int[] extent, String what) {
        assertEquals(side, extent[0], 1, what + ": width");
        assertEquals(side, extent[1], 1, what + ": height");
    }

    @Test
    void reframeZoomsStretchesAndParsesFromASpec() {
        FloatImage img = patch(64, 16);
        assertSides(32, extent(new Reframe(2, 2, 0, 0).apply(img, new Random(1))), "zoom 2: twice the side");
        assertSides(8, extent(new Reframe(0.5, 0.5, 0, 0).apply(img, new Random(1))), "zoom 0.5: half");
        boolean wider = false, taller = false;
        for (int s = 0; s < 20; s++) {
            int[] e = extent(new Reframe(1, 1, 0.5, 0).apply(img, new Random(s)));
            wider |= e[0] > e[1] + 2;
            taller |= e[1] > e[0] + 2;
            assertTrue(e[0] * e[1] > 0.7 * 256 && e[0] * e[1] < 1.3 * 256, "aspect changes the shape, not the area: " + e[0] + "x" + e[1]);
        }
        assertTrue(wider && taller, "the aspect is drawn both ways");
        Transform spec = Augmentations.from(List.of(Map.of("name", "Reframe", "params",
                Map.of("zoom_limit", List.of(2.0, 2.0), "aspect_limit", 0.0, "shift_limit", 0.0))));
        assertSides(32, extent(spec.apply(img, new Random(1))), "from a spec");
        assertThrows(IllegalArgumentException.class, () -> new Reframe(1.2, 1.0, 0, 0));
        assertEquals(Augmentations.framingRecipe().toString(), Augmentations.named("framing").toString());
        assertEquals(Augmentations.shapeRecipe().toString(), Augmentations.named("shape").toString());
        Transform shaped = Augmentations.from(List.of(Map.of("name", "Reframe", "params", Map.of("zoom_limit", List.of(1.0, 1.0),
                "aspect_limit", 0.0, "shift_limit", 0.0, "shape_limit", List.of(1.6, 1.6)))));
        FloatImage p = TestImages.phantom(128);
        assertArrayEquals(new Reframe(1, 1, 0, 0, 1.6, 1.6).apply(p, new Random(4)).pixels(), shaped.apply(p, new Random(4)).pixels(),
                "shape_limit from a spec");
    }

    @Test
    void flipTwiceIsIdentity() {
        FloatImage img = TestImages.phantom(64);
        HorizontalFlip f = new HorizontalFlip();
        FloatImage once = f.apply(img, new Random(1));
        assertEquals(img.get(0, 10), once.get(63, 10));
        assertArrayEquals(img.pixels(), f.apply(once, new Random(2)).pixels());
    }

    @Test
    void probabilityZeroIsIdentity() {
        FloatImage img = TestImages.phantom(64);
        Transform never = Compose.of(Maybe.of(0, new HorizontalFlip()), OneOf.of(0, Blur.of(4), GridDistortion.defaults()),
                Maybe.of(0, new ShiftScaleRotate(0.2, 0.1, 20)));
        for (int s = 0; s < 20; s++) assertSame(img, never.apply(img, new Random(s)));
        assertSame(img, Augmentations.named("none").apply(img, new Random(1)));
    }

    @Test
    void zeroStrengthGeometryIsIdentity() {
        FloatImage img = TestImages.phantom(64);
        for (Transform t : List.of(new ShiftScaleRotate(0, 0, 0), new GridDistortion(5, 0), new OpticalDistortion(0, 0),
                new ElasticTransform(0, 9, 0, 224))) {
            FloatImage out = t.apply(img, new Random(3));
            assertTrue(meanAbsDiff(img, out) < 1e-5, t + " should not move pixels at zero strength");
        }
    }

    /**
     * albumentations' elastic field is uniform noise in [-1,1] smoothed by a Gaussian of sigma and scaled by
     * alpha: its std is alpha * 0.577 / (2 sqrt(pi) sigma), about 1.09 px for (60, 9) at 224 px. Ours must
     * match that at 224 and keep the same displacement relative to the image at other sizes.
     */
    @Test
    void elasticDisplacementMatchesAlbumentationsAndScalesWithSize() {
        double expected224 = 60 * Math.sqrt(1 / 3.0) / (2 * Math.sqrt(Math.PI) * 9);
        double rel224 = displacementStd(224) / 224, rel112 = displacementStd(112) / 112;
        assertEquals(expected224, rel224 * 224, expected224 * 0.15, "displacement at 224 px");
        assertEquals(rel224, rel112, rel224 * 0.2, "relative displacement at 112 vs 224 px");
    }

    /** Std (px) of the elastic shift, read off a horizontal ramp image (value encodes x). */
    private static double displacementStd(int n) {
        float[] p = new float[n * n];
        for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) p[y * n + x] = 0.25f + x / (2f * n);
        FloatImage ramp = new FloatImage(n, n, p);
        double s2 = 0;
        int c = 0;
        for (int seed = 0; seed < 10; seed++) {
            FloatImage o = new ElasticTransform(60, 9, 0, 224).apply(ramp, new Random(seed));
            for (int y = n / 8; y < n * 7 / 8; y++)
                for (int x = n / 8; x < n * 7 / 8; x++) {
                    double d = (o.get(x, y) - ramp.get(x, y)) * 2 * n;
                    s2 += d * d;
                    c++;
                }
        }
        return Math.sqrt(s2 / c);
    }

    @Test
    void sameSeedSameOutput() {
        FloatImage img = TestImages.phantom(96);
        for (Map.Entry<String, Transform> e : all().entrySet()) {
            assertArrayEquals(e.getValue().apply(img, new Random(42)).pixels(), e.getValue().apply(img, new Random(42)).pixels(), e.getKey());
        }
    }

    @Test
    void oneOfPicksEachOptionEvenly() {
        int[] hits = new int[3];
        Transform[] opts = new Transform[3];
        for (int k = 0; k < 3; k++) {
            int idx = k;
            opts[k] = (im, r) -> { hits[idx]++; return im; };
        }
        OneOf one = OneOf.of(1.0, opts);
        FloatImage img = TestImages.phantom(32);
        Random r = new Random(9);
        int draws = 6000;
        for (int i = 0; i < draws; i++) one.apply(img, r);
        for (int k = 0; k < 3; k++)
            assertEquals(draws / 3.0, hits[k], draws * 0.03, "option " + k + " chosen " + hits[k] + " of " + draws);
    }

    @Test
    void maybeFiresAtItsProbability() {
        int[] hits = new int[1];
        Maybe m = Maybe.of(0.3, (im, r) -> { hits[0]++; return im; });
        Random r = new Random(4);
        FloatImage img = TestImages.phantom(32);
        for (int i = 0; i < 10000; i++) m.apply(img, r);
        assertEquals(3000, hits[0], 200);
    }

    @Test
    void gammaAndBlurDoWhatTheySay() {
        float[] flat = new float[32 * 32];
        java.util.Arrays.fill(flat, 0.5f);
        FloatImage grey = new FloatImage(32, 32, flat);
        FloatImage g = new RandomGamma(80, 80).apply(grey, new Random(1));
        assertEquals(Math.pow(0.5, 0.8), g.get(5, 5), 1e-3);
        assertEquals(0.5, Blur.of(4).apply(grey, new Random(1)).get(0, 0), 1e-6, "blurring a flat image keeps it flat");
        assertEquals(0.5, MotionBlur.of(4).apply(grey, new Random(1)).get(31, 31), 1e-6);
        // A bright dot spreads over exactly a 3x3 box (kernel 3 is all blur_limit 4 allows).
        float[] dot = new float[32 * 32];
        dot[16 * 32 + 16] = 0.9f;
        FloatImage b = Blur.of(4).apply(new FloatImage(32, 32, dot), new Random(1));
        assertEquals(0.1, b.get(15, 15), 1e-6);
        assertEquals(0.0, b.get(14, 16), 1e-6);
    }

    static double meanAbsDiff(FloatImage a, FloatImage b) {
        double s = 0;
        for (int i = 0; i < a.pixels().length; i++) s += Math.abs(a.pixels()[i] - b.pixels()[i]);
        return s / a.pixels().length;
    }
}
