package org.pneumoscope.bench;

import org.pneumoscope.data.ImageFormat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Seeded mutations of image files, the way damaged hospital exports look: flipped bits, bytes overwritten with
 * boundary values, files cut short, structural units (PNG chunks, JPEG segments, DICOM elements) repeated or
 * dropped, and header fields (width, height, bit depth, lengths) set to extreme values. Mutations know the layout
 * of PNG, JPEG and DICOM, so they reach the code behind the signature and header checks instead of being refused
 * at the first byte; a PNG header that was edited gets its checksum recomputed most of the time for the same reason.
 *
 * <p>Everything is deterministic for a given {@link Random}, so a case is replayed from its seed and number.
 */
public final class Mutator {
    private Mutator() {}

    /** The families of mutation; {@link #STACKED} applies two or three of the others in a row. */
    public enum Op { BIT_FLIP, INTERESTING_BYTES, TRUNCATE, DUPLICATE_CHUNK, REMOVE_CHUNK, HEADER_FIELD, STACKED }

    /** A mutated file and a short description of what was done (for failure reports). */
    public record Mutant(byte[] bytes, Op op, String description) {}

    static final int[] INTERESTING_8 = {0x00, 0xFF, 0x7F, 0x80};
    static final int[] INTERESTING_16 = {0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x3FFF, 0x4000, 0x4001, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF, 60000};
    static final long[] INTERESTING_32 = {0, 1, 2, 0x7F, 0xFF, 0xFFFF, 0x10000, 60000, 100000, 16385, 0x7FFFFFFFL, 0x80000000L,
            0xFFFFFFFEL, 0xFFFFFFFFL};

    /** One mutation of {@code seed} (never modified), chosen with {@code rng}. */
    public static Mutant mutate(byte[] seed, Random rng) {
        Op op = Op.values()[rng.nextInt(Op.values().length)];
        return apply(seed, op, rng);
    }

    /** One mutation of the given family. */
    public static Mutant apply(byte[] seed, Op op, Random rng) {
        if (op == Op.STACKED) {
            byte[] b = seed;
            List<String> what = new ArrayList<>();
            int n = 2 + rng.nextInt(2);
            for (int i = 0; i < n; i++) {
                Op o = Op.values()[rng.nextInt(Op.values().length - 1)];
                Mutant m = apply(b, o, rng);
                b = m.bytes;
                what.add(m.description);
            }
            return new Mutant(b, Op.STACKED, String.join(" + ", what));
        }
        byte[] b = seed.clone();
        ImageFormat fmt = ImageFormat.sniff(seed);
        switch (op) {
            case BIT_FLIP: {
                int n = 1 + rng.nextInt(8);
                List<Integer> at = new ArrayList<>();
                for (int i = 0; i < n && b.length > 0; i++) {
                    int p = position(b.length, headerBias(fmt, b), rng);
                    b[p] ^= (byte) (1 << rng.nextInt(8));
                    at.add(p);
                }
                return new Mutant(b, op, "bit flips at " + at);
            }
            case INTERESTING_BYTES: {
                int n = 1 + rng.nextInt(4);
                StringBuilder d = new StringBuilder("bytes set:");
                for (int i = 0; i < n && b.length > 0; i++) {
                    int p = position(b.length, headerBias(fmt, b), rng);
                    int v = INTERESTING_8[rng.nextInt(INTERESTING_8.length)];
                    b[p] = (byte) v;
                    d.append(String.format(Locale.ROOT, " [%d]=0x%02X", p, v));
                }
                return new Mutant(b, op, d.toString());
            }
            case TRUNCATE: {
                // half the cuts land in the first KiB (headers), half anywhere
                int max = Math.max(1, b.length - 1);
                int cut = rng.nextBoolean() ? rng.nextInt(Math.min(max, 1024)) : rng.nextInt(max);
                return new Mutant(Arrays.copyOf(b, cut), op, "truncated to " + cut + " of " + b.length + " bytes");
            }
            case DUPLICATE_CHUNK: case REMOVE_CHUNK: {
                int[] unit = chunk(b, fmt, rng);
                if (unit == null) return new Mutant(b, op, "no chunk found (unchanged)");
                int from = unit[0], to = unit[1];
                byte[] out = op == Op.DUPLICATE_CHUNK ? splice(b, to, Arrays.copyOfRange(b, from, to), 0)
                        : splice(b, from, new byte[0], to - from);
                return new Mutant(out, op, (op == Op.DUPLICATE_CHUNK ? "duplicated " : "removed ") + describeUnit(b, fmt, from, to));
            }
            case HEADER_FIELD:
                return headerField(b, fmt, rng);
            default:
                throw new IllegalArgumentException(op.toString());
        }
    }

