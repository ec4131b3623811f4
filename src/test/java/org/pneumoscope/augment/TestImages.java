package org.pneumoscope.augment;

import org.pneumoscope.core.Label;
import org.pneumoscope.synth.ImageFiles;
import org.pneumoscope.synth.PhantomGenerator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Inputs for augmentation tests: a phantom (always there) and, when the shared data is present, real films. */
final class TestImages {
    private TestImages() {}

    static FloatImage phantom(int size) {
        return FloatImage.of(new PhantomGenerator().render(Label.BACTERIA, size, new Random(3)).image());
    }

    static Path kermany() {
        String shared = System.getProperty("pneumoscope.shared", "../shared");
        return Path.of(shared, "data", "kermany224");
    }

    static boolean realAvailable() {
        return Files.isRegularFile(kermany().resolve("manifest.csv"));
    }

    /** The first {@code k} films listed in the real manifest. */
    static List<FloatImage> real(int k) throws IOException {
        List<String> lines = Files.readAllLines(kermany().resolve("manifest.csv"));
        return lines.subList(1, 1 + k).stream().map(l -> read(l.split(",")[0])).toList();
    }

    /** One real film by its manifest path. */
    static FloatImage read(String file) {
        try {
            return FloatImage.of(ImageFiles.readGrey(kermany().resolve(file)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
