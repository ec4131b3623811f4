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
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The leave-one-batch-out split on synthetic Kermany-like patient ids (no images needed). */
class BatchSplitTest {

    /**
     * Three families with gaps in their numbers (IM-0100.., NORMAL2-IM-0383.., person1..), 1-3 films per patient,
     * person films bacterial or viral, and a few patients whose ids have no digits. Shuffled.
     */
    static List<Sample> kermanyLike(long seed) {
        Random r = new Random(seed);
        List<Sample> out = new ArrayList<>();
        addFamily(out, r, "IM-%04d", 100, 237, Label.NORMAL);
        addFamily(out, r, "NORMAL2-IM-%04d", 383, 311, Label.NORMAL);
        addFamily(out, r, "person%d", 1, 453, null);
        for (String id : List.of("anonymous", "no-number-here", "x"))
            out.add(new Sample(Path.of("data", id + ".jpeg"), Label.NORMAL, id, null));
        Collections.shuffle(out, r);
        return out;
    }

    private static void addFamily(List<Sample> out, Random r, String format, int first, int patients, Label label) {
        int number = first;
        for (int p = 0; p < patients; p++) {
            number += 1 + r.nextInt(3); // numbers with gaps, as in the real data
            String id = String.format(format, number);
            int films = 1 + r.nextInt(3);
            for (int f = 0; f < films; f++) {
                Label l = label != null ? label : r.nextDouble() < 0.65 ? Label.BACTERIA : Label.VIRUS;
                out.add(new Sample(Path.of("data", id + "-" + f + ".jpeg"), l, id, null));
            }
        }
    }

    private static final Pattern LAST_NUMBER = Pattern.compile("^(.*?)(\\d+)(\\D*)$");

    /** Family → patient ids sorted by number, worked out here independently of BatchSplit. */
    static Map<String, List<String>> familiesByNumber(List<Sample> samples) {
        Map<String, List<String>> fam = new TreeMap<>();
        Set<String> seen = new HashSet<>();
        for (Sample s : samples) {
            if (!seen.add(s.patientId())) continue;
            Matcher m = LAST_NUMBER.matcher(s.patientId());
            if (m.matches()) fam.computeIfAbsent(m.group(1) + m.group(3), k -> new ArrayList<>()).add(s.patientId());
        }
        for (List<String> ids : fam.values())
            ids.sort((a, b) -> Long.compare(number(a), number(b)));
        return fam;
    }

    static long number(String id) {
        Matcher m = LAST_NUMBER.matcher(id);
        assertTrue(m.matches(), id);
        return Long.parseLong(m.group(2));
    }

    /** Patient → its one split; fails when a patient's films are in two splits. */
    static Map<String, String> splitOfPatient(List<Sample> split) {
        Map<String, String> of = new HashMap<>();
        for (Sample s : split) {
            String prev = of.putIfAbsent(s.patientId(), s.split());
            assertTrue(prev == null || prev.equals(s.split()), s.patientId() + " in " + prev + " and " + s.split());
        }
        return of;
    }

    @Test
    void familiesAndNumbersComeFromTheLastRunOfDigits() {
        assertEquals("IM-", BatchSplit.family("IM-0115"));
        assertEquals("NORMAL2-IM-", BatchSplit.family("NORMAL2-IM-0383"));
        assertEquals("person", BatchSplit.family("person12"));
        assertEquals("scan-.png", BatchSplit.family("scan-7.png"));
        assertEquals("", BatchSplit.family("0042"));
        assertNull(BatchSplit.family("anonymous"));
        assertNull(BatchSplit.family(null));
    }

    @Test
    void earlyHoldsOutTheLowestTenPercentOfEachFamily() {
        List<Sample> data = kermanyLike(1);
        BatchSplit.Holdout h = BatchSplit.holdout(data, 0.10, BatchSplit.End.EARLY);
        List<Sample> split = BatchSplit.assign(data, h, 8, 1, 42);
        Map<String, String> of = splitOfPatient(split);
        Map<String, List<String>> fam = familiesByNumber(data);
        assertEquals(Set.of("IM-", "NORMAL2-IM-", "person"), fam.keySet());
        Set<String> expected = new HashSet<>();
        for (List<String> ids : fam.values()) expected.addAll(ids.subList(0, (int) Math.round(0.10 * ids.size())));
        Set<String> test = new HashSet<>();
        of.forEach((p, s) -> { if ("test".equals(s)) test.add(p); });
        assertEquals(expected, test, "test = exactly the lowest-numbered 10 % of each family");
        assertEquals(expected, h.patients());
        for (String id : List.of("anonymous", "no-number-here", "x")) assertNotEquals("test", of.get(id), id + " has no number");
        assertEquals(3, h.withoutNumber());
        // the printed summary per family: counts and the one range, from the first to the last held-out number
        for (BatchSplit.Family f : h.families()) {
            List<String> ids = fam.get(f.name());
            int k = (int) Math.round(0.10 * ids.size());
            assertEquals(ids.size(), f.patients(), f.name());
            assertEquals(k, f.heldOut(), f.name());
            assertEquals(1, f.ranges().size(), f.name());
            assertEquals(number(ids.get(0)), Long.parseLong(f.ranges().get(0).from()), f.name());
            assertEquals(number(ids.get(k - 1)), Long.parseLong(f.ranges().get(0).to()), f.name());
        }
        // the rest: train and val only, by patient, about 8:1 of the images
        long train = split.stream().filter(s -> "train".equals(s.split())).count();
        long val = split.stream().filter(s -> "val".equals(s.split())).count();
        assertEquals(split.size(), train + val + split.stream().filter(s -> "test".equals(s.split())).count(), "no other split");
        assertEquals(1.0 / 9, val / (double) (train + val), 0.02);
        assertEquals(data.size(), split.size());
        for (int i = 0; i < data.size(); i++) assertEquals(data.get(i).file(), split.get(i).file(), "same order as the input");
    }

