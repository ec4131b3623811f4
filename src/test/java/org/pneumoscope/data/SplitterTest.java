package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
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

import static org.junit.jupiter.api.Assertions.*;

class SplitterTest {

    /** Patients with 1-5 images, imbalanced classes, and some patients with two labels (as in Kermany). */
    static List<Sample> synthetic(int patients, long seed) {
        Random r = new Random(seed);
        List<Sample> out = new ArrayList<>();
        for (int p = 0; p < patients; p++) {
            double u = r.nextDouble();
            Label main = u < 0.5 ? Label.BACTERIA : u < 0.75 ? Label.VIRUS : Label.NORMAL;
            int n = 1 + r.nextInt(5);
            for (int i = 0; i < n; i++) {
                Label l = main != Label.NORMAL && r.nextDouble() < 0.1 ? (main == Label.BACTERIA ? Label.VIRUS : Label.BACTERIA) : main;
                out.add(new Sample(Path.of("data", "p" + p + "_" + i + ".jpg"), l, "p" + p, null));
            }
        }
        return out;
    }

    /** Asserts no patient is in two splits; returns split to class counts. */
    static Map<String, int[]> checkGrouped(List<Sample> split) {
        Map<String, String> patientSplit = new HashMap<>();
        Map<String, int[]> counts = new HashMap<>();
        for (Sample s : split) {
            String prev = patientSplit.putIfAbsent(s.patientId(), s.split());
            assertTrue(prev == null || prev.equals(s.split()), "patient " + s.patientId() + " in " + prev + " and " + s.split());
            counts.computeIfAbsent(s.split(), k -> new int[Label.COUNT])[s.label().index()]++;
        }
        return counts;
    }

    /** Each class's share of each split is within {@code points} percentage points of the requested ratio. */
    static void checkStratified(List<Sample> split, double[] ratios, double points) {
        Map<String, int[]> counts = checkGrouped(split);
        double sum = ratios[0] + ratios[1] + ratios[2];
        int[] totals = new int[Label.COUNT];
        for (int[] c : counts.values()) for (int i = 0; i < Label.COUNT; i++) totals[i] += c[i];
        for (int k = 0; k < 3; k++) {
            int[] c = counts.getOrDefault(Splitter.SPLITS.get(k), new int[Label.COUNT]);
            for (Label l : Label.values()) {
                double share = 100.0 * c[l.index()] / totals[l.index()];
                assertEquals(100.0 * ratios[k] / sum, share, points, l.id() + " in " + Splitter.SPLITS.get(k));
            }
        }
    }

    @Test
    void patientsStayTogetherAndClassesAreStratified() {
        List<Sample> data = synthetic(1500, 1);
        double[] r = {8, 1, 1};
        List<Sample> split = Splitter.assign(data, r, 42);
        assertEquals(data.size(), split.size());
        for (int i = 0; i < data.size(); i++) {
            assertEquals(data.get(i).file(), split.get(i).file(), "same order as the input");
            assertNotNull(split.get(i).split());
        }
        checkStratified(split, r, 2.0);
    }

    @Test
    void sameSeedSameSplitWhateverTheInputOrder() {
        List<Sample> data = synthetic(400, 2);
        List<Sample> a = Splitter.assign(data, new double[]{7, 2, 1}, 5);
        List<Sample> shuffled = new ArrayList<>(data);
        Collections.shuffle(shuffled, new Random(9));
        Map<Path, String> b = new HashMap<>();
        for (Sample s : Splitter.assign(shuffled, new double[]{7, 2, 1}, 5)) b.put(s.file(), s.split());
        for (Sample s : a) assertEquals(s.split(), b.get(s.file()));
        List<Sample> other = Splitter.assign(data, new double[]{7, 2, 1}, 6);
        assertNotEquals(a, other, "another seed gives another split");
    }

    @Test
    void zeroRatioMeansNoSuchSplit() {
        List<Sample> split = Splitter.assign(synthetic(200, 3), new double[]{9, 1, 0}, 1);
        assertTrue(split.stream().noneMatch(s -> "test".equals(s.split())));
        assertTrue(split.stream().anyMatch(s -> "val".equals(s.split())));
    }

