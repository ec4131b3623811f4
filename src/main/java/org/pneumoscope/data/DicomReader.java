package org.pneumoscope.data;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.UnsupportedFormatException;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A small DICOM reader for what chest X-ray exports contain: one grey image, uncompressed or baseline JPEG.
 *
 * <p>No library on Maven Central reads JPEG-compressed DICOM, so this parses the file itself: Part-10 files
 * (128-byte preamble + "DICM", also without preamble), implicit/explicit VR little endian, explicit big endian,
 * deflated explicit little endian; native 8/16-bit pixels (signed or unsigned, Bits Stored honoured) and
 * encapsulated JPEG baseline/extended (first frame, decoded with ImageIO). Other compressions (JPEG 2000,
 * JPEG-LS, RLE, lossless JPEG, video) are refused with {@link UnsupportedFormatException}.
 *
 * <p>Grey levels follow the DICOM display pipeline: Rescale Slope/Intercept, then the VOI LUT Sequence when
 * present (as pydicom's default), else Window Center/Width (first value, LINEAR/LINEAR_EXACT/SIGMOID), else the
 * image's own min/max (ignoring Pixel Padding Value) - except plain unsigned 8-bit data without rescale, which is
 * already display-ready and kept as is; MONOCHROME1 is inverted so bone is always bright. Padding pixels are black.
 * Not handled (rare in chest radiographs): Modality LUT Sequence, Presentation LUT Shape, palette colour.
 *
 * <p>Privacy: only the pixel-module attributes listed below are ever read. Patient and study attributes are
 * skipped as raw bytes and never decoded, so no identifier can reach an exception message or a log.
 */
public final class DicomReader {
    private DicomReader() {}

    // Tags (group << 16 | element).
    static final int TRANSFER_SYNTAX = 0x00020010;
    static final int SAMPLES_PER_PIXEL = 0x00280002;
    static final int PHOTOMETRIC = 0x00280004;
    static final int PLANAR_CONFIGURATION = 0x00280006;
    static final int NUMBER_OF_FRAMES = 0x00280008;
    static final int ROWS = 0x00280010;
    static final int COLUMNS = 0x00280011;
    static final int BITS_ALLOCATED = 0x00280100;
    static final int BITS_STORED = 0x00280101;
    static final int HIGH_BIT = 0x00280102;
    static final int PIXEL_REPRESENTATION = 0x00280103;
    static final int PIXEL_PADDING_VALUE = 0x00280120;
    static final int WINDOW_CENTER = 0x00281050;
    static final int WINDOW_WIDTH = 0x00281051;
    static final int RESCALE_INTERCEPT = 0x00281052;
    static final int RESCALE_SLOPE = 0x00281053;
    static final int VOI_LUT_FUNCTION = 0x00281056;
    static final int LUT_DESCRIPTOR = 0x00283002;
    static final int LUT_DATA = 0x00283006;
    static final int VOI_LUT_SEQUENCE = 0x00283010;
    static final int FLOAT_PIXEL_DATA = 0x7FE00008;
    static final int DOUBLE_PIXEL_DATA = 0x7FE00009;
    static final int PIXEL_DATA = 0x7FE00010;
    static final int ITEM = 0xFFFEE000;
    static final int ITEM_DELIMITATION = 0xFFFEE00D;
    static final int SEQUENCE_DELIMITATION = 0xFFFEE0DD;

    static final String IMPLICIT_LE = "1.2.840.10008.1.2";
    static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    static final String DEFLATED_LE = "1.2.840.10008.1.2.1.99";
    static final String EXPLICIT_BE = "1.2.840.10008.1.2.2";
    static final String JPEG_BASELINE = "1.2.840.10008.1.2.4.50";
    static final String JPEG_EXTENDED = "1.2.840.10008.1.2.4.51";

    private static final int UNDEFINED = -1;
    private static final int MAX_DEPTH = 12;
    /**
     * Largest inflated data set: 32 megapixels of 16-bit data, beyond any radiograph detector (43x43 cm at 100 um is
     * about 18 megapixels). Inflating keeps 1 MiB blocks and copies them once, so a deflate bomb costs at most twice
     * this much heap before it is refused.
     */
    private static final long MAX_INFLATED = 64L << 20;

    /** Names of transfer syntaxes we refuse, so the message says what the file is. */
    private static final Map<String, String> TRANSFER_SYNTAX_NAMES = Map.ofEntries(
            Map.entry("1.2.840.10008.1.2.4.53", "JPEG Extended (Process 3 & 5, retired)"),
            Map.entry("1.2.840.10008.1.2.4.55", "JPEG Full Progression (retired)"),
            Map.entry("1.2.840.10008.1.2.4.57", "JPEG Lossless (Process 14)"),
            Map.entry("1.2.840.10008.1.2.4.70", "JPEG Lossless SV1 (Process 14, first-order prediction)"),
            Map.entry("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"),
            Map.entry("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless"),
            Map.entry("1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)"),
            Map.entry("1.2.840.10008.1.2.4.91", "JPEG 2000"),
            Map.entry("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component (Lossless Only)"),
            Map.entry("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component"),
            Map.entry("1.2.840.10008.1.2.4.94", "JPIP Referenced"),
            Map.entry("1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate"),
            Map.entry("1.2.840.10008.1.2.4.100", "MPEG2 video"),
            Map.entry("1.2.840.10008.1.2.4.101", "MPEG2 video"),
            Map.entry("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 video"),
            Map.entry("1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 video"),
            Map.entry("1.2.840.10008.1.2.4.104", "MPEG-4 AVC/H.264 video"),
            Map.entry("1.2.840.10008.1.2.4.105", "MPEG-4 AVC/H.264 video"),
            Map.entry("1.2.840.10008.1.2.4.106", "MPEG-4 AVC/H.264 video"),
            Map.entry("1.2.840.10008.1.2.4.107", "HEVC/H.265 video"),
            Map.entry("1.2.840.10008.1.2.4.108", "HEVC/H.265 video"),
            Map.entry("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)"),
            Map.entry("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL (Lossless Only)"),
            Map.entry("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000"),
            Map.entry("1.2.840.10008.1.2.5", "RLE Lossless"),
            Map.entry("1.2.840.10008.1.2.6.1", "RFC 2557 MIME encapsulation"),
            Map.entry("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian"));

    private static final java.util.Set<String> ALL_VRS = java.util.Set.of("AE", "AS", "AT", "CS", "DA", "DS", "DT",
            "FL", "FD", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV",
            "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV");

    /** VRs whose explicit encoding uses 2 reserved bytes and a 32-bit length. */
    private static boolean longVr(String vr) {
        switch (vr) {
            case "OB": case "OW": case "OF": case "OD": case "OL": case "OV": case "SQ": case "UN":
            case "UT": case "UC": case "UR": case "SV": case "UV":
                return true;
            default:
                return false;
        }
    }

    /** The few VRs needed when the file does not spell them out (implicit VR). */
    private static String implicitVr(int tag) {
        switch (tag) {
            case VOI_LUT_SEQUENCE: return "SQ";
            case SAMPLES_PER_PIXEL: case PLANAR_CONFIGURATION: case ROWS: case COLUMNS: case BITS_ALLOCATED:
            case BITS_STORED: case HIGH_BIT: case PIXEL_REPRESENTATION: return "US";
            case PHOTOMETRIC: case VOI_LUT_FUNCTION: return "CS";
            case WINDOW_CENTER: case WINDOW_WIDTH: case RESCALE_INTERCEPT: case RESCALE_SLOPE: return "DS";
            case NUMBER_OF_FRAMES: return "IS";
            case PIXEL_DATA: case LUT_DATA: return "OW";
            case TRANSFER_SYNTAX: return "UI";
            default: return "UN";
        }
    }

    /** Attributes this reader ever looks at (everything else is skipped unread). */
    private static boolean wanted(int tag) {
        switch (tag) {
            case TRANSFER_SYNTAX: case SAMPLES_PER_PIXEL: case PHOTOMETRIC: case PLANAR_CONFIGURATION:
            case NUMBER_OF_FRAMES: case ROWS: case COLUMNS: case BITS_ALLOCATED: case BITS_STORED: case HIGH_BIT:
            case PIXEL_REPRESENTATION: case PIXEL_PADDING_VALUE: case WINDOW_CENTER: case WINDOW_WIDTH:
            case RESCALE_INTERCEPT: case RESCALE_SLOPE: case VOI_LUT_FUNCTION: case LUT_DESCRIPTOR: case LUT_DATA:
                return true;
            default:
                return false;
        }
    }

    /** Where one element's value lies in the buffer. */
    private record Value(String vr, int offset, int length) {}

    /** Parsing state over one buffer (the file, or its inflated body). */
    private static final class Parser {
        final byte[] b;
        final int end;
        final String name;
        boolean bigEndian;

        Parser(byte[] b, int end, String name) {
            this.b = b;
            this.end = end;
            this.name = name;
        }

        int u16(int p) throws DecodeException {
            need(p, 2);
            return bigEndian ? (b[p] & 0xff) << 8 | (b[p + 1] & 0xff) : (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
        }

        long u32(int p) throws DecodeException {
            need(p, 4);
            long v = bigEndian
                    ? (long) (b[p] & 0xff) << 24 | (b[p + 1] & 0xff) << 16 | (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff)
                    : (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (long) (b[p + 3] & 0xff) << 24;
            return v & 0xffffffffL;
        }

        int tag(int p) throws DecodeException { return u16(p) << 16 | u16(p + 2); }

        void need(int p, int n) throws DecodeException {
            if (p < 0 || (long) p + n > end) throw truncated(name, "the file ends inside the DICOM header");
        }

        String text(Value v) {
            return new String(b, v.offset, v.length, StandardCharsets.US_ASCII).replace('\0', ' ').trim();
        }
    }

    /** Result of reading the elements: wanted attributes plus where the pixels are. */
    private static final class DataSet {
        final Map<Integer, Value> attrs = new HashMap<>();
        final List<Map<Integer, Value>> voiLuts = new ArrayList<>();
        Value pixelData;              // native pixels
        List<Value> fragments;        // encapsulated: fragments (offset table first)
        boolean fragmentsTruncated;
        int unsupportedPixelTag;
    }

    /** True when the bytes start like a DICOM data set written without the 128-byte preamble. */
    static boolean looksLikeBareDataset(byte[] b, int n) {
        if (n < 12) return false;
        int group = (b[0] & 0xff) | (b[1] & 0xff) << 8;
        int element = (b[2] & 0xff) | (b[3] & 0xff) << 8;
        if ((group != 0x0002 && group != 0x0008) || element > 0x0100) return false;
        char v0 = (char) (b[4] & 0xff), v1 = (char) (b[5] & 0xff);
        if (v0 >= 'A' && v0 <= 'Z' && v1 >= 'A' && v1 <= 'Z') return ALL_VRS.contains("" + v0 + v1);
        long len = (b[4] & 0xffL) | (b[5] & 0xffL) << 8 | (b[6] & 0xffL) << 16 | (b[7] & 0xffL) << 24;
        if (len > 1024 || (len & 1) != 0) return false;
        // Implicit VR: the next element must be in the same group with a larger element number.
        int next = 8 + (int) len;
        if (next + 4 > n) return len > 0;
        int g2 = (b[next] & 0xff) | (b[next + 1] & 0xff) << 8;
        int e2 = (b[next + 2] & 0xff) | (b[next + 3] & 0xff) << 8;
        return g2 >= group && (g2 > group || e2 > element) && g2 < 0x0100;
    }

    /** Decodes the first frame of a DICOM file to 8-bit grey. */
    public static GreyImage read(byte[] data, String name) throws DecodeException {
        try {
            return readUnchecked(data, name);
        } catch (DecodeException e) {
            throw e;
        } catch (OutOfMemoryError e) {
            throw new DecodeException(name, DecodeException.Kind.TOO_LARGE, "not enough memory to decode this DICOM image");
        } catch (RuntimeException e) {
            // Hostile or damaged files must never crash a long run; report the class only (no file contents).
            throw new DecodeException(name, DecodeException.Kind.CORRUPT,
                    "corrupt DICOM file (" + e.getClass().getSimpleName() + " while parsing)", e);
        }
    }

    private static GreyImage readUnchecked(byte[] data, String name) throws DecodeException {
        int n = data.length;
        if (n == 0) throw new DecodeException(name, DecodeException.Kind.EMPTY, "empty file (0 bytes)");
        int pos;
        if (n >= 132 && data[128] == 'D' && data[129] == 'I' && data[130] == 'C' && data[131] == 'M') pos = 132;
        else if (looksLikeBareDataset(data, n)) pos = 0;
        else throw new DecodeException(name, DecodeException.Kind.NOT_AN_IMAGE, "not a DICOM file (no DICM marker)");

        Parser p = new Parser(data, n, name);
        // File meta information (group 0002) is always explicit VR little endian.
        String ts = null;
        DataSet meta = new DataSet();
        while (pos + 8 <= n && p.u16(pos) == 0x0002) {
            boolean explicit = isVrText(data, pos + 4);
            pos = readElement(p, pos, !explicit, meta, 0, true);
        }
        Value tsValue = meta.attrs.get(TRANSFER_SYNTAX);
        if (tsValue != null) ts = p.text(tsValue);
        if (ts == null || ts.isEmpty()) {
            // No meta header: guess the encoding from the first element of the data set.
            ts = pos + 6 <= n && isVrText(data, pos + 4) ? EXPLICIT_LE : IMPLICIT_LE;
        }

        boolean implicit;
        Parser body = p;
        switch (ts) {
            case IMPLICIT_LE: implicit = true; break;
            case EXPLICIT_LE: case JPEG_BASELINE: case JPEG_EXTENDED: implicit = false; break;
            case EXPLICIT_BE: implicit = false; break;
            case DEFLATED_LE: {
                byte[] inflated = inflate(data, pos, n - pos, name);
                body = new Parser(inflated, inflated.length, name);
                pos = 0;
                implicit = false;
                break;
            }
            default: {
                String label = TRANSFER_SYNTAX_NAMES.get(ts);
                throw new UnsupportedFormatException(name, "unsupported transfer syntax "
                        + (label == null ? quotable(ts, UID_TEXT) : label + " (" + ts + ")")
                        + "; convert to uncompressed or JPEG baseline DICOM, or export as PNG");
            }
        }
        body.bigEndian = ts.equals(EXPLICIT_BE);

        DataSet ds = new DataSet();
        ds.attrs.putAll(meta.attrs);
        while (pos < body.end && ds.pixelData == null && ds.fragments == null && ds.unsupportedPixelTag == 0) {
            if (body.end - pos < 8) break; // trailing padding
            pos = readElement(body, pos, implicit, ds, 0, true);
        }
        if (ds.unsupportedPixelTag != 0)
            throw new UnsupportedFormatException(name, "floating-point pixel data is not supported");
        if (ds.pixelData == null && ds.fragments == null)
            throw new DecodeException(name, DecodeException.Kind.NOT_AN_IMAGE,
                    "DICOM file has no pixel data (a report, structured document or presentation state?)");
        return new Pixels(body, ds, ts, name).toGrey();
    }

    private static boolean isVrText(byte[] b, int p) {
        if (p + 2 > b.length) return false;
        return b[p] >= 'A' && b[p] <= 'Z' && b[p + 1] >= 'A' && b[p + 1] <= 'Z';
    }

    /**
     * Reads one element at {@code pos} and returns the position after it. Wanted attributes go into
     * {@code ds}; at top level the pixel data stops the parse (everything after it is irrelevant).
     */
    private static int readElement(Parser p, int pos, boolean implicit, DataSet ds, int depth, boolean topLevel)
            throws DecodeException {
        int tag = p.tag(pos);
        if ((tag >>> 16) == 0xFFFE)
            throw corrupt(p.name, "unexpected item marker " + tagText(tag) + " outside a sequence");
        String vr;
        long length;
        int valuePos;
        if (implicit) {
            vr = implicitVr(tag);
            length = p.u32(pos + 4);
            valuePos = pos + 8;
        } else {
            p.need(pos + 4, 2);
            if (!isVrText(p.b, pos + 4)) throw corrupt(p.name, "invalid value representation at " + tagText(tag));
            vr = new String(p.b, pos + 4, 2, StandardCharsets.US_ASCII);
            if (longVr(vr)) {
                length = p.u32(pos + 8);
                valuePos = pos + 12;
            } else {
                length = p.u16(pos + 6);
                valuePos = pos + 8;
            }
        }
        boolean undefined = length == 0xFFFFFFFFL;

        if (tag == PIXEL_DATA && topLevel) {
            if (undefined) {
                ds.fragments = new ArrayList<>();
                readFragments(p, valuePos, ds);
                return p.end;
            }
            // A truncated file may still hold the whole first frame; Pixels checks the size it needs.
            int available = (int) Math.min(length, p.end - (long) valuePos);
            if (available < 0) throw truncated(p.name, "the file ends before the pixel data");
            ds.pixelData = new Value(vr, valuePos, available);
            return p.end;
        }
        if ((tag == FLOAT_PIXEL_DATA || tag == DOUBLE_PIXEL_DATA) && topLevel) {
            ds.unsupportedPixelTag = tag;
            return p.end;
        }

        if (undefined || vr.equals("SQ")) {
            // Sequences (explicit SQ, or undefined length); a UN sequence is encoded implicit little endian.
            boolean innerImplicit = implicit || vr.equals("UN");
            if (depth >= MAX_DEPTH) throw corrupt(p.name, "sequences nested too deeply");
            List<Map<Integer, Value>> items = tag == VOI_LUT_SEQUENCE && topLevel ? new ArrayList<>() : null;
            boolean savedBe = p.bigEndian;
            if (vr.equals("UN")) p.bigEndian = false;
            int after = readSequence(p, valuePos, undefined ? UNDEFINED : length, innerImplicit, depth + 1, items);
            p.bigEndian = savedBe;
            if (items != null) ds.voiLuts.addAll(items);
            return after;
        }
        if (valuePos + length > p.end) throw truncated(p.name, "the file ends inside element " + tagText(tag));
        if (wanted(tag) && ds != null) ds.attrs.put(tag, new Value(vr, valuePos, (int) length));
        return (int) (valuePos + length);
    }

    /** Walks a sequence's items; collects the items' wanted attributes when {@code items} is not null. */
    private static int readSequence(Parser p, int pos, long length, boolean implicit, int depth,
                                    List<Map<Integer, Value>> items) throws DecodeException {
        long limit = length == UNDEFINED ? p.end : pos + length;
        if (limit > p.end) throw truncated(p.name, "the file ends inside a sequence");
        while (pos < limit) {
            int tag = p.tag(pos);
            long itemLength = p.u32(pos + 4);
            pos += 8;
            if (tag == SEQUENCE_DELIMITATION) return pos;
            if (tag != ITEM) throw corrupt(p.name, "expected a sequence item, found " + tagText(tag));
            DataSet item = new DataSet();
            if (itemLength == 0xFFFFFFFFL) {
                while (true) {
                    if (p.tag(pos) == ITEM_DELIMITATION) {
                        pos += 8;
                        break;
                    }
                    pos = readElement(p, pos, implicit, item, depth, false);
                }
            } else {
                long itemEnd = pos + itemLength;
                if (itemEnd > limit) throw truncated(p.name, "the file ends inside a sequence item");
                while (pos < itemEnd) pos = readElement(p, pos, implicit, item, depth, false);
                if (pos != itemEnd) throw corrupt(p.name, "sequence item length does not match its contents");
            }
            if (items != null) items.add(item.attrs);
        }
        if (length == UNDEFINED) throw truncated(p.name, "the file ends inside a sequence");
        return pos;
    }

    /** Encapsulated pixel data: an offset-table item, then fragment items, then a sequence delimiter. */
    private static void readFragments(Parser p, int pos, DataSet ds) throws DecodeException {
        while (true) {
            if (pos + 8 > p.end) {
                ds.fragmentsTruncated = true;
                return;
            }
            int tag = p.tag(pos);
            long len = p.u32(pos + 4);
            pos += 8;
            if (tag == SEQUENCE_DELIMITATION) return;
            if (tag != ITEM) throw corrupt(p.name, "expected a pixel data fragment, found " + tagText(tag));
            if (len == 0xFFFFFFFFL) throw corrupt(p.name, "pixel data fragment with undefined length");
            if (pos + len > p.end) {
                ds.fragments.add(new Value("OB", pos, p.end - pos));
                ds.fragmentsTruncated = true;
                return;
            }
            ds.fragments.add(new Value("OB", pos, (int) len));
            pos += (int) len;
        }
    }

    private static byte[] inflate(byte[] data, int off, int len, String name) throws DecodeException {
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(data, off, len);
            List<byte[]> blocks = new ArrayList<>();
            long total = 0;
            byte[] block = new byte[1 << 20];
            int filled = 0;
            while (!inf.finished()) {
                if (filled == block.length) {
                    blocks.add(block);
                    block = new byte[1 << 20];
                    filled = 0;
                }
                int k = inf.inflate(block, filled, block.length - filled);
                if (k == 0) {
                    if (inf.needsInput()) throw truncated(name, "the deflated DICOM data ends early");
                    if (inf.needsDictionary()) throw corrupt(name, "deflated DICOM data needs a preset dictionary");
                }
                filled += k;
                total += k;
                if (total > MAX_INFLATED)
                    throw new DecodeException(name, DecodeException.Kind.TOO_LARGE, "deflated DICOM data expands beyond "
                            + (MAX_INFLATED >> 20) + " MiB (a compression bomb?); refused");
            }
            byte[] out = new byte[(int) total];
            int at = 0;
            for (byte[] b : blocks) {
                System.arraycopy(b, 0, out, at, b.length);
                at += b.length;
            }
            System.arraycopy(block, 0, out, at, filled);
            return out;
        } catch (DataFormatException e) {
            throw corrupt(name, "deflated DICOM data is corrupt");
        } finally {
            inf.end();
        }
    }

    /** The pixel module and the grey-level pipeline. */
    private static final class Pixels {
        final Parser p;
        final DataSet ds;
        final String ts;
        final String name;

        Pixels(Parser p, DataSet ds, String ts, String name) {
            this.p = p;
            this.ds = ds;
            this.ts = ts;
            this.name = name;
        }

        int us(int tag, int dflt) throws DecodeException {
            Value v = ds.attrs.get(tag);
            if (v == null || v.length < 2) return dflt;
            if (v.vr.equals("IS") || v.vr.equals("DS")) return (int) number(v, dflt);
            return p.u16(v.offset);
        }

        double number(Value v, double dflt) {
            if (v == null) return dflt;
            String s = p.text(v);
            int bs = s.indexOf('\\');
            if (bs >= 0) s = s.substring(0, bs);
            s = s.trim();
            if (s.isEmpty()) return dflt;
            try {
                double d = Double.parseDouble(s);
                return Double.isFinite(d) ? d : dflt;
            } catch (NumberFormatException e) {
                return dflt;
            }
        }

        double ds(int tag, double dflt) { return number(ds.attrs.get(tag), dflt); }

        String cs(int tag) {
            Value v = ds.attrs.get(tag);
            return v == null ? "" : p.text(v).toUpperCase(Locale.ROOT);
        }

        GreyImage toGrey() throws DecodeException {
            int rows = us(ROWS, -1), cols = us(COLUMNS, -1);
            String photometric = cs(PHOTOMETRIC);
            if (photometric.isEmpty()) photometric = "MONOCHROME2";
            int spp = us(SAMPLES_PER_PIXEL, 1);
            if (ds.fragments != null) return fromJpeg(rows, cols, photometric);

            if (rows <= 0 || cols <= 0) throw corrupt(name, "DICOM file has pixel data but no Rows/Columns");
            ImageDecoder.checkDimensions(cols, rows, name);
            int bitsAllocated = us(BITS_ALLOCATED, 16);
            if (bitsAllocated != 8 && bitsAllocated != 16)
                throw new UnsupportedFormatException(name, "unsupported DICOM pixel layout: Bits Allocated " + bitsAllocated
                        + " (only 8 and 16 are supported)");
            int bitsStored = us(BITS_STORED, bitsAllocated);
            if (bitsStored < 1 || bitsStored > bitsAllocated) bitsStored = bitsAllocated;
            boolean signed = us(PIXEL_REPRESENTATION, 0) == 1;
            int bytesPerSample = bitsAllocated / 8;
            long frameBytes = (long) rows * cols * spp * bytesPerSample;
            if (ds.pixelData.length < frameBytes)
                throw truncated(name, "pixel data holds " + ds.pixelData.length + " bytes but one "
                        + cols + "x" + rows + " frame needs " + frameBytes);
            int off = ds.pixelData.offset;
            boolean be = p.bigEndian && bitsAllocated == 16 && !ds.pixelData.vr.equals("OB");

            if (spp == 3) return fromNativeColour(rows, cols, off, bitsAllocated, photometric);
            if (spp != 1)
                throw new UnsupportedFormatException(name, "unsupported DICOM pixel layout: Samples per Pixel " + spp);
            checkMonochrome(photometric);

            int count = rows * cols;
            int[] stored = new int[count];
            int mask = bitsStored >= 32 ? -1 : (1 << bitsStored) - 1;
            int signBit = 1 << (bitsStored - 1);
            byte[] b = p.b;
            for (int i = 0; i < count; i++) {
                int raw;
                if (bytesPerSample == 1) raw = b[off + i] & 0xff;
                else {
                    int q = off + 2 * i;
                    raw = be ? (b[q] & 0xff) << 8 | (b[q + 1] & 0xff) : (b[q] & 0xff) | (b[q + 1] & 0xff) << 8;
                }
                int v = raw & mask;
                if (signed && (v & signBit) != 0) v -= (1 << bitsStored);
                stored[i] = v;
            }
            Integer padding = null;
            Value pv = ds.attrs.get(PIXEL_PADDING_VALUE);
            if (pv != null && pv.length >= 2) {
                int raw = p.u16(pv.offset);
                padding = signed || pv.vr.equals("SS") ? (int) (short) raw : raw;
            }
            return applyPipeline(cols, rows, stored, signed, padding, photometric, bitsStored == 8);
        }

        void checkMonochrome(String photometric) throws DecodeException {
            if (!photometric.equals("MONOCHROME1") && !photometric.equals("MONOCHROME2"))
                throw new UnsupportedFormatException(name, "unsupported DICOM photometric interpretation "
                        + quotable(photometric, CODE_TEXT) + " for single-sample pixels");
        }

        GreyImage fromNativeColour(int rows, int cols, int off, int bitsAllocated, String photometric) throws DecodeException {
            if (bitsAllocated != 8)
                throw new UnsupportedFormatException(name, "unsupported DICOM pixel layout: 16-bit colour");
            boolean planar = us(PLANAR_CONFIGURATION, 0) == 1;
            int count = rows * cols;
            byte[] out = new byte[count];
            byte[] b = p.b;
            boolean ybr = photometric.startsWith("YBR_FULL");
            if (!ybr && !photometric.equals("RGB"))
                throw new UnsupportedFormatException(name, "unsupported DICOM photometric interpretation "
                        + quotable(photometric, CODE_TEXT));
            for (int i = 0; i < count; i++) {
                int r, g, bl;
                if (planar) {
                    r = b[off + i] & 0xff;
                    g = b[off + count + i] & 0xff;
                    bl = b[off + 2 * count + i] & 0xff;
                } else {
                    r = b[off + 3 * i] & 0xff;
                    g = b[off + 3 * i + 1] & 0xff;
                    bl = b[off + 3 * i + 2] & 0xff;
                }
                out[i] = (byte) (ybr ? r : ImageDecoder.luma(r, g, bl)); // YBR: the first component is luminance
            }
            return new GreyImage(cols, rows, out);
        }

        GreyImage fromJpeg(int rows, int cols, String photometric) throws DecodeException {
            if (rows > 0 && cols > 0) ImageDecoder.checkDimensions(cols, rows, name);
            byte[] jpeg = firstFrame();
            if (jpeg.length == 0) throw truncated(name, "encapsulated pixel data holds no image fragments");
            if (ImageFormat.sniff(jpeg) != ImageFormat.JPEG)
                throw corrupt(name, "encapsulated pixel data is not a JPEG stream although the transfer syntax says JPEG");
            BufferedImage img;
            try {
                img = ImageDecoder.readWithImageIO(jpeg, ImageFormat.JPEG, name);
            } catch (DecodeException e) {
                String r = e.reason().toLowerCase(Locale.ROOT);
                if (r.contains("precision") || r.contains("12-bit") || r.contains("unsupported jpeg"))
                    throw new UnsupportedFormatException(name, "unsupported JPEG in DICOM: only 8-bit JPEG is supported ("
                            + e.reason() + ")");
                throw e;
            }
            Raster r = img.getRaster();
            if (r.getNumBands() != 1 || !photometric.startsWith("MONOCHROME")) return ImageDecoder.toGrey(img);
            int w = img.getWidth(), h = img.getHeight();
            int[] stored = r.getSamples(0, 0, w, h, 0, (int[]) null);
            return applyPipeline(w, h, stored, false, null, photometric, true);
        }

        /** Fragments of frame 1: by the offset table when it has one, else up to the first JPEG end marker. */
        byte[] firstFrame() {
            List<Value> items = ds.fragments;
            if (items.size() < 2) return new byte[0];
            Value bot = items.get(0);
            List<Value> fragments = items.subList(1, items.size());
            int frames = us0(NUMBER_OF_FRAMES);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (bot.length >= 8 && frames != 1) {
                // Offsets are measured from the first byte of the first fragment's item tag.
                long second = u32le(bot.offset + 4);
                long itemStart = fragments.get(0).offset - 8;
                for (Value f : fragments) {
                    if (f.offset - 8 - itemStart >= second) break;
                    out.write(p.b, f.offset, f.length);
                }
                return out.toByteArray();
            }
            for (Value f : fragments) {
                out.write(p.b, f.offset, f.length);
                if (frames <= 1) continue; // single frame: every fragment belongs to it
                if (endsWithEoi(f)) break;
            }
            return out.toByteArray();
        }

        private int us0(int tag) {
            try {
                return us(tag, 1);
            } catch (DecodeException e) {
                return 1;
            }
        }

        private long u32le(int q) {
            byte[] b = p.b;
            return ((b[q] & 0xffL) | (b[q + 1] & 0xffL) << 8 | (b[q + 2] & 0xffL) << 16 | (b[q + 3] & 0xffL) << 24);
        }

        private boolean endsWithEoi(Value f) {
            int e = f.offset + f.length - 1;
            while (e > f.offset && p.b[e] == 0) e--; // fragments are padded to even length
            return e > f.offset && (p.b[e] & 0xff) == 0xD9 && (p.b[e - 1] & 0xff) == 0xFF;
        }

        /**
         * Modality LUT (rescale), then VOI (LUT sequence, window, or min/max), then MONOCHROME1 inversion.
         * Built as a lookup table over the stored-value range so a 3000x3000 16-bit image maps in one pass.
         */
        GreyImage applyPipeline(int w, int h, int[] stored, boolean signed, Integer padding, String photometric,
                                boolean bitsStored8) throws DecodeException {
            int min = Integer.MAX_VALUE, max = Integer.MIN_VALUE;
            int pMin = Integer.MAX_VALUE, pMax = Integer.MIN_VALUE; // excluding padding
            for (int v : stored) {
                if (v < min) min = v;
                if (v > max) max = v;
                if (padding == null || v != padding) {
                    if (v < pMin) pMin = v;
                    if (v > pMax) pMax = v;
                }
            }
            if (pMin > pMax) { pMin = min; pMax = max; }
            double slope = ds(RESCALE_SLOPE, 1.0), intercept = ds(RESCALE_INTERCEPT, 0.0);
            if (slope == 0) slope = 1.0;

            java.util.function.DoubleUnaryOperator voi = voiFunction(slope * pMin + intercept, slope * pMax + intercept, signed,
                    bitsStored8 && !signed && slope == 1.0 && intercept == 0.0);
            boolean invert = photometric.equals("MONOCHROME1");
            int range = max - min + 1;
            byte[] lut = new byte[range];
            for (int i = 0; i < range; i++) {
                double m = (min + i) * slope + intercept;
                double y = voi.applyAsDouble(m); // in [0,1]
                int g = (int) Math.round(Math.max(0, Math.min(1, y)) * 255.0);
                lut[i] = (byte) (invert ? 255 - g : g);
            }
            byte[] out = new byte[w * h];
            for (int i = 0; i < out.length; i++) out[i] = lut[stored[i] - min];
            if (padding != null) {
                // Padding (collimator blanking) shows as black, whatever the polarity.
                for (int i = 0; i < out.length; i++) if (stored[i] == padding) out[i] = 0;
            }
            return new GreyImage(w, h, out);
        }

        /** The VOI transform as a function from modality values to [0,1]. */
        java.util.function.DoubleUnaryOperator voiFunction(double mMin, double mMax, boolean signed, boolean plain8)
                throws DecodeException {
            for (Map<Integer, Value> item : ds.voiLuts) {
                java.util.function.DoubleUnaryOperator lut = voiLut(item, signed);
                if (lut != null) return lut;
            }
            double center = ds(WINDOW_CENTER, Double.NaN), width = ds(WINDOW_WIDTH, Double.NaN);
            if (!Double.isNaN(center) && !Double.isNaN(width) && width > 0) {
                String fn = cs(VOI_LUT_FUNCTION);
                if (fn.equals("SIGMOID")) return x -> 1.0 / (1.0 + Math.exp(-4.0 * (x - center) / width));
                if (fn.equals("LINEAR_EXACT")) return x -> (x - center) / width + 0.5;
                if (width >= 1) {
                    // DICOM PS3.3 C.11.2.1.2.1 (LINEAR).
                    double lo = center - 0.5 - (width - 1) / 2, hi = center - 0.5 + (width - 1) / 2;
                    return x -> x <= lo ? 0 : x > hi ? 1 : ((x - (center - 0.5)) / (width - 1) + 0.5);
                }
            }
            // Plain 8-bit data (secondary captures, JPEG exports) is already display-ready: keep it as is.
            if (plain8) return x -> x / 255.0;
            double lo = Math.min(mMin, mMax), hi = Math.max(mMin, mMax);
            if (hi <= lo) return x -> 0;
            return x -> (x - lo) / (hi - lo);
        }

        /** One VOI LUT item as a function, or null when it is incomplete. */
        java.util.function.DoubleUnaryOperator voiLut(Map<Integer, Value> item, boolean signed) throws DecodeException {
            Value desc = item.get(LUT_DESCRIPTOR), data = item.get(LUT_DATA);
            if (desc == null || data == null || desc.length < 6) return null;
            int entries = p.u16(desc.offset);
            if (entries == 0) entries = 65536;
            int firstRaw = p.u16(desc.offset + 2);
            boolean firstSigned = desc.vr.equals("SS") || (!desc.vr.equals("US") && signed);
            int first = firstSigned ? (short) firstRaw : firstRaw;
            int[] table = new int[entries];
            if (data.length >= 2L * entries) {
                for (int i = 0; i < entries; i++) table[i] = p.u16(data.offset + 2 * i);
            } else if (data.length >= entries) {
                for (int i = 0; i < entries; i++) table[i] = p.b[data.offset + i] & 0xff; // 8-bit entries packed
            } else {
                return null;
            }
            int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
            for (int v : table) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            // Output scaled by the table's own range: descriptors often claim 16 bits for 12-bit data.
            final int tLo = lo, span = Math.max(1, hi - lo), n = entries;
            return x -> {
                long idx = Math.round(x) - first;
                int i = (int) Math.max(0, Math.min(n - 1, idx));
                return (table[i] - tLo) / (double) span;
            };
        }
    }

    /** A UID as the standard allows it: digits and dots, at most 64 characters. */
    static final java.util.regex.Pattern UID_TEXT = java.util.regex.Pattern.compile("[0-9][0-9.]{0,63}");
    /** A code string (CS) value: capitals, digits, space and underscore, at most 16 characters. */
    static final java.util.regex.Pattern CODE_TEXT = java.util.regex.Pattern.compile("[A-Z0-9_ ]{1,16}");

    /**
     * A value read from the file, fit to quote in a message only when it has the shape its attribute allows: a
     * damaged length field makes a "value" run on into the next elements, which may be the patient's name.
     */
    static String quotable(String value, java.util.regex.Pattern shape) {
        return value != null && shape.matcher(value).matches() ? value : "(damaged value, not shown)";
    }

    private static String tagText(int tag) {
        return String.format("(%04X,%04X)", tag >>> 16, tag & 0xffff);
    }

    private static DecodeException truncated(String name, String why) {
        return new DecodeException(name, DecodeException.Kind.TRUNCATED, "truncated DICOM file: " + why);
    }

    private static DecodeException corrupt(String name, String why) {
        return new DecodeException(name, DecodeException.Kind.CORRUPT, "corrupt DICOM file: " + why);
    }
}