    @Test
    void lateAndBothTakeTheOtherEnds() {
        List<Sample> data = kermanyLike(2);
        Map<String, List<String>> fam = familiesByNumber(data);
        Set<String> late = BatchSplit.holdout(data, 0.15, BatchSplit.End.LATE).patients();
        Set<String> both = BatchSplit.holdout(data, 0.15, BatchSplit.End.BOTH).patients();
        Set<String> expectLate = new HashSet<>(), expectBoth = new HashSet<>();
        for (List<String> ids : fam.values()) {
            int n = ids.size(), k = (int) Math.round(0.15 * n);
            expectLate.addAll(ids.subList(n - k, n));
            expectBoth.addAll(ids.subList(0, k));
            expectBoth.addAll(ids.subList(n - k, n));
        }
        assertEquals(expectLate, late);
        assertEquals(expectBoth, both);
        BatchSplit.Holdout h = BatchSplit.holdout(data, 0.15, BatchSplit.End.BOTH);
        for (BatchSplit.Family f : h.families()) assertEquals(2, f.ranges().size(), "one range at each end: " + f);
        Map<String, String> of = splitOfPatient(BatchSplit.assign(data, h, 8, 1, 3));
        of.forEach((p, s) -> assertEquals(expectBoth.contains(p), "test".equals(s), p));
    }

    @Test
    void sameSeedSameSplitWhateverTheOrderAndTheSeedOnlyMovesTrainAndVal() {
        List<Sample> data = kermanyLike(3);
        BatchSplit.Holdout h = BatchSplit.holdout(data, 0.10, BatchSplit.End.EARLY);
        Map<String, String> a = splitOfPatient(BatchSplit.assign(data, h, 8, 1, 5));
        List<Sample> shuffled = new ArrayList<>(data);
        Collections.shuffle(shuffled, new Random(9));
        BatchSplit.Holdout h2 = BatchSplit.holdout(shuffled, 0.10, BatchSplit.End.EARLY);
        assertEquals(h, h2, "the held-out batch does not depend on the order");
        assertEquals(a, splitOfPatient(BatchSplit.assign(shuffled, h2, 8, 1, 5)));
        Map<String, String> other = splitOfPatient(BatchSplit.assign(data, h, 8, 1, 6));
        assertNotEquals(a, other, "another seed, another train/val split");
        a.forEach((p, s) -> assertEquals("test".equals(s), "test".equals(other.get(p)), "the batch stays: " + p));
    }

    @Test
    void samplesWithoutAPatientIdAreNeverHeldOutAndBadFractionsAreRefused() {
        List<Sample> data = new ArrayList<>();
        for (int i = 0; i < 40; i++) data.add(new Sample(Path.of("img" + i + ".png"), Label.of(i % 3), null, null));
        BatchSplit.Holdout h = BatchSplit.holdout(data, 0.10, BatchSplit.End.EARLY);
        assertTrue(h.patients().isEmpty(), "a number in a file name is not a patient number");
        assertEquals(40, h.withoutNumber());
        assertThrows(IllegalArgumentException.class, () -> BatchSplit.holdout(data, 0.5, BatchSplit.End.EARLY));
        assertThrows(IllegalArgumentException.class, () -> BatchSplit.holdout(data, 0, BatchSplit.End.EARLY));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> BatchSplit.End.parse("middle"));
        assertTrue(bad.getMessage().contains("early, late, both"), bad.getMessage());
        assertEquals(BatchSplit.End.BOTH, BatchSplit.End.parse("Both"));
        assertEquals(SplitStrategy.BATCH, SplitStrategy.parse("batch"));
    }
}
