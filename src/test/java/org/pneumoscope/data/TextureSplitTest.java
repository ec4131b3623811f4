package org.pneumoscope.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/** The blurriest-normals holdout on films of known sharpness (TexturedFilms) and on large synthetic sets. */
class TextureSplitTest {
    @TempDir static Path tmp;
    static TexturedFilms.Dataset films;
    static List<Sample> samples;

    @BeforeAll
    static void writeFilms() {
        films = TexturedFilms.write(tmp.resolve("films"), 7);
        samples = DatasetReader.read(films.manifest()).requireImages().samples();
    }

    @Test
    void sharpnessIsTheMeanAbsoluteLaplacianOfThe224Film() {
        for (int a : new int[] {0, 1, 5, 16}) assertEquals(8.0 * a, TextureSplit.sharpness(TexturedFilms.film(a)), 0, "amplitude " + a);
        // another size is squashed to 224 first: a 448 checkerboard averages to flat grey, a 112 one is interpolated
        byte[] px = new byte[448 * 448];
        for (int y = 0; y < 448; y++) for (int x = 0; x < 448; x++) px[y * 448 + x] = (byte) ((x + y) % 2 == 0 ? 200 : 40);
        assertEquals(0, TextureSplit.sharpness(new GreyImage(448, 448, px)), 1e-9, "each output pixel averages two of each");
        byte[] small = new byte[112 * 112];
        for (int y = 0; y < 112; y++) for (int x = 0; x < 112; x++) small[y * 112 + x] = (byte) ((x + y) % 2 == 0 ? 144 : 112);
        double enlarged = TextureSplit.sharpness(new GreyImage(112, 112, small));
        assertTrue(enlarged > 0 && enlarged < 8 * 16 / 2.0, "enlarging smooths: " + enlarged);
        // a wide film is squashed, not letterboxed: no padding edge adds sharpness
        assertEquals(0, TextureSplit.sharpness(new GreyImage(300, 150, new byte[300 * 150])), 0);
    }

    @Test
    void measuresEveryFilmAndSkipsTheBrokenOnesWithAReason() {
        TextureSplit.Measured m = TextureSplit.measure(samples, 2);
        for (int i = 0; i < samples.size(); i++) {
            Path f = samples.get(i).file().toAbsolutePath().normalize();
            if (films.broken().contains(f)) assertTrue(Double.isNaN(m.sharpness()[i]), f.toString());
            else assertEquals(films.films().get(f), m.sharpness()[i], 0, f.toString());
        }
        assertEquals(films.broken().size(), m.problems().size(), m.problems().toString());
        for (Problem p : m.problems()) {
            assertTrue(films.broken().contains(p.file().toAbsolutePath().normalize()), p.toString());
            assertFalse(p.reason().isBlank(), p.toString());
        }
    }

    @Test
    void holdsOutExactlyTheBlurriestQuarterOfTheNormalClassPatients() {
        TextureSplit.Holdout h = TextureSplit.holdout(samples, 0.25, 0.15, 42, 2);
        Set<String> blurriest = new TreeSet<>(), heldNormals = new TreeSet<>();
        films.level().forEach((id, k) -> { if (k <= 8) blurriest.add(id); }); // round(0.25 · 30) = 8
        for (String id : films.level().keySet()) if (h.patients().contains(id)) heldNormals.add(id);
        assertEquals(blurriest, heldNormals);
        assertEquals(30, h.normalPatients(), "the patient with no readable film is not ranked");
        assertEquals(8, h.normalsHeldOut());
        assertEquals(1, h.unmeasuredNormals());
        assertFalse(h.patients().contains(films.unreadable()));
        assertEquals(4.0 * 8, h.cut(), 0, "the sharpest held-out normal patient");
        assertEquals(2, h.problems().size());
        // the mixed patients are smoother than any normal, yet not normal-class: they may only be drawn with the others
        assertEquals(72, h.otherPatients());
        // medians from the films as written
        assertEquals(median(sharpnessOf(blurriest)), h.heldOutNormalMedian(), 0);
        Set<String> kept = new HashSet<>(films.level().keySet());
        kept.removeAll(blurriest);
        assertEquals(median(sharpnessOf(kept)), h.keptNormalMedian(), 0);
        List<Double> normals = new ArrayList<>();
        for (Sample s : samples) {
            Double v = films.films().get(s.file().toAbsolutePath().normalize());
            if (v != null && s.label() == Label.NORMAL) normals.add(v);
        }
        assertEquals(median(normals), h.classMedians().get(Label.NORMAL), 0, "every normal film, the mixed patients' too");
        assertTrue(h.heldOutNormalMedian() < h.keptNormalMedian());
    }

