package org.pneumoscope.data;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes a folder of awkward inputs, each with what Pneumoscope must make of it: tricky-but-valid images that
 * must decode (CMYK JPEG, 16-bit and palette PNG, animated GIF, broken ICC profile, DICOM variants) and broken
 * ones that must be reported with a specific reason (empty, truncated, text renamed .jpg, absurd dimensions,
 * unsupported DICOM compression, DICOM without pixels, a folder named x.jpg, a symlink loop, a file name that is
 * not valid UTF-8), decompression bombs (PNG, deflated DICOM), and CSV manifests with every kind of bad line.
 */
public final class BadInputCorpus {
    private BadInputCorpus() {}

    /**
     * One input and its expected outcome. {@code kind == null} means it must decode (or, for scan-level entries,
     * be returned as a sample). {@code reason} is a fragment the reported reason must contain. {@code scanLevel}
     * entries are caught by the folder scan rather than by the decoder.
     */
    public record Entry(Path path, DecodeException.Kind kind, String reason, boolean scanLevel) {
        public boolean good() { return kind == null && reason == null; }

        public String name() { return path.getFileName().toString(); }
    }

    private static Entry good(Path p) { return new Entry(p, null, null, false); }

    private static Entry bad(Path p, DecodeException.Kind k, String reason) { return new Entry(p, k, reason, false); }

    /** Writes everything into {@code dir} (created if needed) and returns the entries. */
    public static List<Entry> write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Entry> e = new ArrayList<>();
        GreyImage chest = TestImages.chest(160, 128, 1);
        byte[] jpeg = TestImages.jpeg(chest);
        byte[] png = TestImages.png(chest);

        e.add(good(TestImages.write(dir.resolve("good.jpg"), jpeg)));
        e.add(good(TestImages.write(dir.resolve("good.png"), png)));
        e.add(good(TestImages.write(dir.resolve("png-named-as.jpg"), png)));
        e.add(bad(TestImages.write(dir.resolve("empty.jpg"), new byte[0]), DecodeException.Kind.EMPTY, "empty file"));

        for (int cut : new int[]{2, 120, jpeg.length / 2, jpeg.length * 9 / 10})
            e.add(bad(TestImages.write(dir.resolve("truncated-" + cut + ".jpg"), TestImages.cut(jpeg, cut)),
                    DecodeException.Kind.TRUNCATED, "truncated"));
        for (int cut : new int[]{5, 20, png.length / 2, png.length * 9 / 10})
            e.add(bad(TestImages.write(dir.resolve("truncated-" + cut + ".png"), TestImages.cut(png, cut)),
                    DecodeException.Kind.TRUNCATED, "truncated"));

        e.add(bad(TestImages.write(dir.resolve("notes.jpg"),
                        "Ward 3 film list\nbed 4: follow-up in 2 weeks\n".getBytes(StandardCharsets.UTF_8)),
                DecodeException.Kind.NOT_AN_IMAGE, "plain text"));
        e.add(bad(TestImages.write(dir.resolve("download.jpg"),
                        "<!DOCTYPE html>\n<html><head><title>Login required</title></head><body>Session expired</body></html>\n"
                                .getBytes(StandardCharsets.UTF_8)),
                DecodeException.Kind.NOT_AN_IMAGE, "HTML"));
        byte[] random = new byte[4096];
        new Random(11).nextBytes(random);
        random[0] = 0x13;
        e.add(bad(TestImages.write(dir.resolve("random.jpg"), random), DecodeException.Kind.NOT_AN_IMAGE, "unrecognised content"));

        e.add(bad(TestImages.write(dir.resolve("huge-60000x60000.png"), TestImages.pngHeaderOnly(60000, 60000)),
                DecodeException.Kind.TOO_LARGE, "too large"));
        e.add(bad(TestImages.write(dir.resolve("thin-1x100000.png"), TestImages.pngHeaderOnly(1, 100000)),
                DecodeException.Kind.TOO_LARGE, "too large"));
        e.add(bad(TestImages.write(dir.resolve("huge-60000x60000.jpg"), TestImages.jpegClaiming(60000, 60000)),
                DecodeException.Kind.TOO_LARGE, "too large"));
        // JPEG stores sizes in 16 bits, so 65535 is the tallest a JPEG header can claim.
        e.add(bad(TestImages.write(dir.resolve("thin-1x65535.jpg"), TestImages.jpegClaiming(1, 65535)),
                DecodeException.Kind.TOO_LARGE, "too large"));