    /** Where headers live: mutations land there half of the time, since that is where parsers trust the file most. */
    private static int headerBias(ImageFormat fmt, byte[] b) {
        switch (fmt) {
            case PNG: return Math.min(b.length, 64);
            case JPEG: {
                int sos = indexOfMarker(b, 0xDA);
                return sos > 0 ? Math.min(b.length, sos + 16) : Math.min(b.length, 700);
            }
            case DICOM: {
                int px = pixelDataOffset(b);
                return px > 0 ? Math.min(b.length, px + 12) : Math.min(b.length, 1024);
            }
            default: return Math.min(b.length, 128);
        }
    }

    private static int position(int length, int header, Random rng) {
        if (header > 0 && rng.nextBoolean()) return rng.nextInt(header);
        return rng.nextInt(length);
    }

    // ------------------------------------------------------------------ structural units

    /** A [from, to) range that is one structural unit of the file, or a random range when the layout is unknown. */
    private static int[] chunk(byte[] b, ImageFormat fmt, Random rng) {
        List<int[]> units = new ArrayList<>();
        if (fmt == ImageFormat.PNG) units = pngChunks(b);
        else if (fmt == ImageFormat.JPEG) units = jpegSegments(b);
        else if (fmt == ImageFormat.DICOM) units = dicomElements(b);
        if (!units.isEmpty() && rng.nextInt(4) != 0) return units.get(rng.nextInt(units.size()));
        if (b.length < 4) return null;
        int from = rng.nextInt(b.length - 1);
        int len = 1 + rng.nextInt(Math.min(512, b.length - from));
        return new int[]{from, from + len};
    }

    static List<int[]> pngChunks(byte[] b) {
        List<int[]> out = new ArrayList<>();
        int p = 8;
        while (p + 12 <= b.length) {
            long len = u32be(b, p);
            if (len > b.length - p - 12) break;
            out.add(new int[]{p, p + 12 + (int) len});
            p += 12 + (int) len;
        }
        return out;
    }

