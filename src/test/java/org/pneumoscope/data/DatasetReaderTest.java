package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

class DatasetReaderTest {
    static final byte[] JPEG = TestImages.jpeg(TestImages.chest(32, 32, 1));

    static Path img(Path dir, String rel) {
        return TestImages.write(dir.resolve(rel), JPEG);
    }

    static Map<String, Sample> byName(DatasetScan s) {
        return s.samples().stream().collect(Collectors.toMap(x -> x.file().getFileName().toString(), Function.identity()));
    }

    @Test
    void kermanyWithSplitFolders(@TempDir Path d) {
        img(d, "train/NORMAL/IM-0115-0001.jpeg");
        img(d, "train/NORMAL/NORMAL2-IM-0383-0001.jpeg");
        img(d, "train/PNEUMONIA/person12_bacteria_3.jpeg");
        img(d, "train/PNEUMONIA/person12_virus_4.jpeg");
        img(d, "val/NORMAL/IM-0383-0002.jpeg");
        img(d, "test/PNEUMONIA/person99_virus_1.jpeg");
        DatasetScan s = DatasetReader.read(d);
        assertEquals("kermany+splits", s.layout());
        assertEquals(6, s.samples().size());
        assertTrue(s.problems().isEmpty(), s.problems().toString());
        Map<String, Sample> m = byName(s);
        assertEquals(new Sample(d.resolve("train/PNEUMONIA/person12_bacteria_3.jpeg"), Label.BACTERIA, "person12", "train"),
                m.get("person12_bacteria_3.jpeg"));
        assertEquals(Label.VIRUS, m.get("person12_virus_4.jpeg").label());
        assertEquals("person12", m.get("person12_virus_4.jpeg").patientId());
        assertEquals("IM-0115", m.get("IM-0115-0001.jpeg").patientId());
        assertEquals("IM-0383", m.get("NORMAL2-IM-0383-0001.jpeg").patientId());
        assertEquals("val", m.get("IM-0383-0002.jpeg").split());
        assertEquals("test", m.get("person99_virus_1.jpeg").split());
        // Sorted by path: independent of the file system's listing order.
        List<String> paths = s.samples().stream().map(x -> x.file().toString()).collect(Collectors.toList());
        assertEquals(paths.stream().sorted().collect(Collectors.toList()), paths);
        s.requireAllClasses();
    }

    @Test
    void classFoldersAnyCaseWithAndWithoutSplits(@TempDir Path d) {
        img(d, "flat/Bacterial/a.png");
        img(d, "flat/VIRAL/b.jpg");
        img(d, "flat/normal/c.JPG");
        DatasetScan flat = DatasetReader.read(d.resolve("flat"));
        assertEquals("class-folders", flat.layout());
        assertEquals(Map.of(Label.BACTERIA, 1, Label.VIRUS, 1, Label.NORMAL, 1), flat.countByLabel());
        assertFalse(flat.hasSplits());
        assertEquals("a", byName(flat).get("a.png").patientId(), "unknown naming: the file name is the patient");

        img(d, "split/Training/bacteria/a.jpg");
        img(d, "split/Validation/virus/b.jpg");
        img(d, "split/TEST/Normal/c.jpg");
        DatasetScan sp = DatasetReader.read(d.resolve("split"));
        assertEquals("class-folders+splits", sp.layout());
        assertEquals("train", byName(sp).get("a.jpg").split());
        assertEquals("val", byName(sp).get("b.jpg").split());
        assertEquals("test", byName(sp).get("c.jpg").split());
    }

    @Test
    void wrapperFoldersFromArchivesAreDescended(@TempDir Path d) {
        img(d, "chest_xray/chest_xray/train/NORMAL/IM-1.jpeg");
        img(d, "chest_xray/chest_xray/train/PNEUMONIA/person1_virus_1.jpeg");
        Files.exists(d);
        DatasetScan s = DatasetReader.read(d.resolve("chest_xray"));
        assertEquals(2, s.samples().size());
        assertEquals("kermany+splits", s.layout());
    }

    @Test
    void oddFilesAreReportedOrIgnored(@TempDir Path d) throws Exception {
        img(d, "NORMAL/IM-1-1.jpeg");
        img(d, "PNEUMONIA/person3_bacteria_1.jpeg");
        img(d, "PNEUMONIA/person4_unknown_1.jpeg");              // neither bacteria nor virus
        img(d, "PNEUMONIA/.DS_Store");
        img(d, "PNEUMONIA/._person3_bacteria_1.jpeg");           // macOS metadata twin
        TestImages.write(d.resolve("NORMAL/readme.txt"), "notes".getBytes());
        img(d, "loose.jpg");                                      // next to the class folders
        img(d, "other/x.jpg");                                    // unrecognised folder
        DicomWriter.grey(4, 4, 8, new int[16]).write(d.resolve("NORMAL/IM0002"));  // DICOM without extension
        TestImages.write(d.resolve("NORMAL/randomblob"), new byte[300]);
        Files.createSymbolicLink(d.resolve("NORMAL/dangling.jpg"), d.resolve("nowhere.jpg"));
        Files.createDirectories(d.resolve("NORMAL/sub.jpeg"));

        DatasetScan s = DatasetReader.read(d);
        assertEquals("kermany", s.layout());
        assertEquals(List.of("IM-1-1.jpeg", "IM0002", "person3_bacteria_1.jpeg"),
                s.samples().stream().map(x -> x.file().getFileName().toString()).sorted().collect(Collectors.toList()));
        Map<String, String> problems = s.problems().stream()
                .collect(Collectors.toMap(p -> p.file().getFileName().toString(), Problem::reason));
        assertEquals(5, problems.size(), problems.toString());
        assertTrue(problems.get("person4_unknown_1.jpeg").contains("neither 'bacteria' nor 'virus'"));
        assertTrue(problems.get("loose.jpg").contains("outside any class folder"));
        assertTrue(problems.get("other").contains("not recognised"));
        assertTrue(problems.get("dangling.jpg").contains("broken symbolic link"));
        assertTrue(problems.get("sub.jpeg").contains("is a folder"));
    }