        e.add(good(TestImages.write(dir.resolve("cmyk.jpg"), TestImages.cmykJpeg(64, 48, 128))));
        e.add(good(TestImages.write(dir.resolve("sixteen-bit.png"), TestImages.png16(64, 32, 1000, 4000))));
        e.add(good(TestImages.write(dir.resolve("palette.png"), TestImages.palettePng(64, 32))));
        e.add(good(TestImages.write(dir.resolve("animated.gif"), TestImages.animatedGif(40, 30))));
        e.add(good(TestImages.write(dir.resolve("broken-icc.jpg"), TestImages.brokenIccJpeg(64, 48))));
        e.add(good(TestImages.write(dir.resolve("rgba.png"), TestImages.rgbaPng(32, 16))));
        e.add(good(TestImages.write(dir.resolve("chest.bmp"), TestImages.encode(TestImages.toBuffered(chest), "bmp"))));
        e.add(good(TestImages.write(dir.resolve("chest.tif"), TestImages.encode(TestImages.toBuffered(chest), "tiff"))));

        // DICOM
        int[] ramp16 = new int[64 * 48];
        for (int i = 0; i < ramp16.length; i++) ramp16[i] = (i % 64) * 64;
        int[] ramp8 = new int[64 * 48];
        for (int i = 0; i < ramp8.length; i++) ramp8[i] = (i % 64) * 4;
        e.add(good(DicomWriter.grey(64, 48, 8, ramp8).write(dir.resolve("dicom-8bit.dcm"))));
        e.add(good(DicomWriter.grey(64, 48, 16, ramp16).bitsStored(12).write(dir.resolve("dicom-16bit.dcm"))));
        e.add(good(DicomWriter.grey(64, 48, 16, ramp16).bitsStored(12).monochrome1().write(dir.resolve("dicom-mono1.dcm"))));
        e.add(good(DicomWriter.grey(64, 48, 16, ramp16).bitsStored(12).window(2000, 1000).write(dir.resolve("dicom-window.dcm"))));
        int[] lut = new int[4096];
        for (int i = 0; i < lut.length; i++) lut[i] = (int) Math.round(Math.sqrt(i / 4095.0) * 4095);
        e.add(good(DicomWriter.grey(64, 48, 16, ramp16).bitsStored(12).voiLut(0, 12, lut).write(dir.resolve("dicom-voilut.dcm"))));
        e.add(good(DicomWriter.jpeg(TestImages.chest(64, 48, 2)).write(dir.resolve("dicom-jpeg.dcm"))));
        e.add(good(DicomWriter.grey(64, 48, 16, ramp16).noPreamble().write(dir.resolve("dicom-no-preamble"))));
        byte[] junk = new byte[501];
        new Random(5).nextBytes(junk);
        e.add(bad(new DicomWriter().transferSyntax(DicomWriter.JPEG_2000).rawPixels(junk)
                        .write(dir.resolve("dicom-jpeg2000.dcm")),
                DecodeException.Kind.UNSUPPORTED, "unsupported transfer syntax JPEG 2000"));
        e.add(bad(DicomWriter.grey(64, 48, 16, ramp16).noPixelData().write(dir.resolve("dicom-no-pixels.dcm")),
                DecodeException.Kind.NOT_AN_IMAGE, "no pixel data"));
        byte[] full = DicomWriter.grey(64, 48, 16, ramp16).toBytes();
        e.add(bad(TestImages.write(dir.resolve("dicom-truncated.dcm"), TestImages.cut(full, full.length - 1000)),
                DecodeException.Kind.TRUNCATED, "truncated"));

