package org.pneumoscope.dicom;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Unique identifiers for what Pneumoscope writes. They sit under the root {@code 2.25}, which PS3.5 B.2 reserves for
 * UIDs made from a UUID (ITU-T X.667): "2.25." followed by the UUID's 128 bits as one unsigned decimal number, at
 * most 39 digits, so a UID stays within the 64 characters allowed. A random (version 4) UUID per series and per
 * instance needs no registered organisation root and cannot collide with anyone else's UIDs in practice.
 */
public final class Uids {
    private Uids() {}

    /** The UID root: every series and instance UID Pneumoscope makes starts with it. */
    public static final String ROOT = "2.25.";

    /** Names this implementation in the file meta header; made once from a fixed, name-based UUID. */
    static final String IMPLEMENTATION_CLASS_UID = of(UUID.nameUUIDFromBytes(
            "org.pneumoscope DICOM writer".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    /** At most 16 characters (SH). */
    static final String IMPLEMENTATION_VERSION_NAME = "PNEUMOSCOPE_" + versionDigits();

    /** The version's leading digits without dots ("0.1.0-SNAPSHOT" → "010"), cut so the name stays within 16 characters. */
    private static String versionDigits() {
        String d = Product.VERSION.replaceAll("[^0-9.].*$", "").replace(".", "");
        return d.length() > 4 ? d.substring(0, 4) : d;
    }

    private static final Pattern SHAPE = Pattern.compile("(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))*");

    /** A new UID from a random UUID. */
    public static String random() {
        return of(UUID.randomUUID());
    }

    static String of(UUID u) {
        ByteBuffer b = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return ROOT + new BigInteger(1, b.array());
    }

    /** Whether {@code s} is a well-formed UID: numeric components without leading zeros, at most 64 characters. */
    public static boolean valid(String s) {
        return s != null && !s.isEmpty() && s.length() <= 64 && SHAPE.matcher(s).matches();
    }
}
