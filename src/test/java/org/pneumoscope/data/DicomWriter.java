package org.pneumoscope.data;

import org.pneumoscope.core.GreyImage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;

/**
 * Writes tiny DICOM files for tests: uncompressed 8/16-bit (signed or not, any Bits Stored), MONOCHROME1,
 * windows, VOI LUTs, rescale, JPEG baseline encapsulated, deflated, big endian, implicit VR, without preamble,
 * without pixel data, or declaring an unsupported transfer syntax. Every file carries a fake patient name so tests
 * can check it never leaks into messages. Also includes a nested sequence and an icon image (with its own pixel
 * data) to make sure the reader skips them.
 */
public final class DicomWriter {
    public static final String SECRET_NAME = "Doe^Jane^Secret";
    public static final String SECRET_ID = "PID-7741-SECRET";

    public static final String IMPLICIT_LE = "1.2.840.10008.1.2";
    public static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    public static final String DEFLATED = "1.2.840.10008.1.2.1.99";
    public static final String EXPLICIT_BE = "1.2.840.10008.1.2.2";
    public static final String JPEG_BASELINE = "1.2.840.10008.1.2.4.50";
    public static final String JPEG_2000 = "1.2.840.10008.1.2.4.91";
    public static final String JPEG_LS = "1.2.840.10008.1.2.4.80";
    public static final String RLE = "1.2.840.10008.1.2.5";

    private String transferSyntax = EXPLICIT_LE;
    private boolean preamble = true, metaHeader = true, pixelData = true, iconImage = true;
    private int rows, cols, bitsAllocated = 16, bitsStored = 16, pixelRepresentation, samplesPerPixel = 1;
    private String photometric = "MONOCHROME2";
    private String windowCenter, windowWidth, voiFunction, slope, intercept;
    private int[] voiLut;
    private int voiFirst, voiBits = 16;
    private int[] stored;
    private byte[] rawPixels;
    private List<byte[]> jpegFrames;
    private Integer padding;
    private int frames = 1;
    private boolean offsetTable = true;

    /** Grey pixels: {@code values} are stored values, row-major, cols*rows of them. */
    public static DicomWriter grey(int cols, int rows, int bitsAllocated, int[] values) {
        DicomWriter w = new DicomWriter();
        w.cols = cols;
        w.rows = rows;
        w.bitsAllocated = bitsAllocated;
        w.bitsStored = bitsAllocated;
        w.stored = values;
        return w;
    }

    /** An 8-bit greyscale JPEG baseline file holding one frame. */
    public static DicomWriter jpeg(GreyImage img) {
        DicomWriter w = new DicomWriter();
        w.cols = img.width();
        w.rows = img.height();
        w.bitsAllocated = 8;
        w.bitsStored = 8;
        w.transferSyntax = JPEG_BASELINE;
        w.jpegFrames = List.of(TestImages.jpeg(img));
        return w;
    }

    public DicomWriter transferSyntax(String uid) { transferSyntax = uid; return this; }
    public DicomWriter noPreamble() { preamble = false; return this; }
    public DicomWriter noMetaHeader() { metaHeader = false; preamble = false; return this; }
    public DicomWriter noPixelData() { pixelData = false; return this; }
    public DicomWriter noIcon() { iconImage = false; return this; }
    public DicomWriter bitsStored(int b) { bitsStored = b; return this; }
    public DicomWriter signed() { pixelRepresentation = 1; return this; }
    public DicomWriter photometric(String p) { photometric = p; return this; }
    public DicomWriter monochrome1() { return photometric("MONOCHROME1"); }
    public DicomWriter window(double center, double width) { windowCenter = num(center); windowWidth = num(width); return this; }
    /** Raw window strings, e.g. multi-valued "40\\400". */
    public DicomWriter window(String center, String width) { windowCenter = center; windowWidth = width; return this; }
    public DicomWriter voiFunction(String f) { voiFunction = f; return this; }
    public DicomWriter rescale(double s, double i) { slope = num(s); intercept = num(i); return this; }
    public DicomWriter voiLut(int firstMapped, int bits, int[] data) { voiFirst = firstMapped; voiBits = bits; voiLut = data; return this; }
    public DicomWriter padding(int value) { padding = value; return this; }
    public DicomWriter samplesPerPixel(int n) { samplesPerPixel = n; return this; }
    /** Overrides the pixel bytes (e.g. junk for an unsupported transfer syntax, or too few bytes). */
    public DicomWriter rawPixels(byte[] b) { rawPixels = b; return this; }
    /** Several frames: values hold frames*cols*rows stored values; or several JPEG frames. */
    public DicomWriter frames(int n) { frames = n; return this; }
    public DicomWriter jpegFrames(List<byte[]> f) { jpegFrames = f; frames = f.size(); return this; }
    /** Leaves the basic offset table empty even with several frames (allowed by the standard). */
    public DicomWriter noOffsetTable() { offsetTable = false; return this; }

