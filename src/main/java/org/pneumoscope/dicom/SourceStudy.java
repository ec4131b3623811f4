package org.pneumoscope.dicom;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.UnsupportedFormatException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The attributes an answer must copy from its source film to join its study: the Patient module, the General Study
 * module, the character set they are written in, and the source's own UIDs (to reference it).
 *
 * <p>This is the only place that decodes patient attributes; {@code data.DicomReader} never does. The values are
 * kept as the bytes the source holds (so a name in any character set is copied exactly) and leave this class only
 * into the objects written. Nothing here has a {@code toString} that shows them, and no message quotes them: a
 * refusal names the attribute, never its value.
 */
final class SourceStudy {
    /** Attributes copied as they are, with their VRs (needed when the source is implicit VR). */
    static final Map<Integer, String> COPIED = new LinkedHashMap<>();

    static {
        COPIED.put(0x00080005, "CS"); // Specific Character Set
        COPIED.put(0x00080020, "DA"); // Study Date
        COPIED.put(0x00080030, "TM"); // Study Time
        COPIED.put(0x00080050, "SH"); // Accession Number
        COPIED.put(0x00080090, "PN"); // Referring Physician's Name
        COPIED.put(0x00081030, "LO"); // Study Description
        COPIED.put(0x00100010, "PN"); // Patient's Name
        COPIED.put(0x00100020, "LO"); // Patient ID
        COPIED.put(0x00100021, "LO"); // Issuer of Patient ID
        COPIED.put(0x00100030, "DA"); // Patient's Birth Date
        COPIED.put(0x00100040, "CS"); // Patient's Sex
        COPIED.put(0x00200010, "SH"); // Study ID
    }

    /** Type 2 attributes of the Patient and General Study modules: present in every answer, empty when unknown. */
    static final int[] TYPE_2 = {0x00080020, 0x00080030, 0x00080050, 0x00080090, 0x00100010, 0x00100020, 0x00100030,
            0x00100040, 0x00200010};

    static final int SOP_CLASS = 0x00080016, SOP_INSTANCE = 0x00080018, STUDY_UID = 0x0020000D, SERIES_UID = 0x0020000E;
    private static final long MAX_INFLATED = 64L << 20;
    private static final int MAX_DEPTH = 12;

    private final Map<Integer, byte[]> values = new LinkedHashMap<>();
    private final Map<Integer, String> uids = new LinkedHashMap<>();

    private SourceStudy() {}

    String studyUid() { return uids.get(STUDY_UID); }
    String seriesUid() { return uids.get(SERIES_UID); }
    String sopClassUid() { return uids.get(SOP_CLASS); }
    String sopInstanceUid() { return uids.get(SOP_INSTANCE); }

    /** Writes the patient and study attributes (type 2 ones empty when the source lacks them) and the study UID. */
    void copyTo(DataSet ds) {
        for (Map.Entry<Integer, String> a : COPIED.entrySet()) {
            byte[] v = values.get(a.getKey());
            if (v != null) ds.raw(a.getKey(), a.getValue(), v);
        }
        for (int tag : TYPE_2) if (!ds.has(tag)) ds.empty(tag, COPIED.get(tag));
        ds.text(STUDY_UID, "UI", studyUid());
    }

    @Override
    public String toString() {
        return "SourceStudy(values not shown)";
    }

    /**
     * Reads the attributes from a DICOM file that {@code api.Film} has decoded already (so its transfer syntax is
     * one Pneumoscope reads). Refuses, naming the attribute only, a file without the UIDs an answer needs.
     */
    static SourceStudy read(byte[] b, String name) throws DecodeException {
        try {
            return readUnchecked(b, name);
        } catch (DecodeException e) {
            throw e;
        } catch (RuntimeException e) {
            throw corrupt(name, e.getClass().getSimpleName() + " while reading the study attributes");
        }
    }

