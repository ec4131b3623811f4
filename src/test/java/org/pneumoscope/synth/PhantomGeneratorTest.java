package org.pneumoscope.synth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class PhantomGeneratorTest {
    private final PhantomGenerator gen = new PhantomGenerator();

    @Test
    void sameSeedGivesSameFilm() {
        for (Label l : Label.values()) {
            PhantomGenerator.Phantom a = gen.render(l, 96, new Random(11)), b = gen.render(l, 96, new Random(11));
            assertArrayEquals(a.image().pixels(), b.image().pixels(), l + " image");
            assertArrayEquals(a.lesionMask().pixels(), b.lesionMask().pixels(), l + " lesion mask");
            assertArrayEquals(a.lungMask().pixels(), b.lungMask().pixels(), l + " lung mask");
            PhantomGenerator.Phantom c = gen.render(l, 96, new Random(12));
            assertFalse(Arrays.equals(a.image().pixels(), c.image().pixels()), "another seed must give another film");
        }
    }

    @Test
    void lesionMasksMatchTheClassAndStayInsideTheLungs() {
        for (int k = 0; k < 40; k++) {
            for (Label l : Label.values()) {
                PhantomGenerator.Phantom p = gen.render(l, 96, new Random(1000 + k));
                assertEquals(96, p.image().width());
                assertEquals(96 * 96, p.lesionMask().pixels().length);
                int lung = count(p.lungMask());
                assertTrue(lung > 96 * 96 / 10, "lung fields should cover a good part of the film, got " + lung + " px");
                if (l == Label.NORMAL) {
                    assertEquals(0, p.lesionPixels(), "normal film must have an empty lesion mask");
                } else {
                    assertTrue(p.lesionPixels() > 0, l + " film " + k + " has an empty lesion mask");
                }
                int notBinary = 0, outside = 0;
                for (int i = 0; i < p.lesionMask().pixels().length; i++) {
                    int m = p.lesionMask().pixels()[i] & 0xff;
                    if (m != 0 && m != 255) notBinary++;
                    if (m != 0 && p.lungMask().pixels()[i] == 0) outside++;
                }
                assertEquals(0, notBinary, "mask must be binary");
                assertEquals(0, outside, l + " film " + k + ": lesion pixels outside the lungs");
            }
        }
    }

    @Test
    void filmsLookLikeChestRadiographs() {
        int n = 96;
        for (int k = 0; k < 30; k++) {
            PhantomGenerator.Phantom p = gen.render(Label.of(k % 3), n, new Random(50 + k));
            GreyImage img = p.image();
            int[] sorted = new int[n * n];
            for (int i = 0; i < sorted.length; i++) sorted[i] = img.pixels()[i] & 0xff;
            Arrays.sort(sorted);
            int p2 = sorted[sorted.length / 50], p98 = sorted[sorted.length * 49 / 50];
            assertTrue(p98 - p2 > 90, "film " + k + " has too little contrast: " + p2 + ".." + p98);
            assertTrue(sorted[sorted.length / 2] > 30 && sorted[sorted.length / 2] < 230, "film " + k + " is blank");
            long saturated = Arrays.stream(sorted).filter(v -> v >= 254).count();
            assertTrue(saturated < sorted.length / 5, "film " + k + " is burnt out: " + saturated + " white pixels");
            // Radiolucent lungs: darker than the mediastinum (central strip between them at mid height).
            double lungMean = meanWhere(img, p.lungMask(), true);
            double central = 0;
            int c = 0;
            for (int y = n * 3 / 10; y < n * 6 / 10; y++)
                for (int x = n / 2 - 2; x <= n / 2 + 2; x++) { central += img.get(x, y); c++; }
            assertTrue(lungMean + 25 < central / c, "film " + k + ": lungs (" + lungMean + ") not darker than mediastinum (" + central / c + ")");
            // Air outside the patient: the top corners are darker than the lungs' surroundings on average.
            assertTrue(img.get(1, 1) < central / c, "film " + k + ": corner brighter than mediastinum");
        }
    }

    @Test
    void lesionsAreDenserThanTheRestOfTheLung() {
        int denser = 0, total = 0;
        for (int k = 0; k < 40; k++) {
            for (Label l : new Label[]{Label.BACTERIA, Label.VIRUS}) {
                PhantomGenerator.Phantom p = gen.render(l, 96, new Random(300 + k));
                byte[] lesion = p.lesionMask().pixels(), lung = p.lungMask().pixels();
                double in = 0, out = 0;
                int ni = 0, no = 0;
                for (int i = 0; i < lesion.length; i++) {
                    if (lung[i] == 0) continue;
                    int v = p.image().pixels()[i] & 0xff;
                    if (lesion[i] != 0) { in += v; ni++; } else { out += v; no++; }
                }
                if (ni == 0 || no == 0) continue;
                total++;
                if (in / ni > out / no) denser++;
            }
        }
        assertTrue(total >= 60, "too few comparable films: " + total);
        assertTrue(denser >= total * 0.85, "lesions should usually be brighter than the clear lung: " + denser + "/" + total);
    }

    /** The class must not be guessable from overall brightness: a classifier has to find the lesion. */
    @Test
    void classesAreNotSeparableByMeanBrightness() {
        int per = 120;
        double[][] mean = new double[3][per];
        for (Label l : Label.values())
            for (int k = 0; k < per; k++) {
                GreyImage img = gen.render(l, 64, new Random(9000 + 1000L * l.index() + k)).image();
                long s = 0;
                for (byte b : img.pixels()) s += b & 0xff;
                mean[l.index()][k] = s / (double) img.pixels().length;
            }
        double bac = bestThresholdAccuracy(mean[0], mean[2]), vir = bestThresholdAccuracy(mean[1], mean[2]);
        assertTrue(bac < 0.75, "bacteria vs normal separable by brightness alone: " + bac);
        assertTrue(vir < 0.75, "virus vs normal separable by brightness alone: " + vir);
    }

    static double bestThresholdAccuracy(double[] a, double[] b) {
        double best = 0;
        List<Double> cuts = new ArrayList<>();
        for (double v : a) cuts.add(v);
        for (double v : b) cuts.add(v);
        for (double t : cuts) {
            int right = 0;
            for (double v : a) if (v > t) right++;
            for (double v : b) if (v <= t) right++;
            double acc = right / (double) (a.length + b.length);
            best = Math.max(best, Math.max(acc, 1 - acc));
        }
        return best;
    }

    @Test
    void generateWritesClassFoldersMasksAndManifestIndependentOfThreads(@TempDir Path tmp) throws IOException {
        Path one = tmp.resolve("one"), two = tmp.resolve("two");
        PhantomGenerator.Summary s1 = gen.generate(one, 40, 64, 7, 1);
        PhantomGenerator.Summary s2 = gen.generate(two, 40, 64, 7, 2);
        assertEquals(40, s1.total());
        assertEquals(s1, new PhantomGenerator.Summary(one, s2.total(), s2.bacteria(), s2.virus(), s2.normal(), s2.patients()));
        List<String> m1 = Files.readAllLines(one.resolve("manifest.csv")), m2 = Files.readAllLines(two.resolve("manifest.csv"));
        assertEquals("file,label,patient_id", m1.get(0));
        assertEquals(m1, m2, "manifest must not depend on the thread count");
        assertEquals(41, m1.size());
        Map<String, List<String>> labelsByPatient = new HashMap<>();
        int[] perClass = new int[3];
        for (String line : m1.subList(1, m1.size())) {
            String[] f = line.split(",");
            Label l = Label.parse(f[1]);
            assertNotNull(l, line);
            perClass[l.index()]++;
            assertTrue(f[0].startsWith(l.id() + "/"), "file in its class folder: " + line);
            assertArrayEquals(Files.readAllBytes(one.resolve(f[0])), Files.readAllBytes(two.resolve(f[0])), "same bytes for " + f[0]);
            GreyImage mask = ImageFiles.readGrey(one.resolve("masks").resolve(f[0]));
            GreyImage img = ImageFiles.readGrey(one.resolve(f[0]));
            assertEquals(64, img.width());
            assertEquals(64, mask.width());
            labelsByPatient.computeIfAbsent(f[2], k -> new ArrayList<>()).add(f[1]);
        }
        assertArrayEquals(new int[]{14, 13, 13}, perClass);
        long twice = labelsByPatient.values().stream().filter(v -> v.size() == 2).count();
        assertTrue(twice >= 2, "some patients should have two films, got " + twice);
        for (List<String> v : labelsByPatient.values()) assertEquals(1, v.stream().distinct().count(), "a patient keeps one class");
        try (var files = Files.walk(one)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp files left behind");
        }
    }

    @Test
    void patientIdsAreUniquePerSeedAndTheSameWhenASetIsRenderedAgain(@TempDir Path tmp) throws IOException {
        Map<String, List<String>> ids = new HashMap<>();
        for (String name : List.of("seed7", "seed8", "seed7-again")) {
            Path dir = tmp.resolve(name);
            gen.generate(dir, 20, 64, name.startsWith("seed7") ? 7 : 8, 1);
            List<String> rows = Files.readAllLines(dir.resolve("manifest.csv"));
            ids.put(name, rows.subList(1, rows.size()).stream().map(r -> r.split(",")[2]).toList());
        }
        assertEquals("ph7-00001", ids.get("seed7").get(0));
        assertEquals(ids.get("seed7"), ids.get("seed7-again"), "a set rendered twice from one seed is the same set");
        List<String> shared = ids.get("seed7").stream().filter(ids.get("seed8")::contains).toList();
        assertEquals(List.of(), shared, "sets from two seeds share no patient id");
    }

    @Test
    void samePatientSharesAnatomyButNotTheFilm() {
        PhantomGenerator.Anatomy a = PhantomGenerator.Anatomy.sample(new Random(5));
        PhantomGenerator.Phantom x = gen.render(Label.NORMAL, 64, a, new Random(1)), y = gen.render(Label.NORMAL, 64, a, new Random(2));
        assertFalse(Arrays.equals(x.image().pixels(), y.image().pixels()));
        // Same lungs, differently positioned: the lung areas agree within positioning/scale differences.
        double ratio = count(x.lungMask()) / (double) count(y.lungMask());
        assertTrue(ratio > 0.7 && ratio < 1.43, "lung area ratio " + ratio);
    }

    @Test
    void rejectsSillySizes() {
        assertThrows(IllegalArgumentException.class, () -> gen.render(Label.NORMAL, 8, new Random(1)));
    }

    static int count(GreyImage m) {
        int c = 0;
        for (byte b : m.pixels()) if (b != 0) c++;
        return c;
    }

    static double meanWhere(GreyImage img, GreyImage mask, boolean inside) {
        double s = 0;
        int c = 0;
        for (int i = 0; i < img.pixels().length; i++)
            if ((mask.pixels()[i] != 0) == inside) { s += img.pixels()[i] & 0xff; c++; }
        return s / Math.max(1, c);
    }
}
