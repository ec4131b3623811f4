package org.pneumoscope.reliability;

import org.pneumoscope.bench.FuzzRunner;
import org.pneumoscope.bench.FuzzSeeds;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.DicomWriter;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.data.TestImages;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Test support around {@link FuzzRunner}: the seed set (a few real chest X-rays from ../shared when present, else
 * phantoms; each also re-encoded as PNG; DICOM variants from {@link DicomWriter}, which plants a patient name that no
 * message may repeat) and the place failing inputs are saved ({@code target/fuzz-failures/}).
 */
final class Fuzzer {
    private Fuzzer() {}

    static Path buildDir() {
        return Path.of(System.getProperty("pneumoscope.build", "target"));
    }

    static Path failureDir() {
        return buildDir().resolve("fuzz-failures");
    }

    static Path kermany() {
        Path k = Path.of(System.getProperty("pneumoscope.shared", "../shared"), "data", "kermany224");
        return Files.isRegularFile(k.resolve("manifest.csv")) ? k : null;
    }

    /** Real CXRs (3 JPEGs and their PNG re-encodings) when present, phantoms otherwise, plus DICOM variants. */
    static List<FuzzRunner.Seed> seeds() throws IOException {
        List<FuzzRunner.Seed> seeds = new ArrayList<>();
        Path k = kermany();
        if (k != null) {
            // a handful spread over the manifest (train and val folders, both pneumonia types and normals)
            List<String> lines = Files.readAllLines(k.resolve("manifest.csv"));
            for (int i = 1, taken = 0; i < lines.size() && taken < 3; i += lines.size() / 4) {
                Path f = k.resolve(lines.get(i).split(",", 2)[0]);
                if (!Files.isRegularFile(f)) continue;
                byte[] jpeg = Files.readAllBytes(f);
                String name = f.getFileName().toString();
                seeds.add(new FuzzRunner.Seed(name, jpeg));
                seeds.add(new FuzzRunner.Seed(name + ".png", FuzzSeeds.png(ImageDecoder.decode(jpeg, name))));
                taken++;
            }
        }
        if (seeds.isEmpty()) seeds.addAll(FuzzSeeds.phantoms(128, 7).subList(0, 3));
        seeds.addAll(dicomSeeds());
        return seeds;
    }

    /** The DICOM encodings the reader supports, each carrying {@link DicomWriter#SECRET_NAME}. */
    static List<FuzzRunner.Seed> dicomSeeds() {
        int w = 96, h = 80;
        int[] v = new int[w * h];
        GreyImage chest = TestImages.chest(w, h, 3);
        for (int i = 0; i < v.length; i++) v[i] = (chest.pixels()[i] & 0xff) * 16;
        int[] lut = new int[4096];
        for (int i = 0; i < lut.length; i++) lut[i] = (int) Math.round(Math.sqrt(i / 4095.0) * 4095);
        List<FuzzRunner.Seed> out = new ArrayList<>();
        out.add(new FuzzRunner.Seed("dicom-window.dcm", DicomWriter.grey(w, h, 16, v).bitsStored(12).window(2000, 1800).toBytes()));
        out.add(new FuzzRunner.Seed("dicom-mono1-voilut.dcm", DicomWriter.grey(w, h, 16, v).bitsStored(12).monochrome1()
                .voiLut(0, 12, lut).toBytes()));
        out.add(new FuzzRunner.Seed("dicom-implicit.dcm", DicomWriter.grey(w, h, 16, v).transferSyntax(DicomWriter.IMPLICIT_LE).toBytes()));
        out.add(new FuzzRunner.Seed("dicom-big-endian.dcm", DicomWriter.grey(w, h, 16, v).transferSyntax(DicomWriter.EXPLICIT_BE).toBytes()));
        out.add(new FuzzRunner.Seed("dicom-deflated.dcm", DicomWriter.grey(w, h, 16, v).transferSyntax(DicomWriter.DEFLATED).toBytes()));
        out.add(new FuzzRunner.Seed("dicom-jpeg.dcm", DicomWriter.jpeg(chest).toBytes()));
        return out;
    }

    /** What no decoder message may contain: the planted patient details. */
    static List<String> secrets() {
        return List.of(FuzzRunner.CANARY, DicomWriter.SECRET_NAME, "Secret", DicomWriter.SECRET_ID);
    }
}