    @Test
    void symlinkedClassFoldersAreFollowedAndLoopsSurvived(@TempDir Path d) throws Exception {
        img(d, "elsewhere/normals/IM-7-1.jpeg");
        Files.createDirectories(d.resolve("data"));
        Files.createSymbolicLink(d.resolve("data/NORMAL"), d.resolve("elsewhere/normals"));
        img(d, "data/PNEUMONIA/person1_virus_1.jpeg");
        Files.createSymbolicLink(d.resolve("data/PNEUMONIA/again"), d.resolve("data/PNEUMONIA"));
        DatasetScan s = DatasetReader.read(d.resolve("data"));
        assertEquals(2, s.samples().size(), s.samples().toString());
        assertEquals(1, s.problems().size());
        assertTrue(s.problems().get(0).reason().contains("symbolic link loop"));
    }

    /**
     * Files the reader cannot open are reported by name and the rest is read, also as root (whom permissions do not
     * stop): a pipe and a dangling link named like images cannot be opened as an image by anyone. Where permissions are
     * enforced, an unreadable file is one more.
     */
    @Test
    void unreadableFilesAreReported(@TempDir Path d) throws Exception {
        Path f = img(d, "NORMAL/IM-1-1.jpeg");
        img(d, "PNEUMONIA/person1_virus_1.jpeg");
        Path fifo = d.resolve("NORMAL/IM-2-1.jpeg"), dangling = d.resolve("NORMAL/IM-3-1.jpeg");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
        assertEquals(0, mk.waitFor(), new String(mk.getInputStream().readAllBytes()));
        Files.createSymbolicLink(dangling, d.resolve("gone.jpeg"));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
        try {
            boolean enforced = !Files.isReadable(f); // false as root
            DatasetScan s = DatasetReader.read(d);
            assertEquals(enforced ? 1 : 2, s.samples().size(), s.samples().toString());
            java.util.Map<Path, String> why = new java.util.HashMap<>();
            for (Problem p : s.problems()) why.put(p.file(), p.reason());
            assertTrue(why.get(fifo).contains("not a regular file"), why.toString());
            assertTrue(why.get(dangling).contains("broken symbolic link"), why.toString());
            if (enforced) assertTrue(why.get(f).contains("permission denied"), why.toString());
            assertEquals(enforced ? 3 : 2, s.problems().size(), why.toString());
        } finally {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    @Test
    void emptyOrIncompleteDatasetsStopWithOneClearLine(@TempDir Path d) {
        UserException e = assertThrows(UserException.class, () -> DatasetReader.read(d.resolve("missing")));
        assertTrue(e.getMessage().startsWith("no such file or folder"));

        DatasetScan empty = DatasetReader.read(d);
        assertEquals("empty", empty.layout());
        e = assertThrows(UserException.class, empty::requireImages);
        assertTrue(e.getMessage().contains("no labelled images found in " + d));
        assertFalse(e.getMessage().contains("\n"));

        img(d, "NORMAL/IM-1-1.jpeg");
        img(d, "PNEUMONIA/person1_virus_1.jpeg");
        DatasetScan partial = DatasetReader.read(d);
        partial.requireImages(); // enough for predict
        e = assertThrows(UserException.class, partial::requireAllClasses);
        assertEquals("no bacteria images in " + d + ": all three classes are needed (found 0 bacteria, 1 virus, 1 normal)",
                e.getMessage());

        Path image = img(d, "NORMAL/IM-1-1.jpeg");
        e = assertThrows(UserException.class, () -> DatasetReader.read(image));
        assertTrue(e.getMessage().endsWith("is an image, not a dataset: give the folder holding the class folders, or a CSV manifest"));
    }

    @Test
    void aFolderWithManifestCsvIsReadThroughIt(@TempDir Path d) throws Exception {
        img(d, "train/NORMAL/IM-1-1.jpeg");
        img(d, "train/PNEUMONIA/person1_virus_1.jpeg");
        Files.writeString(d.resolve("manifest.csv"), "file,label,patient_id,split\n"
                + "train/NORMAL/IM-1-1.jpeg,normal,P-A,val\n");
        DatasetScan viaManifest = DatasetReader.read(d);
        assertEquals("manifest", viaManifest.layout());
        assertEquals(1, viaManifest.samples().size());
        assertEquals("P-A", viaManifest.samples().get(0).patientId());
        DatasetScan walked = DatasetReader.readFolder(d);
        assertEquals(2, walked.samples().size());
    }
}
