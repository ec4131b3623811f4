package org.pneumoscope.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.synth.PhantomGenerator;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contact sheet picks its rows from a manifest whether the data folder is given absolute or relative. */
class AugmentPreviewTest {
    @Test
    void aManifestFolderGivenRelativeGivesASheet(@TempDir Path tmp) throws Exception {
        Path rel = Path.of("target", "augment-preview-" + System.nanoTime());
        try {
            new PhantomGenerator().generate(rel, 9, 64, 4, 1);
            assertTrue(!rel.isAbsolute() && Files.isRegularFile(rel.resolve("manifest.csv")));
            Path sheet = tmp.resolve("sheet.png");
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            AugmentPreview.preview("seed", new AugmentPreview.Source(null, rel, 3, 1), 2, 64, sheet,
                    new PrintStream(buf, true, StandardCharsets.UTF_8));
            assertTrue(Files.size(sheet) > 1000, "a sheet was written");
            assertTrue(buf.toString(StandardCharsets.UTF_8).contains("3 row(s)"), buf.toString(StandardCharsets.UTF_8));
        } finally {
            try (Stream<Path> s = Files.walk(rel)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
