package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/** A mixed folder of good and bad files: every bad one is named with a specific reason, the good ones come back. */
class BadInputCorpusTest {

    @Test
    void everyBadFileIsReportedWithItsReasonAndGoodOnesAreReturned(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        List<BadInputCorpus.Entry> corpus = BadInputCorpus.write(data.resolve("normal"));
        // The other two classes hold one ordinary image each, so the dataset is complete.
        TestImages.write(data.resolve("bacteria/b1.jpg"), TestImages.jpeg(TestImages.chest(64, 64, 5)));
        TestImages.write(data.resolve("virus/v1.png"), TestImages.png(TestImages.chest(64, 64, 6)));

        DatasetScan scan = DatasetReader.read(data).requireAllClasses();
        assertEquals("class-folders", scan.layout());
        ImageCache cache = new ImageCache(null, 64L << 20);
        List<Path> files = scan.samples().stream().map(Sample::file).collect(Collectors.toList());
        List<Problem> decodeProblems = cache.warm(files, 64, ResizeMode.LETTERBOX, 2, null);
        List<Problem> all = new ArrayList<>(scan.problems());
        all.addAll(decodeProblems);

        Set<Path> returned = scan.samples().stream().map(Sample::file).collect(Collectors.toSet());
        for (BadInputCorpus.Entry e : corpus) {
            List<Problem> mine = all.stream().filter(p -> p.file().equals(e.path())).collect(Collectors.toList());
            if (e.good()) {
                assertTrue(returned.contains(e.path()), e.name() + " should be returned as a sample");
                assertTrue(mine.isEmpty(), e.name() + " should decode but got " + mine);
                GreyImage g = cache.get(e.path(), 64, ResizeMode.LETTERBOX);
                assertEquals(64, g.width());
            } else {
                assertEquals(1, mine.size(), e.name() + " should be reported exactly once, problems: " + all);
                assertTrue(mine.get(0).reason().contains(e.reason()),
                        e.name() + ": reason '" + mine.get(0).reason() + "' should mention '" + e.reason() + "'");
                assertTrue(mine.get(0).toString().contains(e.name()), "the report names the file");
            }
        }
        // The file inside the folder named x.jpg is not scanned (the folder is reported instead).
        assertFalse(returned.stream().anyMatch(p -> p.toString().contains("inside.jpg")));
        // Nothing came back twice through the symlink loop.
        assertEquals(returned.size(), scan.samples().size());
    }

    @Test
    void decoderGivesTheExpectedKindForEachFileAndIsQuick(@TempDir Path tmp) throws Exception {
        List<BadInputCorpus.Entry> corpus = BadInputCorpus.write(tmp);
        ImageDecoder.decode(corpus.get(0).path()); // class loading and JIT outside the per-file budget
        for (BadInputCorpus.Entry e : corpus) {
            if (e.scanLevel() && e.kind() == null) continue; // loops and odd names are the scanner's business
            // Per-file budget from the brief; each file is tiny, so anything near 2 s means a hang or a huge allocation.
            assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
                if (e.good()) {
                    GreyImage g = ImageDecoder.decode(e.path());
                    assertTrue(g.width() > 0 && g.height() > 0);
                } else {
                    DecodeException ex = assertThrows(DecodeException.class, () -> ImageDecoder.decode(e.path()), e.name());
                    assertEquals(e.kind(), ex.kind(), e.name() + ": " + ex.getMessage());
                    assertTrue(ex.reason().contains(e.reason()), e.name() + ": " + ex.reason());
                    assertEquals(e.path().toString() + ": " + ex.reason(), ex.getMessage());
                }
            }, e.name());
        }
    }

    @Test
    void absurdHeadersAreRefusedByTheDimensionCheckBeforeDecoding(@TempDir Path tmp) throws Exception {
        List<BadInputCorpus.Entry> corpus = BadInputCorpus.write(tmp);
        for (String name : List.of("huge-60000x60000.png", "huge-60000x60000.jpg", "thin-1x100000.png", "thin-1x65535.jpg")) {
            Path p = corpus.stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow().path();
            assertTrue(Files.size(p) < 2000, "the file itself is tiny");
            DecodeException ex = assertThrows(DecodeException.class, () -> ImageDecoder.decode(p));
            assertEquals(DecodeException.Kind.TOO_LARGE, ex.kind());
            assertTrue(ex.reason().contains("refused before decoding"), ex.reason());
            assertTrue(ex.reason().contains(name.contains("60000") ? "60000x60000" : name.contains("100000") ? "1x100000" : "1x65535"),
                    "the claimed size is quoted: " + ex.reason());
        }
    }
}
