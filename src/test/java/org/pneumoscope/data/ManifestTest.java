package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class ManifestTest {
    static final byte[] JPEG = TestImages.jpeg(TestImages.chest(16, 16, 1));

    @Test
    void everyBadRowIsAProblemAndTheRestIsRead(@TempDir Path d) throws Exception {
        for (String f : List.of("a.jpg", "b.jpg", "c.jpg", "d.jpg", "sub/e.jpg", "f,with comma.jpg"))
            TestImages.write(d.resolve(f), JPEG);
        Files.createDirectories(d.resolve("folder.jpg"));
        Path absoluteA = d.resolve("a.jpg").toAbsolutePath();
        String csv = "\uFEFFFile,Label,Patient_ID,Split,fold,notes\r\n"
                + "a.jpg,bacteria,P1,train,0,first\r\n"
                + "b.jpg,Viral,P2,validation,1,\r\n"
                + "c.jpg,pneumonia,P3,train,,\r\n"          // unknown label
                + "a.jpg,bacteria,P1,train,0,\r\n"          // duplicate
                + "./a.jpg,virus,P1,train,0,\r\n"           // duplicate with another label
                + "missing.jpg,normal,P4,train,,\r\n"       // file not found
                + absoluteA + ",bacteria,P1,train,0,\r\n"  // absolute: the same file as line 2
                + "../outside.jpg,normal,P6,train,,\r\n"    // outside the folder, missing
                + "sub/../../x.jpg,normal,P6,train,,\r\n"   // outside after normalising, missing
                + "d.jpg,normal,P7,holdout,,\r\n"           // unknown split
                + "sub\\e.jpg,normal,,test,x,\r\n"          // bad fold
                + "sub\\e.jpg,normal,,test,,\r\n"           // Windows separator, derived patient id
                + "\"f,with comma.jpg\",normal,P8,,2,\"a \"\"quoted\"\" note\"\r\n"
                + "folder.jpg,normal,P9,train,,\r\n"        // a folder
                + "short\r\n"                               // too few fields
                + ",,,,,\r\n";                              // blank: ignored
        Path manifest = d.resolve("list.csv");
        Files.write(manifest, csv.getBytes(StandardCharsets.UTF_8));
        DatasetScan s = DatasetReader.read(manifest);
        assertEquals("manifest", s.layout());
        assertEquals(List.of("a.jpg", "b.jpg", "e.jpg", "f,with comma.jpg"),
                s.samples().stream().map(x -> x.file().getFileName().toString()).collect(Collectors.toList()));
        Sample b = s.samples().get(1);
        assertEquals(new Sample(d.resolve("b.jpg"), Label.VIRUS, "P2", "val"), b);
        assertEquals("e", s.samples().get(2).patientId());
        assertEquals("test", s.samples().get(2).split());
        assertNull(s.samples().get(3).split());
        assertEquals(0, s.fold(s.samples().get(0)).getAsInt());
        assertEquals(2, s.fold(s.samples().get(3)).getAsInt());
        assertTrue(s.fold(s.samples().get(2)).isEmpty());

        List<String> reasons = s.problems().stream().map(Problem::toString).collect(Collectors.toList());
        assertEquals(11, reasons.size(), String.join("\n", reasons));
        assertContains(reasons, "line 4: unknown label 'pneumonia'");
        assertContains(reasons, "line 5: duplicate of line 2; skipped");
        assertContains(reasons, "line 6: duplicate of line 2 with a different label (bacteria there, virus here)");
        assertContains(reasons, "missing.jpg: manifest line 7: file not found");
        assertContains(reasons, "line 8: duplicate of line 2; skipped");
        assertContains(reasons, "line 9: file not found");
        assertContains(reasons, "line 10: file not found");
        assertContains(reasons, "line 11: unknown split 'holdout'");
        assertContains(reasons, "line 12: fold 'x' is not a non-negative whole number");
        assertContains(reasons, "line 15: is a folder");
        assertContains(reasons, "line 16: only 1 field(s)");
    }

    static void assertContains(List<String> reasons, String fragment) {
        assertTrue(reasons.stream().anyMatch(r -> r.contains(fragment)), "no problem mentions '" + fragment + "' in\n"
                + String.join("\n", reasons));
    }

    @Test
    void missingColumnsStopWithOneClearError(@TempDir Path d) throws Exception {
        Path m = d.resolve("m.csv");
        Files.writeString(m, "path_to_image,diagnosis\na.jpg,normal\n");
        UserException e = assertThrows(UserException.class, () -> DatasetReader.read(m));
        assertEquals("manifest " + m + " has no 'file' or 'label' column (its header must hold at least file,label; "
                + "found: path_to_image,diagnosis)", e.getMessage());
        Files.writeString(m, "file,patient_id\na.jpg,P1\n");
        e = assertThrows(UserException.class, () -> DatasetReader.read(m));
        assertTrue(e.getMessage().contains("no 'label' column"));
        Files.writeString(m, "");
        e = assertThrows(UserException.class, () -> DatasetReader.read(m));
        assertTrue(e.getMessage().contains("is empty"));
    }

    @Test
    void semicolonSeparatedExcelExportsAreRead(@TempDir Path d) throws Exception {
        TestImages.write(d.resolve("a.jpg"), JPEG);
        Path m = d.resolve("m.csv");
        Files.write(m, "file;label\na.jpg;normal\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(1, DatasetReader.read(m).samples().size());
    }

    @Test
    void writeThenReadGivesTheSameSamplesAndFolds(@TempDir Path d) throws Exception {
        List<Sample> samples = List.of(
                new Sample(TestImages.write(d.resolve("imgs/NORMAL/IM-1-1.jpeg"), JPEG), Label.NORMAL, "IM-1", "train"),
                new Sample(TestImages.write(d.resolve("imgs/PNEUMONIA/person2_virus_1.jpeg"), JPEG), Label.VIRUS, "person2", "val"),
                new Sample(TestImages.write(d.resolve("imgs/odd, name \"x\".jpeg"), JPEG), Label.BACTERIA, "p,3", null));
        Path csv = d.resolve("split.csv");
        Manifest.write(csv, samples, d, new int[]{1, 0, -1});
        String text = Files.readString(csv);
        assertTrue(text.startsWith("file,label,patient_id,split,fold\nimgs/NORMAL/IM-1-1.jpeg,normal,IM-1,train,1\n"), text);
        DatasetScan back = DatasetReader.read(csv);
        assertTrue(back.problems().isEmpty(), back.problems().toString());
        assertEquals(samples, back.samples());
        assertEquals(1, back.fold(back.samples().get(0)).getAsInt());
        assertTrue(back.fold(back.samples().get(2)).isEmpty());
        try (Stream<Path> files = Files.list(d)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp file left");
        }
        // Without folds: no fold column.
        Manifest.write(csv, samples, d);
        assertTrue(Files.readString(csv).startsWith("file,label,patient_id,split\n"));
    }

    @Test
    void absoluteAndParentPathsAreRead(@TempDir Path d) throws Exception {
        Path a = TestImages.write(d.resolve("imgs/a.jpg"), JPEG), b = TestImages.write(d.resolve("imgs/b.jpg"), JPEG);
        Path csv = d.resolve("lists/m.csv");
        Files.createDirectories(csv.getParent());
        Files.writeString(csv, "file,label\n../imgs/a.jpg,normal\n" + b.toAbsolutePath() + ",virus\n" + a.toAbsolutePath() + ",normal\n");
        DatasetScan s = DatasetReader.read(csv);
        assertEquals(List.of(a.toAbsolutePath(), b.toAbsolutePath()), s.samples().stream().map(x -> x.file().toAbsolutePath()).toList());
        assertEquals(List.of("manifest line 4: duplicate of line 2; skipped"), s.problems().stream().map(Problem::reason).toList());
    }

    @Test
    void pathsOutsideTheFolderAreWrittenAbsoluteAndReadBack(@TempDir Path d) throws Exception {
        Path img = TestImages.write(d.resolve("data/a.jpg"), JPEG);
        Path csv = d.resolve("runs/split.csv");
        List<Sample> samples = List.of(new Sample(img, Label.NORMAL, "a", "train"));
        Manifest.write(csv, samples, csv.getParent());
        assertEquals("file,label,patient_id,split\n" + img.toAbsolutePath() + ",normal,a,train\n", Files.readString(csv));
        assertEquals(samples, DatasetReader.read(csv).samples());
    }

    @Test
    void aQuotedFieldThatNeverClosesStopsWithTheLine(@TempDir Path d) throws Exception {
        Path m = d.resolve("m.csv");
        Files.writeString(m, "file,label\na.jpg,normal\n\"b.jpg,normal\nc.jpg,normal\n");
        UserException e = assertThrows(UserException.class, () -> DatasetReader.read(m));
        assertTrue(e.getMessage().startsWith("manifest " + m + ": not readable as CSV"), e.getMessage());
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }
}