    private static SourceStudy readUnchecked(byte[] b, String name) throws DecodeException {
        int pos;
        if (b.length >= 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M') pos = 132;
        else if (b.length >= 8 && ((b[0] == 2 || b[0] == 8) && b[1] == 0)) pos = 0; // a data set without preamble
        else throw notDicom(name);
        Walker meta = new Walker(b, b.length, name, false, false);
        String ts = null;
        while (pos + 8 <= b.length && meta.u16(pos) == 0x0002) {
            boolean explicit = isVr(b, pos + 4);
            meta.implicit = !explicit;
            int tag = meta.tag(pos);
            int[] value = meta.header(pos);
            if (tag == 0x00020010) ts = ascii(b, value[1], value[2]);
            pos = value[1] + value[2];
        }
        if (ts == null) ts = pos + 6 <= b.length && isVr(b, pos + 4) ? "1.2.840.10008.1.2.1" : "1.2.840.10008.1.2";
        Walker w;
        switch (ts) {
            case "1.2.840.10008.1.2": w = new Walker(b, b.length, name, true, false); break;
            case "1.2.840.10008.1.2.2": w = new Walker(b, b.length, name, false, true); break;
            case "1.2.840.10008.1.2.1.99": {
                byte[] body = inflate(b, pos, name);
                w = new Walker(body, body.length, name, false, false);
                pos = 0;
                break;
            }
            default: w = new Walker(b, b.length, name, false, false); // explicit little endian, also around JPEG pixels
        }
        SourceStudy s = new SourceStudy();
        while (pos + 8 <= w.end) {
            int tag = w.tag(pos);
            if (Integer.compareUnsigned(tag, 0x0020FFFF) > 0) break; // past the study attributes
            int[] h = w.header(pos);
            if (h[0] == 1) {
                pos = w.skipSequence(h, 0);
                continue;
            }
            if (h[1] + h[2] > w.end) throw corrupt(name, "the file ends inside an element of group " + hex(tag >>> 16));
            if (COPIED.containsKey(tag)) s.values.put(tag, trimmed(w.b, h[1], h[2]));
            if (tag == SOP_CLASS || tag == SOP_INSTANCE || tag == STUDY_UID || tag == SERIES_UID)
                s.uids.put(tag, ascii(w.b, h[1], h[2]));
            pos = h[1] + h[2];
        }
        s.check(name);
        return s;
    }

    private void check(String name) throws DecodeException {
        String[][] need = {{"Study Instance UID", studyUid()}, {"Series Instance UID", seriesUid()},
                {"SOP Class UID", sopClassUid()}, {"SOP Instance UID", sopInstanceUid()}};
        for (String[] n : need)
            if (!Uids.valid(n[1]))
                throw new UnsupportedFormatException(name, "the DICOM file has no valid " + n[0]
                        + ", so an answer cannot join its study or point back at it");
        for (Map.Entry<Integer, byte[]> v : values.entrySet())
            if (v.getValue().length > 1024)
                throw new UnsupportedFormatException(name, "the DICOM attribute " + hex(v.getKey() >>> 16) + ","
                        + hex(v.getKey() & 0xFFFF) + " is longer than the standard allows, so it cannot be copied");
    }

    /** The value without its trailing padding (spaces or NULs); the writer pads again. */
    private static byte[] trimmed(byte[] b, int off, int len) {
        int n = len;
        while (n > 0 && (b[off + n - 1] == ' ' || b[off + n - 1] == 0)) n--;
        return java.util.Arrays.copyOfRange(b, off, off + n);
    }

    private static String ascii(byte[] b, int off, int len) {
        return new String(b, off, len, StandardCharsets.US_ASCII).replace("\0", "").trim();
    }

    private static boolean isVr(byte[] b, int p) {
        return p + 2 <= b.length && b[p] >= 'A' && b[p] <= 'Z' && b[p + 1] >= 'A' && b[p + 1] <= 'Z';
    }

    private static String hex(int v) {
        return String.format("%04X", v);
    }

    /** Steps over elements; reads no values itself. */
    private static final class Walker {
        final byte[] b;
        final int end;
        final String name;
        boolean implicit;
        final boolean bigEndian;

        Walker(byte[] b, int end, String name, boolean implicit, boolean bigEndian) {
            this.b = b;
            this.end = end;
            this.name = name;
            this.implicit = implicit;
            this.bigEndian = bigEndian;
        }

        int u16(int p) throws DecodeException {
            need(p, 2);
            return bigEndian ? (b[p] & 0xff) << 8 | (b[p + 1] & 0xff) : (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
        }

        long u32(int p) throws DecodeException {
            need(p, 4);
            long lo = u16(p), hi = u16(p + 2);
            return bigEndian ? (lo << 16 | hi) : (hi << 16 | lo);
        }

        int tag(int p) throws DecodeException {
            return u16(p) << 16 | u16(p + 2);
        }

        void need(int p, int n) throws DecodeException {
            if (p < 0 || (long) p + n > end) throw corrupt(name, "the file ends inside the DICOM header");
        }

        /**
         * {sequence?, value offset, value length, implicit inside?} of the element at {@code p}; a length of -1 means
         * undefined. An element is a sequence when its VR says SQ or its length is undefined (which only sequences
         * may use); a sequence written as UN is encoded implicit VR inside (PS3.5 6.2.2).
         */
        int[] header(int p) throws DecodeException {
            long len;
            int at;
            boolean sq, un = false;
            if (implicit) {
                len = u32(p + 4);
                at = p + 8;
                sq = len == 0xFFFFFFFFL;
            } else {
                need(p + 4, 2);
                String vr = new String(b, p + 4, 2, StandardCharsets.US_ASCII);
                if (DataSet.longVr(vr)) {
                    len = u32(p + 8);
                    at = p + 12;
                } else {
                    len = u16(p + 6);
                    at = p + 8;
                }
                sq = vr.equals("SQ") || len == 0xFFFFFFFFL;
                un = vr.equals("UN");
            }
            if (len != 0xFFFFFFFFL && len > end - (long) at) throw corrupt(name, "an element is longer than the file");
            return new int[]{sq ? 1 : 0, at, len == 0xFFFFFFFFL ? -1 : (int) len, un || implicit ? 1 : 0};
        }

        /** The position after the sequence whose header is {@code h}. */
        int skipSequence(int[] h, int depth) throws DecodeException {
            if (depth > MAX_DEPTH) throw corrupt(name, "sequences nested too deeply");
            if (h[2] >= 0) return h[1] + h[2];
            boolean saved = implicit;
            implicit = h[3] == 1;
            try {
                return skipItems(h[1], depth);
            } finally {
                implicit = saved;
            }
        }

        private int skipItems(int p, int depth) throws DecodeException {
            while (true) {
                int tag = tag(p);
                long itemLength = u32(p + 4);
                p += 8;
                if (tag == 0xFFFEE0DD) return p;
                if (tag != 0xFFFEE000) throw corrupt(name, "a sequence holds something other than items");
                if (itemLength != 0xFFFFFFFFL) {
                    p += (int) Math.min(itemLength, end - (long) p);
                    continue;
                }
                while (tag(p) != 0xFFFEE00D) {
                    int[] h = header(p);
                    p = h[0] == 1 ? skipSequence(h, depth + 1) : h[1] + h[2];
                }
                p += 8;
            }
        }
    }

    private static byte[] inflate(byte[] b, int off, String name) throws DecodeException {
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(b, off, b.length - off);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            while (!inf.finished()) {
                int k = inf.inflate(buf);
                if (k == 0 && (inf.needsInput() || inf.needsDictionary())) break;
                out.write(buf, 0, k);
                if (out.size() > MAX_INFLATED) throw corrupt(name, "the deflated data set expands too far");
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw corrupt(name, "the deflated data set is corrupt");
        } finally {
            inf.end();
        }
    }

    private static DecodeException notDicom(String name) {
        return new UnsupportedFormatException(name, "not a DICOM file");
    }

    private static DecodeException corrupt(String name, String why) {
        return new DecodeException(name, DecodeException.Kind.CORRUPT, "corrupt DICOM file: " + why);
    }
}