        // Bombs: a few KB that would decode to gigabytes; refused before the memory is taken.
        e.add(bad(TestImages.write(dir.resolve("bomb-10000x10000-rgba16.png"), pngBomb(10000, 10000)),
                DecodeException.Kind.TOO_LARGE, "too large to decode safely"));
        e.add(bad(TestImages.write(dir.resolve("dicom-deflate-bomb.dcm"), deflateBombDicom(80)),
                DecodeException.Kind.TOO_LARGE, "compression bomb"));

        // Scan-level oddities.
        Path folder = Files.createDirectories(dir.resolve("x.jpg"));
        TestImages.write(folder.resolve("inside.jpg"), jpeg);
        e.add(new Entry(folder, DecodeException.Kind.NOT_AN_IMAGE, "is a folder", true));
        Path loop = dir.resolve("loop");
        try {
            Files.createSymbolicLink(loop, Path.of("."));
            e.add(new Entry(loop, null, "symbolic link loop", true));
        } catch (IOException | UnsupportedOperationException ignored) {
            // file system without links: skip this case
        }
        Path odd = nonUtf8Name(dir, jpeg);
        if (odd != null) e.add(new Entry(odd, null, "not valid text", true));
        return e;
    }

    /** One bad manifest line: what is wrong, its line number, and a fragment the reported reason must contain. */
    public record ManifestCase(String what, int line, String reason) {}

    /**
     * {@code csv}: a manifest with {@code goodRows} correct lines and one line per kind of mistake ({@code cases});
     * {@code missingColumns}: a manifest without a label column, which no command can use at all
     * ({@code missingColumnsReason} is a fragment of the one-line error).
     */
    public record ManifestCorpus(Path csv, List<ManifestCase> cases, int goodRows, Path missingColumns,
                                 String missingColumnsReason) {}

    /**
     * Writes {@code bad-manifest.csv} and {@code no-label-column.csv} into {@code dataDir}. {@code good} are image
     * paths relative to {@code dataDir} with their labels (at least four; the last is used for the unknown-split
     * line, so it is not among the good rows).
     */
    public static ManifestCorpus writeManifests(Path dataDir, List<java.util.Map.Entry<String, Label>> good) throws IOException {
        if (good.size() < 4) throw new IllegalArgumentException("need at least 4 good images");
        List<String> lines = new ArrayList<>();
        lines.add("file,label,patient_id,split");
        List<java.util.Map.Entry<String, Label>> rows = good.subList(0, good.size() - 1);
        for (int i = 0; i < rows.size(); i++) lines.add(rows.get(i).getKey() + "," + rows.get(i).getValue().id() + ",mp" + i + ",");
        List<ManifestCase> cases = new ArrayList<>();
        String first = rows.get(0).getKey(), second = rows.get(1).getKey();
        Label firstLabel = rows.get(0).getValue(), secondLabel = rows.get(1).getValue();
        Label other = secondLabel == Label.NORMAL ? Label.VIRUS : Label.NORMAL;
        java.util.function.BiConsumer<String, String[]> add = (line, c) -> {
            lines.add(line);
            cases.add(new ManifestCase(c[0], lines.size(), c[1]));
        };
        add.accept(first + ",covid-19,mp90,", new String[]{"unknown label", "unknown label 'covid-19'"});
        add.accept(first + "," + firstLabel.id() + ",mp0,", new String[]{"duplicate row", "duplicate of line 2"});
        add.accept(second + "," + other.id() + ",mp1,", new String[]{"duplicate row, other label", "duplicate of line 3 with a different label"});
        // absolute and ../ paths are read like any other: the same file twice is a duplicate, an absent one is missing
        add.accept(dataDir.resolve(first).toAbsolutePath().normalize() + "," + firstLabel.id() + ",mp91,",
                new String[]{"absolute path of a listed file", "duplicate of line 2"});
        add.accept("../outside.png,normal,mp92,", new String[]{"../ path to a missing file", "file not found"});
        add.accept("normal/../../outside.png,normal,mp93,", new String[]{"../ inside a path", "file not found"});
        add.accept("normal/not-there.png,normal,mp94,", new String[]{"missing file", "file not found"});
        add.accept("normal/only-a-path.png", new String[]{"missing columns on a line", "only 1 field(s)"});
        add.accept(",normal,mp95,", new String[]{"empty path", "empty file path"});
        String folder = Path.of(first).getParent() == null ? "." : Path.of(first).getParent().toString().replace('\\', '/');
        add.accept(folder + ",normal,mp96,", new String[]{"a folder as file", "is a folder, not an image file"});
        java.util.Map.Entry<String, Label> last = good.get(good.size() - 1);
        add.accept(last.getKey() + "," + last.getValue().id() + ",mp97,holdout", new String[]{"unknown split", "unknown split 'holdout'"});
        Path csv = dataDir.resolve("bad-manifest.csv");
        Files.writeString(csv, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        Path noLabel = dataDir.resolve("no-label-column.csv");
        Files.writeString(noLabel, "file,patient_id\n" + first + ",mp0\n", StandardCharsets.UTF_8);
        return new ManifestCorpus(csv, cases, rows.size(), noLabel, "has no 'label' column");
    }

    /** A PNG claiming {@code w}x{@code h} 16-bit RGBA (8 bytes a pixel) with one row of real data. */
    static byte[] pngBomb(int w, int h) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 16).put((byte) 6)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        pngChunk(out, "IHDR", ihdr.array());
        java.util.zip.Deflater d = new java.util.zip.Deflater();
        d.setInput(new byte[1 + 8 * w]); // one filtered row of zeros
        d.finish();
        byte[] buf = new byte[1 << 16];
        int n = d.deflate(buf);
        d.end();
        pngChunk(out, "IDAT", java.util.Arrays.copyOf(buf, n));
        pngChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void pngChunk(java.io.ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** A deflated-transfer-syntax DICOM file whose data set inflates to {@code mib} MiB of zeros. */
    static byte[] deflateBombDicom(int mib) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(new byte[128]);
        out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        byte[] ts = "1.2.840.10008.1.2.1.99".getBytes(StandardCharsets.US_ASCII); // 22 characters: even
        java.nio.ByteBuffer tsElement = java.nio.ByteBuffer.allocate(8 + ts.length).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x0002).putShort((short) 0x0010).put((byte) 'U').put((byte) 'I').putShort((short) ts.length).put(ts);
        out.writeBytes(java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort((short) 0x0002)
                .putShort((short) 0).put((byte) 'U').put((byte) 'L').putShort((short) 4).putInt(tsElement.capacity()).array());
        out.writeBytes(tsElement.array());
        java.util.zip.Deflater d = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_COMPRESSION, true);
        byte[] zeros = new byte[1 << 20], buf = new byte[1 << 16];
        for (int i = 0; i < mib; i++) {
            d.setInput(zeros);
            while (!d.needsInput()) out.write(buf, 0, d.deflate(buf));
        }
        d.finish();
        while (!d.finished()) out.write(buf, 0, d.deflate(buf));
        d.end();
        return out.toByteArray();
    }

    /**
     * Creates "caf\xE9.jpg" (Latin-1 bytes, invalid UTF-8). Java cannot spell such a name, so the shell does it.
     * Returns the path as Java lists it, or null when the platform cannot create it.
     */
    private static Path nonUtf8Name(Path dir, byte[] content) {
        try {
            Path tmp = TestImages.write(dir.resolve("tmp-nonutf8-source.jpg"), content);
            Process p = new ProcessBuilder("/bin/sh", "-c", "mv \"$1\" \"$(printf 'caf\\351.jpg')\"", "sh", tmp.getFileName().toString())
                    .directory(dir.toFile()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                Files.deleteIfExists(tmp);
                return null;
            }
            try (var s = Files.list(dir)) {
                return s.filter(f -> f.getFileName().toString().startsWith("caf") && !DatasetReader.representableName(f))
                        .findFirst().orElse(null);
            }
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (UncheckedIOException e) {
            return null;
        }
    }
}
