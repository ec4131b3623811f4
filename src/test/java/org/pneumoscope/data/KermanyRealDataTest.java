package org.pneumoscope.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pneumoscope.core.Label;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** On the real Kermany 224 data (skipped when absent): counts, and a leak-free stratified 8:1:1 split. */
class KermanyRealDataTest {
    static Path data;
    static DatasetScan scan;

    @BeforeAll
    static void load() {
        data = Path.of(System.getProperty("pneumoscope.shared", "../shared"), "data", "kermany224");
        if (Files.isRegularFile(data.resolve("manifest.csv"))) scan = DatasetReader.read(data);
    }

    @Test
    void manifestCountsMatch() {
        assumeTrue(scan != null, "real data not present at " + data + "; skipping");
        assertEquals("manifest", scan.layout());
        assertTrue(scan.problems().isEmpty(), scan.problems().toString());
        assertEquals(5190, scan.inSplit("train").size());
        assertEquals(16, scan.inSplit("val").size());
        Map<Label, Integer> train = new HashMap<>();
        for (Sample s : scan.inSplit("train")) train.merge(s.label(), 1, Integer::sum);
        assertEquals(Map.of(Label.BACTERIA, 2512, Label.VIRUS, 1338, Label.NORMAL, 1340), train);
        scan.requireAllClasses();
    }

    @Test
    void eightOneOneSplitIsLeakFreeAndStratified() {
        assumeTrue(scan != null, "real data not present at " + data + "; skipping");
        double[] r = {8, 1, 1};
        List<Sample> split = Splitter.assign(scan.samples(), r, 42);
        SplitterTest.checkStratified(split, r, 2.0);
        // The folder walk groups patients more coarsely (NORMAL2-IM-x with IM-x); still leak-free.
        Path train = data.resolve("train");
        assumeTrue(Files.isDirectory(train), "no train folder");
        DatasetScan walked = DatasetReader.readFolder(data);
        assertEquals(scan.samples().size(), walked.samples().size());
        SplitterTest.checkStratified(Splitter.assign(walked.samples(), r, 42), r, 2.0);
    }

    /**
     * The early batch on Kermany: its normals start at IM-0115 and NORMAL2-IM-0383 (the dataset's own test set has
     * the lower numbers), so those are held out, with about 10 % of every family's patients and every class present.
     * NORMAL2-IM- is a family of its own only when the manifest's ids are taken as written: by the naming rule
     * NORMAL2-IM-0383 is patient IM-0383.
     */
    @Test
    void earlyBatchHoldsTheFirstPatientsOfEachFamily() {
        assumeTrue(scan != null, "real data not present at " + data + "; skipping");
        BatchSplit.Holdout named = BatchSplit.holdout(scan.samples(), BatchSplit.DEFAULT_FRACTION, BatchSplit.End.EARLY);
        assertTrue(named.patients().contains("IM-0115"), "IM-0115");
        assertEquals(java.util.Set.of("IM-", "person"),
                named.families().stream().map(BatchSplit.Family::name).collect(java.util.stream.Collectors.toSet()));
        List<Sample> verbatim = DatasetReader.read(data, PatientIds.Rule.VERBATIM).samples();
        BatchSplit.Holdout h = BatchSplit.holdout(verbatim, BatchSplit.DEFAULT_FRACTION, BatchSplit.End.EARLY);
        assertTrue(h.patients().contains("IM-0115"), "IM-0115");
        assertTrue(h.patients().contains("NORMAL2-IM-0383"), "NORMAL2-IM-0383");
        assertEquals(java.util.Set.of("IM-", "NORMAL2-IM-", "person"),
                h.families().stream().map(BatchSplit.Family::name).collect(java.util.stream.Collectors.toSet()));
        for (BatchSplit.Family f : h.families())
            assertEquals(0.10, f.heldOut() / (double) f.patients(), 0.005, f.toString());
        List<Sample> split = BatchSplit.assign(verbatim, h, 8, 1, 42);
        Map<String, String> of = BatchSplitTest.splitOfPatient(split);
        assertEquals(h.patients().size(), of.values().stream().filter("test"::equals).count());
        Map<Label, Integer> test = new HashMap<>();
        for (Sample s : split) if ("test".equals(s.split())) test.merge(s.label(), 1, Integer::sum);
        assertEquals(3, test.size(), "every class in the held-out batch: " + test);
    }

    /**
     * The blurriest normals on Kermany: their films are blurrier than the other normals' (the point of the proxy), and
     * the shares hold: 25 % of the normal-class patients, 15 % of the others' patients and of each other class's films.
     */
    @Test
    void textureHoldoutTakesTheBlurrierNormals() {
        assumeTrue(scan != null, "real data not present at " + data + "; skipping");
        List<Sample> all = scan.samples();
        TextureSplit.Holdout h = TextureSplit.holdout(all, TextureSplit.DEFAULT_TEXTURE_FRACTION, TextureSplit.DEFAULT_OTHER_FRACTION,
                42, Runtime.getRuntime().availableProcessors());
        assertTrue(h.problems().isEmpty(), h.problems().toString());
        assertTrue(h.heldOutNormalMedian() < h.keptNormalMedian(), h.heldOutNormalMedian() + " vs " + h.keptNormalMedian());
        assertTrue(h.classMedians().get(Label.NORMAL) > h.classMedians().get(Label.BACTERIA), h.classMedians().toString());
        assertEquals(0.25, h.normalsHeldOut() / (double) h.normalPatients(), 0.01);
        assertEquals(0.15, h.othersHeldOut() / (double) h.otherPatients(), 0.01);
        for (Label l : List.of(Label.BACTERIA, Label.VIRUS)) {
            long films = all.stream().filter(s -> s.label() == l).count();
            long held = all.stream().filter(s -> s.label() == l && h.holds(s)).count();
            assertEquals(0.15, held / (double) films, 0.01, l.id());
        }
        Map<String, String> of = BatchSplitTest.splitOfPatient(TextureSplit.assign(all, h, 8, 1, 42));
        assertEquals(h.patients().size(), of.values().stream().filter("test"::equals).count());
        System.out.printf(java.util.Locale.ROOT, "texture holdout on %s: %d of %d normal patients (cut %.3f), %d of %d others; "
                        + "medians %s, held-out normals %.3f, other normals %.3f%n", data, h.normalsHeldOut(), h.normalPatients(), h.cut(),
                h.othersHeldOut(), h.otherPatients(), h.classMedians(), h.heldOutNormalMedian(), h.keptNormalMedian());
    }
}
