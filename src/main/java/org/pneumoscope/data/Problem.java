package org.pneumoscope.data;

import java.nio.file.Path;

/** Something wrong with one input (a file, a manifest line): reported, skipped, and the run continues. */
public record Problem(Path file, String reason) {
    public static Problem of(DecodeException e, Path file) { return new Problem(file, e.reason()); }

    @Override
    public String toString() { return (file == null ? "?" : file.toString()) + ": " + reason; }
}