    static List<int[]> jpegSegments(byte[] b) {
        List<int[]> out = new ArrayList<>();
        int p = 2;
        while (p + 4 <= b.length && (b[p] & 0xff) == 0xFF) {
            int marker = b[p + 1] & 0xff;
            int len = (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
            if (len < 2 || p + 2 + len > b.length) break;
            out.add(new int[]{p, p + 2 + len});
            if (marker == 0xDA) {
                // the entropy-coded scan up to the end marker counts as a unit too
                int eoi = b.length >= 2 && (b[b.length - 2] & 0xff) == 0xFF && (b[b.length - 1] & 0xff) == 0xD9 ? b.length - 2 : b.length;
                if (eoi > p + 2 + len) out.add(new int[]{p + 2 + len, eoi});
                break;
            }
            p += 2 + len;
        }
        return out;
    }

    /** Explicit-VR little-endian elements after the preamble (what the seeds use); stops at the pixel data. */
    static List<int[]> dicomElements(byte[] b) {
        List<int[]> out = new ArrayList<>();
        int p = b.length >= 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M' ? 132 : 0;
        while (p + 8 <= b.length) {
            if (!isVr(b, p + 4)) break;
            String vr = new String(b, p + 4, 2, java.nio.charset.StandardCharsets.US_ASCII);
            long len;
            int head;
            if (longVr(vr)) {
                if (p + 12 > b.length) break;
                len = u32le(b, p + 8);
                head = 12;
            } else {
                len = (b[p + 6] & 0xff) | (b[p + 7] & 0xff) << 8;
                head = 8;
            }
            if (len == 0xFFFFFFFFL || len > b.length - p - head) {
                out.add(new int[]{p, b.length}); // undefined length (sequence, encapsulated pixels): to the end
                break;
            }
            out.add(new int[]{p, p + head + (int) len});
            p += head + (int) len;
        }
        return out;
    }

    private static String describeUnit(byte[] b, ImageFormat fmt, int from, int to) {
        String what;
        if (fmt == ImageFormat.PNG && to - from >= 12 && pngChunks(b).stream().anyMatch(u -> u[0] == from && u[1] == to))
            what = "PNG chunk " + new String(b, from + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
        else if (fmt == ImageFormat.JPEG && from + 1 < b.length && (b[from] & 0xff) == 0xFF && jpegSegments(b).stream().anyMatch(u -> u[0] == from && u[1] == to))
            what = String.format(Locale.ROOT, "JPEG segment FF%02X", b[from + 1] & 0xff);
        else if (fmt == ImageFormat.DICOM && dicomElements(b).stream().anyMatch(u -> u[0] == from && u[1] == to))
            what = String.format(Locale.ROOT, "DICOM element (%02X%02X,%02X%02X)", b[from + 1], b[from], b[from + 3], b[from + 2]);
        else what = "bytes";
        return what + " [" + from + ", " + to + ")";
    }

    // ------------------------------------------------------------------ header fields

    private static Mutant headerField(byte[] b, ImageFormat fmt, Random rng) {
        switch (fmt) {
            case PNG: {
                if (b.length < 33) break;
                String[] names = {"width", "height", "bit depth", "colour type", "compression", "filter", "interlace", "chunk length"};
                int f = rng.nextInt(names.length);
                String d;
                if (f < 2) {
                    long v = INTERESTING_32[rng.nextInt(INTERESTING_32.length)];
                    put32be(b, 16 + 4 * f, v);
                    d = "PNG IHDR " + names[f] + "=" + v;
                } else if (f < 7) {
                    int v = rng.nextBoolean() ? INTERESTING_8[rng.nextInt(INTERESTING_8.length)] : rng.nextInt(20);
                    b[24 + f - 2] = (byte) v;
                    d = "PNG IHDR " + names[f] + "=" + v;
                } else {
                    List<int[]> chunks = pngChunks(b);
                    if (chunks.isEmpty()) break;
                    int[] c = chunks.get(rng.nextInt(chunks.size()));
                    long v = INTERESTING_32[rng.nextInt(INTERESTING_32.length)];
                    put32be(b, c[0], v);
                    return new Mutant(b, Op.HEADER_FIELD, "PNG chunk length of " + new String(b, c[0] + 4, 4,
                            java.nio.charset.StandardCharsets.ISO_8859_1) + "=" + v);
                }
                boolean fix = rng.nextInt(5) != 0;
                if (fix) fixIhdrCrc(b);
                return new Mutant(b, Op.HEADER_FIELD, d + (fix ? " (CRC fixed)" : ""));
            }
            case JPEG: {
                List<int[]> segs = jpegSegments(b);
                if (segs.isEmpty()) break;
                int sof = -1;
                for (int[] s : segs) {
                    if (s[0] + 1 >= b.length || (b[s[0]] & 0xff) != 0xFF) continue; // the scan data is a unit too
                    int m = b[s[0] + 1] & 0xff;
                    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC && s[1] - s[0] >= 10) sof = s[0];
                }
                int choice = rng.nextInt(3);
                if (sof >= 0 && choice < 2) {
                    String[] names = {"precision", "height", "width", "components", "sampling factors"};
                    int f = rng.nextInt(names.length);
                    int v;
                    switch (f) {
                        case 0: v = INTERESTING_8[rng.nextInt(INTERESTING_8.length)]; b[sof + 4] = (byte) v; break;
                        case 1: v = INTERESTING_16[rng.nextInt(INTERESTING_16.length)]; put16be(b, sof + 5, v); break;
                        case 2: v = INTERESTING_16[rng.nextInt(INTERESTING_16.length)]; put16be(b, sof + 7, v); break;
                        case 3: v = rng.nextBoolean() ? INTERESTING_8[rng.nextInt(INTERESTING_8.length)] : rng.nextInt(6); b[sof + 9] = (byte) v; break;
                        default: {
                            if (sof + 11 >= b.length) return new Mutant(b, Op.HEADER_FIELD, "no SOF sampling byte (unchanged)");
                            v = rng.nextBoolean() ? INTERESTING_8[rng.nextInt(INTERESTING_8.length)] : rng.nextInt(256);
                            b[sof + 11] = (byte) v;
                        }
                    }
                    return new Mutant(b, Op.HEADER_FIELD, String.format(Locale.ROOT, "JPEG SOF%d %s=%d", (b[sof + 1] & 0xff) - 0xC0, names[f], v));
                }
                int[] s = segs.get(rng.nextInt(segs.size()));
                if (s[0] + 4 > b.length || (b[s[0]] & 0xff) != 0xFF) break;
                int v = INTERESTING_16[rng.nextInt(INTERESTING_16.length)];
                put16be(b, s[0] + 2, v);
                return new Mutant(b, Op.HEADER_FIELD, String.format(Locale.ROOT, "JPEG FF%02X segment length=%d", b[s[0] + 1] & 0xff, v));
            }
            case DICOM: {
                int[][] fields = {{0x0028, 0x0010}, {0x0028, 0x0011}, {0x0028, 0x0100}, {0x0028, 0x0101}, {0x0028, 0x0002},
                        {0x0028, 0x0103}, {0x0028, 0x0008}};
                String[] names = {"Rows", "Columns", "Bits Allocated", "Bits Stored", "Samples per Pixel", "Pixel Representation",
                        "Number of Frames"};
                if (rng.nextInt(3) != 0) {
                    int f = rng.nextInt(fields.length);
                    int at = findTag(b, fields[f][0], fields[f][1]);
                    if (at >= 0 && at + 10 <= b.length) {
                        int v = INTERESTING_16[rng.nextInt(INTERESTING_16.length)];
                        b[at + 8] = (byte) v;
                        b[at + 9] = (byte) (v >> 8);
                        return new Mutant(b, Op.HEADER_FIELD, "DICOM " + names[f] + "=" + v);
                    }
                }
                // an element's length field: the classic way to send a parser far past the end of the buffer
                List<int[]> els = dicomElements(b);
                if (els.isEmpty()) break;
                int[] e = els.get(rng.nextInt(els.size()));
                String vr = new String(b, e[0] + 4, 2, java.nio.charset.StandardCharsets.US_ASCII);
                long v;
                if (longVr(vr)) {
                    v = INTERESTING_32[rng.nextInt(INTERESTING_32.length)];
                    put32le(b, e[0] + 8, v);
                } else {
                    v = INTERESTING_16[rng.nextInt(INTERESTING_16.length)];
                    b[e[0] + 6] = (byte) v;
                    b[e[0] + 7] = (byte) (v >> 8);
                }
                return new Mutant(b, Op.HEADER_FIELD, String.format(Locale.ROOT, "DICOM (%02X%02X,%02X%02X) length=%d",
                        b[e[0] + 1], b[e[0]], b[e[0] + 3], b[e[0] + 2], v));
            }
            default:
                break;
        }
        // unknown layout: a 16-bit boundary value somewhere in the first bytes
        if (b.length < 2) return new Mutant(b, Op.HEADER_FIELD, "too short (unchanged)");
        int p = rng.nextInt(Math.min(b.length - 1, 64));
        int v = INTERESTING_16[rng.nextInt(INTERESTING_16.length)];
        put16be(b, p, v);
        return new Mutant(b, Op.HEADER_FIELD, "16-bit value " + v + " at " + p);
    }

    /** Offset of an explicit or implicit little-endian element with this tag after the preamble, or -1. */
    static int findTag(byte[] b, int group, int element) {
        for (int p = 0; p + 8 <= b.length; p++) {
            if ((b[p] & 0xff) == (group & 0xff) && (b[p + 1] & 0xff) == group >> 8 && (b[p + 2] & 0xff) == (element & 0xff)
                    && (b[p + 3] & 0xff) == element >> 8) return p;
        }
        return -1;
    }

    private static int pixelDataOffset(byte[] b) {
        return findTag(b, 0x7FE0, 0x0010);
    }

    private static int indexOfMarker(byte[] b, int marker) {
        for (int i = 2; i + 1 < b.length; i++) if ((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == marker) return i;
        return -1;
    }

    private static boolean isVr(byte[] b, int p) {
        return p + 2 <= b.length && b[p] >= 'A' && b[p] <= 'Z' && b[p + 1] >= 'A' && b[p + 1] <= 'Z';
    }

    private static boolean longVr(String vr) {
        switch (vr) {
            case "OB": case "OW": case "OF": case "OD": case "OL": case "OV": case "SQ": case "UN": case "UT": case "UC":
            case "UR": case "SV": case "UV":
                return true;
            default:
                return false;
        }
    }

    /** Recomputes the CRC of the IHDR chunk (bytes 12..28 are type + data, CRC at 29..32). */
    static void fixIhdrCrc(byte[] b) {
        if (b.length < 33) return;
        CRC32 crc = new CRC32();
        crc.update(b, 12, 17);
        put32be(b, 29, crc.getValue());
    }

    private static byte[] splice(byte[] b, int at, byte[] insert, int remove) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + insert.length);
        out.write(b, 0, at);
        out.write(insert, 0, insert.length);
        out.write(b, at + remove, b.length - at - remove);
        return out.toByteArray();
    }

    private static long u32be(byte[] b, int p) {
        return (b[p] & 0xffL) << 24 | (b[p + 1] & 0xffL) << 16 | (b[p + 2] & 0xffL) << 8 | (b[p + 3] & 0xffL);
    }

    private static long u32le(byte[] b, int p) {
        return (b[p] & 0xffL) | (b[p + 1] & 0xffL) << 8 | (b[p + 2] & 0xffL) << 16 | (b[p + 3] & 0xffL) << 24;
    }

    private static void put32be(byte[] b, int p, long v) {
        b[p] = (byte) (v >> 24);
        b[p + 1] = (byte) (v >> 16);
        b[p + 2] = (byte) (v >> 8);
        b[p + 3] = (byte) v;
    }

    private static void put32le(byte[] b, int p, long v) {
        b[p] = (byte) v;
        b[p + 1] = (byte) (v >> 8);
        b[p + 2] = (byte) (v >> 16);
        b[p + 3] = (byte) (v >> 24);
    }

    private static void put16be(byte[] b, int p, int v) {
        b[p] = (byte) (v >> 8);
        b[p + 1] = (byte) v;
    }
}
