package org.pneumoscope.dicom;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A DICOM data set being written, encoded as explicit VR little endian (PS3.5 7.1.2). Elements may be added in any
 * order; they are written in ascending tag order, as the standard requires, because the map is sorted by the tag
 * read as an unsigned number. Values are padded to even length: UI with a NUL, other text with a space, binary
 * values with a zero byte (PS3.5 6.2).
 */
final class DataSet {
    private final Map<Long, byte[]> elements = new TreeMap<>();

    /** VRs whose explicit encoding has two reserved bytes and a 32-bit length (PS3.5 Table 7.1-1). */
    static boolean longVr(String vr) {
        switch (vr) {
            case "OB": case "OD": case "OF": case "OL": case "OV": case "OW": case "SQ": case "SV": case "UC": case "UN":
            case "UR": case "UT": case "UV":
                return true;
            default:
                return false;
        }
    }

    /** A text value (ASCII; the callers write only ASCII of their own). */
    DataSet text(int tag, String vr, String value) {
        return raw(tag, vr, value.getBytes(StandardCharsets.US_ASCII));
    }

    /** Several text values, joined by the backslash the standard uses as a value separator. */
    DataSet texts(int tag, String vr, List<String> values) {
        return text(tag, vr, String.join("\\", values));
    }

    /** A zero-length value: a type 2 attribute whose value is unknown. */
    DataSet empty(int tag, String vr) {
        return raw(tag, vr, new byte[0]);
    }

    DataSet us(int tag, int value) {
        if (value < 0 || value > 0xFFFF) throw new IllegalArgumentException("US value out of range: " + value);
        return raw(tag, "US", new byte[]{(byte) value, (byte) (value >>> 8)});
    }

    DataSet ul(int tag, long value) {
        return raw(tag, "UL", le32(value));
    }

    /** A value given as bytes (text in the data set's character set, or binary), padded to even length here. */
    DataSet raw(int tag, String vr, byte[] value) {
        byte[] v = value;
        if ((v.length & 1) == 1) {
            v = java.util.Arrays.copyOf(value, value.length + 1);
            v[value.length] = padding(vr);
        }
        if (!longVr(vr) && v.length > 0xFFFF)
            throw new IllegalArgumentException("a " + vr + " value cannot hold " + v.length + " bytes");
        ByteArrayOutputStream out = new ByteArrayOutputStream(12 + v.length);
        header(out, tag, vr, v.length);
        out.writeBytes(v);
        elements.put(key(tag), out.toByteArray());
        return this;
    }

    /**
     * A sequence of items. With {@code undefinedLength} the sequence and each item end with delimitation items;
     * otherwise both carry their byte lengths. Readers must accept either (PS3.5 7.5).
     */
    DataSet sequence(int tag, List<DataSet> items, boolean undefinedLength) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (DataSet item : items) {
            byte[] b = item.encode();
            tag(body, 0xFFFEE000);
            body.writeBytes(le32(undefinedLength ? 0xFFFFFFFFL : b.length));
            body.writeBytes(b);
            if (undefinedLength) {
                tag(body, 0xFFFEE00D);
                body.writeBytes(le32(0));
            }
        }
        if (undefinedLength) {
            tag(body, 0xFFFEE0DD);
            body.writeBytes(le32(0));
        }
        byte[] b = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream(12 + b.length);
        header(out, tag, "SQ", undefinedLength ? 0xFFFFFFFFL : b.length);
        out.writeBytes(b);
        elements.put(key(tag), out.toByteArray());
        return this;
    }

    /** A sequence with one item. */
    DataSet sequence(int tag, DataSet item) {
        return sequence(tag, List.of(item), false);
    }

    /** An empty sequence: a type 2 sequence with nothing to say. */
    DataSet emptySequence(int tag) {
        return sequence(tag, List.of(), false);
    }

    boolean has(int tag) {
        return elements.containsKey(key(tag));
    }

    /** The elements in tag order. */
    byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] e : elements.values()) out.writeBytes(e);
        return out.toByteArray();
    }

    private static long key(int tag) {
        return tag & 0xFFFFFFFFL;
    }

    private static byte padding(String vr) {
        switch (vr) {
            case "UI": case "OB": case "OW": case "OD": case "OF": case "OL": case "OV": case "UN":
                return 0;
            default:
                return ' ';
        }
    }

    private static void header(ByteArrayOutputStream out, int tag, String vr, long length) {
        tag(out, tag);
        out.write(vr.charAt(0));
        out.write(vr.charAt(1));
        if (longVr(vr)) {
            out.write(0);
            out.write(0);
            out.writeBytes(le32(length));
        } else {
            out.write((int) length);
            out.write((int) (length >>> 8));
        }
    }

    private static void tag(ByteArrayOutputStream out, int tag) {
        int group = tag >>> 16, element = tag & 0xFFFF;
        out.write(group);
        out.write(group >>> 8);
        out.write(element);
        out.write(element >>> 8);
    }

    static byte[] le32(long v) {
        return new byte[]{(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }
}
