package org.pneumoscope.data;

import java.nio.charset.StandardCharsets;

/**
 * Image containers recognised by their first bytes ("magic"), never by the file extension: hospital exports
 * are often misnamed (a PNG called .jpg, a DICOM file with no extension at all).
 */
public enum ImageFormat {
    JPEG("JPEG", "jpeg"), PNG("PNG", "png"), GIF("GIF", "gif"), BMP("BMP", "bmp"), TIFF("TIFF", "tiff"),
    DICOM("DICOM", null),
    /** Recognised but not decoded. */
    JPEG2000("JPEG 2000", null), WEBP("WebP", null), HEIF("HEIF/HEIC", null), JPEGXL("JPEG XL", null),
    PNM("PNM/PGM", null),
    UNKNOWN("unknown", null);

    private final String displayName;
    private final String imageIoName;

    ImageFormat(String displayName, String imageIoName) {
        this.displayName = displayName;
        this.imageIoName = imageIoName;
    }

    public String displayName() { return displayName; }

    /** The ImageIO format name whose reader decodes this, or null when Pneumoscope decodes it itself or not at all. */
    String imageIoName() { return imageIoName; }

    /** Formats Pneumoscope decodes. */
    public boolean decodable() { return imageIoName != null || this == DICOM; }

    private static final byte[] PNG_SIG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final byte[] JPEG_SIG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
    private static final byte[] GIF87 = "GIF87a".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GIF89 = "GIF89a".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TIFF_II = {'I', 'I', 42, 0};
    private static final byte[] TIFF_MM = {'M', 'M', 0, 42};
    private static final byte[] BIGTIFF_II = {'I', 'I', 43, 0};
    private static final byte[] BIGTIFF_MM = {'M', 'M', 0, 43};
    private static final byte[] JP2_SIG = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' '};
    private static final byte[] J2K_SIG = {(byte) 0xFF, 0x4F, (byte) 0xFF, 0x51};
    private static final byte[] JXL_CODESTREAM = {(byte) 0xFF, 0x0A};
    private static final byte[] JXL_BOX = {0, 0, 0, 0x0C, 'J', 'X', 'L', ' '};

    /** The format of {@code head} (the first bytes of a file; 132 bytes are enough for everything). */
    public static ImageFormat sniff(byte[] head) {
        return sniff(head, head.length);
    }

    public static ImageFormat sniff(byte[] b, int n) {
        if (startsWith(b, n, JPEG_SIG)) return JPEG;
        if (startsWith(b, n, PNG_SIG)) return PNG;
        if (startsWith(b, n, GIF87) || startsWith(b, n, GIF89)) return GIF;
        if (startsWith(b, n, TIFF_II) || startsWith(b, n, TIFF_MM) || startsWith(b, n, BIGTIFF_II)
                || startsWith(b, n, BIGTIFF_MM)) return TIFF;
        if (n >= 2 && b[0] == 'B' && b[1] == 'M' && bmpHeaderPlausible(b, n)) return BMP;
        if (n >= 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M') return DICOM;
        if (startsWith(b, n, JP2_SIG) || startsWith(b, n, J2K_SIG)) return JPEG2000;
        if (n >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E'
                && b[10] == 'B' && b[11] == 'P') return WEBP;
        if (n >= 12 && b[4] == 'f' && b[5] == 't' && b[6] == 'y' && b[7] == 'p') {
            String brand = new String(b, 8, 4, StandardCharsets.US_ASCII);
            if (brand.startsWith("hei") || brand.startsWith("mif") || brand.startsWith("avi") || brand.equals("msf1"))
                return HEIF;
        }
        if (startsWith(b, n, JXL_CODESTREAM) || startsWith(b, n, JXL_BOX)) return JPEGXL;
        if (DicomReader.looksLikeBareDataset(b, n)) return DICOM;
        if (n >= 4 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7' && (b[2] == '\n' || b[2] == ' ' || b[2] == '\r')
                && ((b[3] >= '0' && b[3] <= '9') || b[3] == '#')) return PNM; // "P5\n640 480\n255\n..."
        return UNKNOWN;
    }

    /**
     * When the file is shorter than a signature but matches its beginning, the format it was cut from;
     * lets "PNG cut after 5 bytes" say "truncated" instead of "not an image".
     */
    static ImageFormat truncatedSignature(byte[] b, int n) {
        if (n == 0) return UNKNOWN;
        if (n < JPEG_SIG.length && prefixOf(b, n, JPEG_SIG)) return JPEG;
        if (n < PNG_SIG.length && prefixOf(b, n, PNG_SIG)) return PNG;
        if (n < GIF89.length && (prefixOf(b, n, GIF89) || prefixOf(b, n, GIF87)) && n >= 3) return GIF;
        if (n < 132 && n >= 128 && allZero(b, 128)) return DICOM;
        if (n > 128 && n < 132 && allZero(b, 128) && prefixOf(slice(b, 128, n), n - 128, "DICM".getBytes(StandardCharsets.US_ASCII)))
            return DICOM;
        return UNKNOWN;
    }

    /** A short description of what non-image bytes look like, to make "not an image" specific. */
    static String describeNonImage(byte[] b, int n) {
        String head = new String(b, 0, Math.min(n, 512), StandardCharsets.ISO_8859_1).stripLeading();
        String lower = head.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("\ufeff")) lower = lower.substring(1);
        if (lower.startsWith("<!doctype html") || lower.startsWith("<html") || lower.contains("<html")
                || lower.contains("<head") || lower.contains("<body"))
            return "not an image: the file is an HTML page (a download that saved a web page instead of the picture?)";
        if (lower.startsWith("<?xml") || lower.startsWith("<svg")) return "not an image: the file is XML/SVG text";
        if (lower.startsWith("%pdf")) return "not an image: the file is a PDF document";
        if (lower.startsWith("pk\u0003\u0004")) return "not an image: the file is a ZIP archive";
        if (lower.startsWith("{") || lower.startsWith("[")) {
            if (isMostlyText(b, n)) return "not an image: the file is JSON text";
        }
        if (n >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) return "not an image: the file is gzip-compressed";
        if (n >= 352 && b[344] == 'n' && (b[345] == '+' || b[345] == 'i') && b[346] == '1')
            return "not an image: the file is a NIfTI volume (not supported)";
        if (isMostlyText(b, n)) return "not an image: the file is plain text";
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(n, 8); i++) hex.append(String.format("%02X ", b[i] & 0xff));
        return "not an image: unrecognised content (first bytes " + hex.toString().trim() + ")";
    }

    private static boolean isMostlyText(byte[] b, int n) {
        int len = Math.min(n, 1024), text = 0;
        if (len == 0) return false;
        for (int i = 0; i < len; i++) {
            int c = b[i] & 0xff;
            if (c == 9 || c == 10 || c == 13 || (c >= 32 && c != 127)) text++;
            else if (c == 0) return false;
        }
        return text >= len * 0.95;
    }

    private static boolean bmpHeaderPlausible(byte[] b, int n) {
        // The DIB header size is 12, 16, 40, 52, 56, 64, 108 or 124: rules out text that starts with "BM".
        if (n < 18) return !isMostlyText(b, n);
        int dib = (b[14] & 0xff) | (b[15] & 0xff) << 8 | (b[16] & 0xff) << 16 | (b[17] & 0xff) << 24;
        return dib == 12 || dib == 16 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124;
    }

    private static boolean startsWith(byte[] b, int n, byte[] sig) {
        if (n < sig.length) return false;
        for (int i = 0; i < sig.length; i++) if (b[i] != sig[i]) return false;
        return true;
    }

    private static boolean prefixOf(byte[] b, int n, byte[] sig) {
        for (int i = 0; i < n && i < sig.length; i++) if (b[i] != sig[i]) return false;
        return true;
    }

    private static boolean allZero(byte[] b, int n) {
        for (int i = 0; i < n; i++) if (b[i] != 0) return false;
        return true;
    }

    private static byte[] slice(byte[] b, int from, int to) {
        byte[] r = new byte[to - from];
        System.arraycopy(b, from, r, 0, r.length);
        return r;
    }
}
