package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.data.ImageFormat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --keep-uploads DIR}: every upload is kept under a generated name with a JSON note of the outcome, for audit
 * or to build a test set later. The client's file name is not used (it often is the patient's name); DICOM files
 * are kept as sent, so the folder must be treated like any other store of patient data.
 */
final class UploadStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);
    private final Path dir;
    private final SecureRandom random = new SecureRandom();

    UploadStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        if (!Files.isWritable(dir)) throw new IOException(dir + " is not writable");
    }

    Path dir() { return dir; }

    /** Writes the upload and {@code <name>.json} with the outcome; returns the upload's file. Both writes are atomic. */
    synchronized Path save(byte[] bytes, Map<String, Object> outcome) throws IOException {
        byte[] id = new byte[4];
        random.nextBytes(id);
        String base = STAMP.format(ZonedDateTime.now(ZoneOffset.UTC)) + "-" + HexFormat.of().formatHex(id);
        Path file = dir.resolve(base + "." + extension(ImageFormat.sniff(bytes)));
        AtomicFiles.write(file, bytes);
        AtomicFiles.writeString(dir.resolve(base + ".json"), JSON.writeValueAsString(outcome) + "\n");
        return file;
    }

    static String extension(ImageFormat f) {
        switch (f) {
            case JPEG: return "jpg";
            case DICOM: return "dcm";
            case JPEG2000: return "jp2";
            case UNKNOWN: return "bin";
            default: return f.name().toLowerCase(Locale.ROOT);
        }
    }
}
