package org.pneumoscope.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.synth.ImageFiles;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SynthAugmentCommandTest {

    /** Runs the CLI in-process, returning exit code and captured stdout+stderr. */
    static Object[] run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream p = new PrintStream(buf, true);
        System.setOut(p);
        System.setErr(p);
        try {
            int rc = Main.commandLine().execute(args);
            return new Object[]{rc, buf.toString()};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void synthWritesASetAndReportsClassCounts(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("phantoms");
        Object[] r = run("synth", "--out", out.toString(), "--count", "9", "--size", "64", "--seed", "3");
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("bacteria 3, virus 3, normal 3"), (String) r[1]);
        List<String> manifest = Files.readAllLines(out.resolve("manifest.csv"));
        assertEquals(10, manifest.size());
        assertEquals(64, ImageFiles.readGrey(out.resolve(manifest.get(1).split(",")[0])).width());
        // Regenerating over a previous set with fewer images leaves no stray films.
        assertEquals(0, run("synth", "--out", out.toString(), "--count", "3", "--size", "64")[0]);
        try (var s = Files.list(out.resolve("bacteria"))) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void synthRefusesBadInput(@TempDir Path tmp) throws Exception {
        Object[] r = run("synth", "--out", tmp.resolve("x").toString(), "--count", "0");
        assertEquals(2, r[0]);
        assertTrue(((String) r[1]).contains("--count"), (String) r[1]);
        Files.writeString(tmp.resolve("notes.txt"), "mine");
        r = run("synth", "--out", tmp.toString(), "--count", "3");
        assertEquals(1, r[0]);
        assertTrue(((String) r[1]).contains("not empty"), (String) r[1]);
        assertEquals("mine", Files.readString(tmp.resolve("notes.txt")));
    }

    @Test
    void previewOfPhantomsAndOfAFolder(@TempDir Path tmp) throws Exception {
        Path sheet = tmp.resolve("sheet.png");
        Object[] r = run("augment", "--preview", "--out", sheet.toString(), "--n", "3", "--rows", "2", "--size", "96");
        assertEquals(0, r[0], (String) r[1]);
        var img = javax.imageio.ImageIO.read(sheet.toFile());
        assertTrue(img.getWidth() >= 4 * 160 && img.getHeight() >= 2 * 160, img.getWidth() + "x" + img.getHeight());

        Path data = tmp.resolve("data");
        assertEquals(0, run("synth", "--out", data.toString(), "--count", "6", "--size", "64")[0]);
        // A damaged film is named and skipped; the sheet is still made from the others.
        String damaged = Files.readAllLines(data.resolve("manifest.csv")).get(2).split(",")[0];
        Files.writeString(data.resolve(damaged), "not a png");
        Path sheet2 = tmp.resolve("sheet2.png");
        r = run("augment", "--preview", "--data", data.toString(), "--out", sheet2.toString(), "--n", "2", "--rows", "3", "--recipe", "light");
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("skipping") && ((String) r[1]).contains(Path.of(damaged).getFileName().toString()), (String) r[1]);
        assertTrue(((String) r[1]).contains("3 row(s)"), (String) r[1]);
        assertTrue(Files.size(sheet2) > 1000);

        Path one = data.resolve(Files.readAllLines(data.resolve("manifest.csv")).get(1).split(",")[0]);
        Path sheet3 = tmp.resolve("sheet3.png");
        assertEquals(0, run("augment", "--preview", "--image", one.toString(), "--out", sheet3.toString(), "--n", "2")[0]);
        var s3 = javax.imageio.ImageIO.read(sheet3.toFile());
        // One row, original + 2 copies, tiles at the default working size 224 (the film is resized to it).
        assertEquals(4 + 3 * (224 + 4), s3.getWidth());
        assertTrue(s3.getHeight() > 224 && s3.getHeight() < 2 * 224, "one row high: " + s3.getHeight());
    }

    @Test
    void recipeFromYamlAndBadRecipes(@TempDir Path tmp) throws Exception {
        Path yaml = tmp.resolve("aug.yaml");
        Files.writeString(yaml, "- {name: HorizontalFlip, p: 0.5}\n- {name: Blur, params: {blur_limit: 5}}\n");
        Object[] r = run("augment", "--preview", "--recipe", yaml.toString(), "--out", tmp.resolve("s.png").toString(), "--n", "1", "--rows", "1", "--size", "64");
        assertEquals(0, r[0], (String) r[1]);
        r = run("augment", "--preview", "--recipe", "nonsense", "--out", tmp.resolve("t.png").toString());
        assertEquals(2, r[0]);
        assertTrue(((String) r[1]).contains("nonsense"), (String) r[1]);
        Files.writeString(yaml, "- {name: Blur, params: {radius: 5}}\n");
        r = run("augment", "--preview", "--recipe", yaml.toString(), "--out", tmp.resolve("u.png").toString());
        assertEquals(2, r[0]);
        assertTrue(((String) r[1]).contains("radius"), (String) r[1]);
        r = run("augment", "--preview", "--data", tmp.resolve("missing").toString(), "--out", tmp.resolve("v.png").toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[1]).contains("missing"), (String) r[1]);
    }

    @Test
    void benchPrintsASpeed() {
        Object[] r = run("augment", "--bench", "--size", "64", "--seconds", "0.3");
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).matches("(?s).*recipe seed at 64x64 px, 1 thread\\(s\\): \\d+ images/s.*"), (String) r[1]);
    }
}