    @Test
    void existingSplitsCanBeKept() {
        List<Sample> data = new ArrayList<>(synthetic(600, 4));
        // Pretend the source fixed a test set: every image of patients p0..p49, and one image of p50.
        for (int i = 0; i < data.size(); i++) {
            Sample s = data.get(i);
            int p = Integer.parseInt(s.patientId().substring(1));
            if (p < 50 || (p == 50 && s.file().toString().endsWith("_0.jpg"))) data.set(i, s.withSplit("test"));
        }
        List<Sample> split = Splitter.assign(data, new double[]{8, 1, 1}, 7, true);
        checkGrouped(split);
        for (int i = 0; i < data.size(); i++) {
            if (data.get(i).split() != null) assertEquals("test", split.get(i).split());
            if (data.get(i).patientId().equals("p50")) assertEquals("test", split.get(i).split(), "joins the patient's split");
        }
        // Without keepExisting the old splits are ignored.
        List<Sample> fresh = Splitter.assign(data, new double[]{8, 1, 1}, 7);
        assertTrue(fresh.stream().filter(s -> s.patientId().equals("p0")).anyMatch(s -> !"test".equals(s.split()))
                || fresh.stream().filter(s -> s.patientId().equals("p1")).anyMatch(s -> !"test".equals(s.split())));
    }

    @Test
    void foldsAreGroupedBalancedAndStratified() {
        List<Sample> data = synthetic(1000, 5);
        int k = 5;
        int[] fold = Splitter.kFold(data, k, 11);
        assertEquals(data.size(), fold.length);
        Map<String, Integer> patientFold = new HashMap<>();
        int[][] perClass = new int[k][Label.COUNT];
        int[] totals = new int[Label.COUNT];
        for (int i = 0; i < data.size(); i++) {
            assertTrue(fold[i] >= 0 && fold[i] < k);
            Integer prev = patientFold.putIfAbsent(data.get(i).patientId(), fold[i]);
            assertTrue(prev == null || prev == fold[i]);
            perClass[fold[i]][data.get(i).label().index()]++;
            totals[data.get(i).label().index()]++;
        }
        for (int f = 0; f < k; f++)
            for (Label l : Label.values())
                assertEquals(20.0, 100.0 * perClass[f][l.index()] / totals[l.index()], 2.0, "fold " + f + " " + l.id());
        assertArrayEquals(fold, Splitter.kFold(data, k, 11));
    }

    @Test
    void mixedLabelPatientsFollowTheirMajority() {
        List<Sample> data = new ArrayList<>(synthetic(300, 6));
        // One patient with 3 virus and 1 bacteria image.
        for (int i = 0; i < 3; i++) data.add(new Sample(Path.of("m_v" + i + ".jpg"), Label.VIRUS, "mixed", null));
        data.add(new Sample(Path.of("m_b.jpg"), Label.BACTERIA, "mixed", null));
        List<Sample> split = Splitter.assign(data, new double[]{8, 1, 1}, 3);
        Set<String> splits = new HashSet<>();
        for (Sample s : split) if (s.patientId().equals("mixed")) splits.add(s.split());
        assertEquals(1, splits.size());
    }

    @Test
    void ratiosParse() {
        assertArrayEquals(new double[]{8, 1, 1}, Splitter.parseRatios("8:1:1"));
        assertArrayEquals(new double[]{0.7, 0.15, 0.15}, Splitter.parseRatios("0.7,0.15,0.15"));
        assertArrayEquals(new double[]{80, 20, 0}, Splitter.parseRatios("80/20/0"));
        assertThrows(IllegalArgumentException.class, () -> Splitter.parseRatios("8:2"));
        assertThrows(IllegalArgumentException.class, () -> Splitter.parseRatios("8:-1:1"));
        assertThrows(IllegalArgumentException.class, () -> Splitter.parseRatios("0:0:0"));
        assertThrows(IllegalArgumentException.class, () -> Splitter.parseRatios("a:b:c"));
    }
}