    @Test
    void theSplitKeepsPatientsWholeAndIsTheSameForASeed() {
        TextureSplit.Holdout h = TextureSplit.holdout(samples, 0.25, 0.15, 42, 2);
        List<Sample> split = TextureSplit.assign(samples, h, 8, 1, 42);
        Map<String, String> of = BatchSplitTest.splitOfPatient(split);
        of.forEach((p, s) -> assertEquals(h.patients().contains(p), "test".equals(s), p));
        assertEquals(Set.of("train", "val", "test"), new HashSet<>(of.values()));
        for (int i = 0; i < samples.size(); i++) assertEquals(samples.get(i).file(), split.get(i).file(), "same order as the input");

        List<Sample> shuffled = new ArrayList<>(samples);
        Collections.shuffle(shuffled, new Random(3));
        TextureSplit.Holdout again = TextureSplit.holdout(shuffled, 0.25, 0.15, 42, 1);
        // the same holdout whatever the order and the threads (problems are listed in input order)
        assertEquals(new HashSet<>(h.problems()), new HashSet<>(again.problems()));
        assertEquals(h, new TextureSplit.Holdout(again.ranking(), again.patients(), again.textureFraction(), again.otherFraction(),
                again.normalPatients(), again.normalsHeldOut(), again.unmeasuredNormals(), again.otherPatients(), again.othersHeldOut(),
                again.cut(), again.classMedians(), again.heldOutNormalMedian(), again.keptNormalMedian(), h.problems()));
        assertEquals(of, BatchSplitTest.splitOfPatient(TextureSplit.assign(shuffled, again, 8, 1, 42)));
        TextureSplit.Holdout seed7 = TextureSplit.holdout(samples, 0.25, 0.15, 7, 2);
        assertNotEquals(h.patients(), seed7.patients(), "another seed draws other patients from the others");
        for (String id : films.level().keySet())
            assertEquals(h.patients().contains(id), seed7.patients().contains(id), "the blurry normals do not depend on the seed: " + id);
    }

    /** A ranking that holds out the high end: the sharpest quarter, cut at the least sharp of them. */
    @Test
    void aRankingMayHoldOutTheHighEndOfItsMeasure() {
        TextureSplit.Ranking sharpest = new TextureSplit.Ranking("sharpest", "Sharpness", TextureSplit::sharpness, true);
        TextureSplit.Holdout h = TextureSplit.holdout(samples, sharpest, 0.25, 0.15, 42, 2);
        List<Integer> levels = new ArrayList<>();
        films.level().forEach((id, k) -> { if (!id.equals(films.unreadable())) levels.add(k); });
        Collections.sort(levels);
        int lowestHeld = levels.get(levels.size() - 8);
        Set<String> expected = new TreeSet<>(), held = new TreeSet<>();
        films.level().forEach((id, k) -> { if (k >= lowestHeld && !id.equals(films.unreadable())) expected.add(id); });
        for (String id : films.level().keySet()) if (h.patients().contains(id)) held.add(id);
        assertEquals(expected, held);
        assertEquals(4.0 * lowestHeld, h.cut(), 0, "the least sharp held-out normal patient");
        assertSame(sharpest, h.ranking());
        assertTrue(h.heldOutNormalMedian() > h.keptNormalMedian());
    }

    /**
     * A Kermany-sized set without images (sharpness made up, normals sharper than the rest as in the real data):
     * the blurriest quarter exactly, and 15 % of the others' patients and images per class.
     */
    @Test
    void othersAreAStratifiedFifteenPercent() {
        List<Sample> data = BatchSplitTest.kermanyLike(5);
        Random r = new Random(11);
        double[] sharp = new double[data.size()];
        for (int i = 0; i < sharp.length; i++) sharp[i] = (data.get(i).label() == Label.NORMAL ? 7.3 : 5.3) + r.nextGaussian();
        TextureSplit.Holdout h = TextureSplit.holdout(data, new TextureSplit.Measured(sharp, List.of()), 0.25, 0.15, 42);

        Map<String, List<Double>> normal = new HashMap<>();
        Map<String, Label> other = new HashMap<>();
        for (int i = 0; i < data.size(); i++) {
            Sample s = data.get(i);
            if (s.label() == Label.NORMAL) normal.computeIfAbsent(s.patientId(), k -> new ArrayList<>()).add(sharp[i]);
            else other.put(s.patientId(), s.label()); // person patients: one class per film, majority not needed here
        }
        normal.keySet().removeAll(other.keySet());
        List<String> byMedian = new ArrayList<>(normal.keySet());
        byMedian.sort((a, b) -> Double.compare(median(normal.get(a)), median(normal.get(b))));
        Set<String> expected = new HashSet<>(byMedian.subList(0, (int) Math.round(0.25 * byMedian.size())));
        Set<String> held = new HashSet<>(h.patients());
        held.retainAll(normal.keySet());
        assertEquals(expected, held);
        assertEquals(h.cut(), median(normal.get(byMedian.get(expected.size() - 1))), 0);

        assertEquals(0.15, h.othersHeldOut() / (double) h.otherPatients(), 0.01);
        for (Label l : List.of(Label.BACTERIA, Label.VIRUS)) {
            long all = data.stream().filter(s -> s.label() == l).count();
            long test = data.stream().filter(s -> s.label() == l && h.holds(s)).count();
            assertEquals(0.15, test / (double) all, 0.01, l.id() + " films");
        }
    }

    @Test
    void badFractionsAreRefusedAndTheStrategyParses() {
        assertThrows(IllegalArgumentException.class, () -> TextureSplit.holdout(samples, 0, 0.15, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> TextureSplit.holdout(samples, 0.25, 0.5, 1, 1));
        assertEquals(SplitStrategy.TEXTURE, SplitStrategy.parse("Texture"));
        assertEquals(SplitStrategy.SHAPE, SplitStrategy.parse("shape"));
        assertTrue(SplitStrategy.SHAPE.ranksNormals() && !SplitStrategy.BATCH.ranksNormals());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> SplitStrategy.parse("blur"));
        assertTrue(bad.getMessage().contains("patient, batch, texture"), bad.getMessage());
    }

    private List<Double> sharpnessOf(Set<String> patients) {
        List<Double> v = new ArrayList<>();
        for (Sample s : samples)
            if (patients.contains(s.patientId())) {
                Double x = films.films().get(s.file().toAbsolutePath().normalize());
                if (x != null) v.add(x);
            }
        return v;
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int m = s.size() / 2;
        return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
    }
}
