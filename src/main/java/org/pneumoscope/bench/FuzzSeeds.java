package org.pneumoscope.bench;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.ImageFormat;
import org.pneumoscope.synth.PhantomGenerator;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Inputs for the fuzzer: real files from a folder, or phantom chest X-rays encoded the ways hospital exports
 * come (grey JPEG, 8- and 16-bit PNG, uncompressed 16-bit DICOM with a window, JPEG-baseline DICOM).
 */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    /** Phantoms of {@code size} pixels in every seed encoding (deterministic for a given seed). */
    public static List<FuzzRunner.Seed> phantoms(int size, long seed) {
        Random r = new Random(seed);
        PhantomGenerator gen = new PhantomGenerator();
        List<FuzzRunner.Seed> out = new ArrayList<>();
        GreyImage a = gen.render(Label.BACTERIA, size, r).image();
        GreyImage b = gen.render(Label.NORMAL, size, r).image();
        out.add(new FuzzRunner.Seed("phantom.jpg", jpeg(a)));
        out.add(new FuzzRunner.Seed("phantom.png", png(b)));
        out.add(new FuzzRunner.Seed("phantom-16bit.png", png16(a)));
        out.add(new FuzzRunner.Seed("phantom-16bit.dcm", dicom16(b)));
        out.add(new FuzzRunner.Seed("phantom-jpeg.dcm", dicomJpeg(a)));
        return out;
    }

    /**
     * Up to {@code limit} decodable image files under {@code folder} (sorted, spread over the folder), each also
     * re-encoded as PNG when it is not one, so every real picture seeds both container formats.
     */
    public static List<FuzzRunner.Seed> fromFolder(Path folder, int limit) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(folder, 8)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        List<Path> images = new ArrayList<>();
        for (Path f : files) {
            byte[] head = new byte[132];
            try (var in = Files.newInputStream(f)) {
                int n = in.readNBytes(head, 0, head.length);
                if (ImageFormat.sniff(head, n).decodable()) images.add(f);
            }
        }
        List<FuzzRunner.Seed> out = new ArrayList<>();
        int step = Math.max(1, images.size() / Math.max(1, limit));
        for (int i = 0; i < images.size() && out.size() < 2 * limit; i += step) {
            Path f = images.get(i);
            byte[] bytes = Files.readAllBytes(f);
            if (bytes.length > (4 << 20)) continue; // big seeds make slow cases without finding more
            String name = f.getFileName().toString();
            out.add(new FuzzRunner.Seed(name, bytes));
            if (ImageFormat.sniff(bytes) != ImageFormat.PNG) {
                try {
                    out.add(new FuzzRunner.Seed(name + ".png", png(org.pneumoscope.data.ImageDecoder.decode(bytes, name))));
                } catch (org.pneumoscope.core.DecodeException e) {
                    // not a usable seed; the original is still tried (and reported if it does not decode)
                }
            }
        }
        return out;
    }

    static BufferedImage grey(GreyImage g) {
        BufferedImage bi = new BufferedImage(g.width(), g.height(), BufferedImage.TYPE_BYTE_GRAY);
        bi.getRaster().setDataElements(0, 0, g.width(), g.height(), g.pixels());
        return bi;
    }

    public static byte[] png(GreyImage g) { return encode(grey(g), "png"); }

    public static byte[] jpeg(GreyImage g) { return encode(grey(g), "jpeg"); }

    /** A 16-bit grey PNG using 12 bits (as detector exports do). */
    public static byte[] png16(GreyImage g) {
        BufferedImage bi = new BufferedImage(g.width(), g.height(), BufferedImage.TYPE_USHORT_GRAY);
        short[] px = new short[g.width() * g.height()];
        for (int i = 0; i < px.length; i++) px[i] = (short) ((g.pixels()[i] & 0xff) * 16 + 100);
        bi.getRaster().setDataElements(0, 0, g.width(), g.height(), px);
        return encode(bi, "png");
    }

    private static byte[] encode(BufferedImage img, String format) {
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            if (!ImageIO.write(img, format, out)) throw new IllegalStateException("no " + format + " writer");
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ minimal DICOM (explicit VR little endian)

    /** Uncompressed: 16 bits allocated, 12 stored, with a window. */
    public static byte[] dicom16(GreyImage g) {
        ByteBuffer px = ByteBuffer.allocate(2 * g.width() * g.height()).order(ByteOrder.LITTLE_ENDIAN);
        for (byte v : g.pixels()) px.putShort((short) ((v & 0xff) * 16));
        Dicom d = new Dicom("1.2.840.10008.1.2.1");
        d.patient();
        d.us(0x0028, 0x0002, 1).cs(0x0028, 0x0004, "MONOCHROME2").us(0x0028, 0x0010, g.height()).us(0x0028, 0x0011, g.width())
                .us(0x0028, 0x0100, 16).us(0x0028, 0x0101, 12).us(0x0028, 0x0102, 11).us(0x0028, 0x0103, 0)
                .ds(0x0028, 0x1050, "2048").ds(0x0028, 0x1051, "4096");
        d.element(0x7FE0, 0x0010, "OW", px.array());
        return d.bytes();
    }

    /** JPEG baseline, one frame in one fragment after an empty offset table. */
    public static byte[] dicomJpeg(GreyImage g) {
        byte[] jpeg = jpeg(g);
        Dicom d = new Dicom("1.2.840.10008.1.2.4.50");
        d.patient();
        d.us(0x0028, 0x0002, 1).cs(0x0028, 0x0004, "MONOCHROME2").us(0x0028, 0x0010, g.height()).us(0x0028, 0x0011, g.width())
                .us(0x0028, 0x0100, 8).us(0x0028, 0x0101, 8).us(0x0028, 0x0102, 7).us(0x0028, 0x0103, 0);
        ByteArrayOutputStream items = new ByteArrayOutputStream();
        item(items, 0xE000, new byte[0]);
        item(items, 0xE000, jpeg.length % 2 == 0 ? jpeg : java.util.Arrays.copyOf(jpeg, jpeg.length + 1));
        item(items, 0xE0DD, new byte[0]);
        d.undefinedLength(0x7FE0, 0x0010, "OB", items.toByteArray());
        return d.bytes();
    }

    private static void item(ByteArrayOutputStream out, int element, byte[] value) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0xFFFE).putShort((short) element).putInt(value.length);
        out.writeBytes(b.array());
        out.writeBytes(value);
    }

    /** Writes elements in the order given (callers keep tags ascending). */
    private static final class Dicom {
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final String transferSyntax;

        Dicom(String transferSyntax) { this.transferSyntax = transferSyntax; }

        Dicom us(int group, int element, int v) {
            return element(group, element, "US", new byte[]{(byte) v, (byte) (v >> 8)});
        }

        /** A patient name and id that must never appear in a message (see {@link FuzzRunner#CANARY}). */
        void patient() {
            element(0x0010, 0x0010, "PN", text("FUZZ^" + FuzzRunner.CANARY + "^PATIENT", (byte) ' '));
            element(0x0010, 0x0020, "LO", text(FuzzRunner.CANARY + "-ID-0001", (byte) ' '));
        }

        Dicom cs(int group, int element, String v) { return element(group, element, "CS", text(v, (byte) ' ')); }

        Dicom ds(int group, int element, String v) { return element(group, element, "DS", text(v, (byte) ' ')); }

        Dicom element(int group, int element, String vr, byte[] value) {
            write(body, group, element, vr, value, value.length);
            return this;
        }

        void undefinedLength(int group, int element, String vr, byte[] value) {
            write(body, group, element, vr, value, 0xFFFFFFFF);
        }

        byte[] bytes() {
            ByteArrayOutputStream meta = new ByteArrayOutputStream();
            write(meta, 0x0002, 0x0001, "OB", new byte[]{0, 1}, 2);
            write(meta, 0x0002, 0x0002, "UI", text("1.2.840.10008.5.1.4.1.1.1.1", (byte) 0), -2);
            write(meta, 0x0002, 0x0010, "UI", text(transferSyntax, (byte) 0), -2);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(new byte[128]);
            out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
            ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(meta.size());
            write(out, 0x0002, 0x0000, "UL", len.array(), 4);
            out.writeBytes(meta.toByteArray());
            out.writeBytes(body.toByteArray());
            return out.toByteArray();
        }

        private static byte[] text(String s, byte pad) {
            byte[] b = s.getBytes(StandardCharsets.US_ASCII);
            if (b.length % 2 == 0) return b;
            byte[] p = java.util.Arrays.copyOf(b, b.length + 1);
            p[b.length] = pad;
            return p;
        }

        /** {@code length == -2}: the value's own length. */
        private static void write(ByteArrayOutputStream out, int group, int element, String vr, byte[] value, int length) {
            int len = length == -2 ? value.length : length;
            boolean longVr = vr.equals("OB") || vr.equals("OW") || vr.equals("SQ") || vr.equals("UN");
            ByteBuffer h = ByteBuffer.allocate(longVr ? 12 : 8).order(ByteOrder.LITTLE_ENDIAN);
            h.putShort((short) group).putShort((short) element).put(vr.getBytes(StandardCharsets.US_ASCII));
            if (longVr) h.putShort((short) 0).putInt(len);
            else h.putShort((short) len);
            out.writeBytes(h.array());
            out.writeBytes(value);
        }
    }
}
