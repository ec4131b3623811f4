package org.pneumoscope.dicom;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A DICOM Part 10 file (PS3.10 7.1): a 128-byte preamble of zeros, "DICM", the file meta information (group 0002,
 * always explicit VR little endian, PS3.10 7.1), then the data set in the transfer syntax the meta header names:
 * here always Explicit VR Little Endian, the one every DICOM reader must accept.
 */
final class Part10 {
    private Part10() {}

    static final String EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";

    static byte[] file(DataSet dataSet, String sopClassUid, String sopInstanceUid) {
        DataSet meta = new DataSet()
                .raw(0x00020001, "OB", new byte[]{0, 1}) // File Meta Information Version
                .text(0x00020002, "UI", sopClassUid)
                .text(0x00020003, "UI", sopInstanceUid)
                .text(0x00020010, "UI", EXPLICIT_VR_LITTLE_ENDIAN)
                .text(0x00020012, "UI", Uids.IMPLEMENTATION_CLASS_UID)
                .text(0x00020013, "SH", Uids.IMPLEMENTATION_VERSION_NAME);
        byte[] m = meta.encode();
        byte[] length = new DataSet().ul(0x00020000, m.length).encode(); // File Meta Information Group Length
        byte[] body = dataSet.encode();
        ByteArrayOutputStream out = new ByteArrayOutputStream(132 + length.length + m.length + body.length);
        out.writeBytes(new byte[128]);
        out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(length);
        out.writeBytes(m);
        out.writeBytes(body);
        return out.toByteArray();
    }
}
