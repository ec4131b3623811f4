package org.pneumoscope.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * SHA-256 fingerprints of files and of image sets: the duplicate check of {@code dataset stats} compares files by
 * them, and every model.json and metrics.json names the images it was made from by {@link #manifest}.
 */
public final class Fingerprints {
    /** What stands for a file's hash when it cannot be read (it still counts, so a later repair changes the fingerprint). */
    public static final String UNREADABLE = "unreadable";

    private Fingerprints() {}

    public static byte[] digest(byte[] data) {
        return sha256().digest(data);
    }

    /** Lower-case hex SHA-256 of {@code data}, as {@code sha256sum} prints it. */
    public static String sha256(byte[] data) {
        return HexFormat.of().formatHex(digest(data));
    }

    /** Lower-case hex SHA-256 of a file's bytes, read in pieces (no size limit). */
    public static String sha256(Path file) throws IOException {
        MessageDigest d = sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /**
     * The fingerprint of a labelled image set: SHA-256 of its lines {@code "<sha256 of the file> <label>\n"} sorted, so
     * it depends on the images' contents and labels, and not on their names, folders or order. Recomputable with
     * {@code sha256sum}, {@code sort} and a label column.
     */
    public static String manifest(List<Sample> samples) {
        List<String> lines = samples.parallelStream().map(s -> fileHash(s.file()) + " " + s.label().id() + "\n").sorted().toList();
        MessageDigest d = sha256();
        for (String l : lines) d.update(l.getBytes(StandardCharsets.US_ASCII));
        return HexFormat.of().formatHex(d.digest());
    }

    private static String fileHash(Path f) {
        try {
            return sha256(f);
        } catch (IOException | RuntimeException e) {
            return UNREADABLE;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
