package org.pneumoscope.pipeline;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.Csv;
import org.pneumoscope.synth.PhantomGenerator;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/** A folder of phantom chest films with lesion masks: the data to try everything on when no real films are at hand. */
public final class Phantoms {
    private Phantoms() {}

    /** What was written: counts per class and patients. */
    public record Made(Path dir, int total, int bacteria, int virus, int normal, int patients) {
        public Path manifest() { return dir.resolve("manifest.csv"); }
        public Path masks() { return dir.resolve("masks"); }
    }

    /** Writes {@code count} phantoms of {@code size} px into {@code out}, which must be empty, new or an earlier set. */
    public static Made generate(Path out, int count, int size, long seed, int threads) throws IOException {
        checkOutput(out);
        PhantomGenerator.Summary s = new PhantomGenerator().generate(out, count, size, seed, threads);
        return new Made(out, s.total(), s.bacteria(), s.virus(), s.normal(), s.patients());
    }

    /** One phantom film of {@code label} as PNG bytes, the same for the same seed: a film to send when no real one is at hand. */
    public static byte[] png(Label label, int size, long seed) throws IOException {
        GreyImage g = new PhantomGenerator().render(label, size, new Random(seed)).image();
        BufferedImage bi = new BufferedImage(g.width(), g.height(), BufferedImage.TYPE_BYTE_GRAY);
        bi.getRaster().setDataElements(0, 0, g.width(), g.height(), g.pixels());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(bi, "png", out);
        return out.toByteArray();
    }

    /** Whether {@code csv} is the manifest a phantom set writes (its header is exactly file,label,patient_id). */
    private static boolean isPhantomManifest(Path csv) {
        if (!Files.isRegularFile(csv)) return false;
        try {
            List<Csv.Row> rows = Csv.read(csv);
            return !rows.isEmpty() && rows.get(0).fields().equals(List.of("file", "label", "patient_id"));
        } catch (IOException | IllegalArgumentException e) {
            return false; // not readable as a manifest: not ours to replace
        }
    }

    /** Refuses to scatter files into a folder holding something other than an earlier phantom set. */
    static void checkOutput(Path out) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) throw new UserException(out + ": exists and is not a folder");
        if (!Files.isDirectory(out)) return;
        boolean previousSet = isPhantomManifest(out.resolve("manifest.csv"));
        try (Stream<Path> s = Files.list(out)) {
            if (s.findAny().isPresent() && !previousSet)
                throw new UserException(out + ": folder is not empty and holds no phantom set; choose an empty or new folder");
        }
        if (previousSet) {
            // Regenerating over an earlier set: drop its old films so a smaller count leaves no strays.
            for (String dir : new String[]{"bacteria", "virus", "normal", "masks/bacteria", "masks/virus", "masks/normal"}) {
                Path d = out.resolve(dir);
                if (!Files.isDirectory(d)) continue;
                try (Stream<Path> s = Files.list(d)) {
                    for (Path p : (Iterable<Path>) s::iterator)
                        if (p.getFileName().toString().matches("phantom-\\d+\\.png")) Files.delete(p);
                }
            }
        }
    }
}
