package org.pneumoscope.core;

import java.io.IOException;

/**
 * An image that could not be turned into pixels. The message is always {@code "file: reason"} and never holds
 * anything read from inside the file (DICOM files carry patient names; only technical facts are reported).
 * {@link #kind()} lets callers map failures without parsing text (the server answers 415 for
 * {@link Kind#UNSUPPORTED} and {@link Kind#NOT_AN_IMAGE}, 413 for {@link Kind#TOO_LARGE}).
 */
public class DecodeException extends IOException {

    /** Why decoding failed, coarsely. */
    public enum Kind {
        /** The file has no bytes at all. */
        EMPTY,
        /** The data stops before the image is complete. */
        TRUNCATED,
        /** The bytes are not a picture (text, HTML, PDF, a DICOM object without pixels, ...). */
        NOT_AN_IMAGE,
        /** The header claims dimensions beyond the limits; refused before any pixel memory is taken. */
        TOO_LARGE,
        /** A real image in a format or encoding Pneumoscope does not decode (JPEG 2000, JPEG-LS, WebP, ...). */
        UNSUPPORTED,
        /** The file claims to be an image but its contents are inconsistent. */
        CORRUPT,
        /** The file could not be read from disk (permissions, vanished, I/O error). */
        UNREADABLE,
        /** It decodes, but cannot be a chest film the network can read: too small, a strip, or blank. */
        UNUSABLE
    }

    private final String file;
    private final String reason;
    private final Kind kind;

    public DecodeException(String file, Kind kind, String reason) {
        this(file, kind, reason, null);
    }

    public DecodeException(String file, Kind kind, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
        this.kind = kind;
        this.reason = reason;
    }

    /** The name the caller gave for messages (usually the path). */
    public String file() { return file; }

    /** The specific reason, without the file name. */
    public String reason() { return reason; }

    public Kind kind() { return kind; }

    /** The same failure reported under another name (e.g. when bytes were decoded under a temporary name). */
    public DecodeException renamed(String newFile) {
        return kind == Kind.UNSUPPORTED ? new UnsupportedFormatException(newFile, reason)
                : new DecodeException(newFile, kind, reason, getCause());
    }
}