    private static String num(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    // ---------------------------------------------------------------- encoding

    private boolean bigEndian() { return transferSyntax.equals(EXPLICIT_BE); }
    private boolean implicitVr() { return transferSyntax.equals(IMPLICIT_LE); }

    private final class Enc {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final boolean be, implicit;

        Enc(boolean be, boolean implicit) { this.be = be; this.implicit = implicit; }

        void u16(int v) {
            if (be) { out.write(v >> 8); out.write(v); } else { out.write(v); out.write(v >> 8); }
        }

        void u32(long v) {
            if (be) { u16((int) (v >>> 16)); u16((int) v); } else { u16((int) v); u16((int) (v >>> 16)); }
        }

        void tag(int tag) { u16(tag >>> 16); u16(tag & 0xffff); }

        void header(int tag, String vr, long len) {
            tag(tag);
            if (implicit) { u32(len); return; }
            out.write(vr.charAt(0));
            out.write(vr.charAt(1));
            if (vr.equals("OB") || vr.equals("OW") || vr.equals("SQ") || vr.equals("UN") || vr.equals("UT")) {
                u16(0);
                u32(len);
            } else u16((int) len);
        }

        void element(int tag, String vr, byte[] value) {
            header(tag, vr, value.length);
            out.writeBytes(value);
        }

        void string(int tag, String vr, String s) {
            byte[] b = s.getBytes(StandardCharsets.US_ASCII);
            if ((b.length & 1) == 1) {
                byte[] p = new byte[b.length + 1];
                System.arraycopy(b, 0, p, 0, b.length);
                p[b.length] = vr.equals("UI") ? 0 : (byte) ' ';
                b = p;
            }
            element(tag, vr, b);
        }

        void us(int tag, int v) {
            byte[] b = be ? new byte[]{(byte) (v >> 8), (byte) v} : new byte[]{(byte) v, (byte) (v >> 8)};
            element(tag, "US", b);
        }

        byte[] words(int[] values) {
            byte[] b = new byte[values.length * 2];
            for (int i = 0; i < values.length; i++) {
                int v = values[i];
                if (be) { b[2 * i] = (byte) (v >> 8); b[2 * i + 1] = (byte) v; }
                else { b[2 * i] = (byte) v; b[2 * i + 1] = (byte) (v >> 8); }
            }
            return b;
        }
    }

    public byte[] toBytes() {
        Enc ds = new Enc(bigEndian(), implicitVr());
        // Elements in ascending tag order.
        ds.string(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.1.1");
        ds.string(0x00080018, "UI", "1.2.826.0.1.3680043.2.1125.1.1");
        ds.string(0x00080060, "CS", "DX");
        // A nested sequence with undefined lengths, which the reader must skip.
        ds.header(0x00081115, "SQ", 0xFFFFFFFFL);
        ds.tag(0xFFFEE000);
        ds.u32(0xFFFFFFFFL);
        ds.string(0x0020000E, "UI", "1.2.3.4.5");
        ds.tag(0xFFFEE00D);
        ds.u32(0);
        ds.tag(0xFFFEE0DD);
        ds.u32(0);
        ds.string(0x00100010, "PN", SECRET_NAME);
        ds.string(0x00100020, "LO", SECRET_ID);
        ds.us(0x00280002, samplesPerPixel);
        ds.string(0x00280004, "CS", photometric);
        if (frames > 1) ds.string(0x00280008, "IS", Integer.toString(frames));
        ds.us(0x00280010, rows);
        ds.us(0x00280011, cols);
        ds.us(0x00280100, bitsAllocated);
        ds.us(0x00280101, bitsStored);
        ds.us(0x00280102, bitsStored - 1);
        ds.us(0x00280103, pixelRepresentation);
        if (padding != null) ds.element(0x00280120, pixelRepresentation == 1 ? "SS" : "US",
                ds.words(new int[]{padding}));
        if (windowCenter != null) {
            ds.string(0x00281050, "DS", windowCenter);
            ds.string(0x00281051, "DS", windowWidth);
        }
        if (intercept != null) {
            ds.string(0x00281052, "DS", intercept);
            ds.string(0x00281053, "DS", slope);
        }
        if (voiFunction != null) ds.string(0x00281056, "CS", voiFunction);
        if (voiLut != null) {
            Enc item = new Enc(ds.be, ds.implicit);
            int entries = voiLut.length == 65536 ? 0 : voiLut.length;
            item.element(0x00283002, pixelRepresentation == 1 ? "SS" : "US", item.words(new int[]{entries, voiFirst, voiBits}));
            item.element(0x00283006, "OW", item.words(voiLut));
            byte[] itemBytes = item.out.toByteArray();
            ds.header(0x00283010, "SQ", 8 + itemBytes.length);
            ds.tag(0xFFFEE000);
            ds.u32(itemBytes.length);
            ds.out.writeBytes(itemBytes);
        }
        if (iconImage) {
            // Icon Image Sequence: a 2x2 8-bit thumbnail with its own (7FE0,0010) that must be ignored.
            Enc item = new Enc(ds.be, ds.implicit);
            item.us(0x00280010, 2);
            item.us(0x00280011, 2);
            item.element(0x7FE00010, "OB", new byte[]{(byte) 255, (byte) 255, (byte) 255, (byte) 255});
            byte[] itemBytes = item.out.toByteArray();
            ds.header(0x00880200, "SQ", 0xFFFFFFFFL);
            ds.tag(0xFFFEE000);
            ds.u32(itemBytes.length);
            ds.out.writeBytes(itemBytes);
            ds.tag(0xFFFEE0DD);
            ds.u32(0);
        }
        if (pixelData) writePixels(ds);

        byte[] body = ds.out.toByteArray();
        if (transferSyntax.equals(DEFLATED)) body = deflate(body);

        ByteArrayOutputStream file = new ByteArrayOutputStream();
        if (preamble) {
            file.writeBytes(new byte[128]);
            file.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        }
        if (metaHeader) {
            Enc meta = new Enc(false, false);
            meta.element(0x00020001, "OB", new byte[]{0, 1});
            meta.string(0x00020002, "UI", "1.2.840.10008.5.1.4.1.1.1.1");
            meta.string(0x00020003, "UI", "1.2.826.0.1.3680043.2.1125.1.1");
            meta.string(0x00020010, "UI", transferSyntax);
            meta.string(0x00020012, "UI", "1.2.826.0.1.3680043.2.1125.99");
            byte[] m = meta.out.toByteArray();
            Enc len = new Enc(false, false);
            len.element(0x00020000, "UL", new byte[]{(byte) m.length, (byte) (m.length >> 8), (byte) (m.length >> 16), 0});
            file.writeBytes(len.out.toByteArray());
            file.writeBytes(m);
        }
        file.writeBytes(body);
        return file.toByteArray();
    }

    private void writePixels(Enc ds) {
        if (jpegFrames != null || (rawPixels != null && isEncapsulated())) {
            List<byte[]> fr = jpegFrames != null ? jpegFrames : List.of(rawPixels);
            ds.header(0x7FE00010, "OB", 0xFFFFFFFFL);
            // Basic offset table: offsets when several frames, else empty.
            List<Long> offsets = new ArrayList<>();
            long off = 0;
            for (byte[] f : fr) {
                offsets.add(off);
                off += 8 + f.length + (f.length & 1);
            }
            ds.tag(0xFFFEE000);
            if (fr.size() > 1 && offsetTable) {
                ds.u32(4L * offsets.size());
                for (long o : offsets) ds.u32(o);
            } else ds.u32(0);
            for (byte[] f : fr) {
                ds.tag(0xFFFEE000);
                ds.u32(f.length + (f.length & 1));
                ds.out.writeBytes(f);
                if ((f.length & 1) == 1) ds.out.write(0);
            }
            ds.tag(0xFFFEE0DD);
            ds.u32(0);
            return;
        }
        byte[] px;
        if (rawPixels != null) px = rawPixels;
        else if (bitsAllocated == 8) {
            px = new byte[stored.length];
            for (int i = 0; i < stored.length; i++) px[i] = (byte) stored[i];
        } else px = ds.words(stored);
        if ((px.length & 1) == 1) px = java.util.Arrays.copyOf(px, px.length + 1);
        ds.element(0x7FE00010, bitsAllocated == 8 ? "OB" : "OW", px);
    }

    private boolean isEncapsulated() {
        return !(transferSyntax.equals(IMPLICIT_LE) || transferSyntax.equals(EXPLICIT_LE)
                || transferSyntax.equals(EXPLICIT_BE) || transferSyntax.equals(DEFLATED));
    }

    private static byte[] deflate(byte[] b) {
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        d.setInput(b);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) out.write(buf, 0, d.deflate(buf));
        d.end();
        return out.toByteArray();
    }

    public Path write(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.write(file, toBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
