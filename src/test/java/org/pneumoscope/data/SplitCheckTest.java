package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The leak check after a split is chosen, and the patient-id rule for manifests. */
class SplitCheckTest {

    static Sample s(String file, String patient, String split) {
        return new Sample(Path.of("d", file), Label.NORMAL, patient, split);
    }

    /** A pre-assigned split that puts p1 in train and test: --keep-existing kept both, the check refuses and names p1. */
    @Test
    void keepingALeakingGivenSplitIsRefusedWithThePatientNamed() {
        List<Sample> given = new ArrayList<>(SplitterTest.synthetic(200, 9));
        given.add(s("p1_a.jpg", "leaky", "train"));
        given.add(s("p1_b.jpg", "leaky", "train"));
        given.add(s("p1_c.jpg", "leaky", "test"));
        List<Sample> kept = Splitter.assign(given, new double[] {8, 1, 1}, 3, true);
        assertEquals(1, SplitCheck.leaks(kept).size(), "--keep-existing keeps each pre-assigned image where it was");
        UserException e = assertThrows(UserException.class,
                () -> SplitCheck.check(kept, false, PatientIds.Rule.NAMING, "Add --regroup."));
        assertTrue(e.getMessage().contains("leaky (train 2, test 1)") && e.getMessage().contains("Add --regroup."), e.getMessage());
    }

    @Test
    void regroupMovesEachLeakingPatientIntoTheSplitHoldingMostOfThem() {
        List<Sample> leaky = List.of(s("a1", "a", "train"), s("a2", "a", "train"), s("a3", "a", "test"),
                s("b1", "b", "val"), s("b2", "b", "test"), s("c1", "c", "test"), s("d1", "d", null));
        SplitCheck.Checked c = SplitCheck.check(leaky, true, PatientIds.Rule.NAMING, "");
        assertEquals(List.of("train", "train", "train", "val", "val", "test"),
                c.samples().subList(0, 6).stream().map(Sample::split).toList(), "majority wins; a tie goes to the earlier split");
        assertNull(c.samples().get(6).split(), "an image without a split stays without one");
        assertTrue(SplitCheck.leaks(c.samples()).isEmpty());
        assertEquals(2, c.result().regrouped());
        assertEquals(3, c.result().patients());
        assertTrue(c.result().text().contains("3 patients") && c.result().text().contains("after 2 patient(s)"), c.result().text());
        assertEquals(0, SplitCheck.check(c.samples(), false, PatientIds.Rule.NAMING, "").result().regrouped());
    }

    /** A manifest's NORMAL2-IM-0383 and IM-0383 are one patient, as their file names would be; --verbatim-ids keeps them apart. */
    @Test
    void manifestIdsFollowTheFileNameRuleUnlessTakenVerbatim(@TempDir Path dir) throws Exception {
        for (String f : List.of("a.png", "b.png", "c.png", "d.png")) Files.write(dir.resolve(f), new byte[] {1});
        Path csv = dir.resolve("m.csv");
        Files.writeString(csv, "file,label,patient_id,split\na.png,normal,NORMAL2-IM-0383,train\nb.png,normal,IM-0383,test\n"
                + "c.png,virus,Person12,train\nd.png,virus,site-7/P0001,val\n");
        List<Sample> named = DatasetReader.read(csv).samples();
        assertEquals(List.of("IM-0383", "IM-0383", "person12", "site-7/P0001"), named.stream().map(Sample::patientId).toList());
        assertEquals(1, SplitCheck.leaks(named).size(), "one patient in train and test");
        List<Sample> verbatim = DatasetReader.read(csv, PatientIds.Rule.VERBATIM).samples();
        assertEquals(List.of("NORMAL2-IM-0383", "IM-0383", "Person12", "site-7/P0001"), verbatim.stream().map(Sample::patientId).toList());
        assertTrue(SplitCheck.leaks(verbatim).isEmpty());
        assertEquals(PatientIds.fromFileName("NORMAL2-IM-0383-0001.jpeg"), PatientIds.canonical("NORMAL2-IM-0383"));
    }
}
