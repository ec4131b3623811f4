package org.pneumoscope.core;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so a reader (or a resumed run after kill -9) sees either the old file or the whole new
 * one, never a torn one: write a temp file beside the target, fsync it, rename over the target. The temp file is
 * hidden ({@code .name.XXXX.tmp}) and removed when anything fails, so no half-written file is ever left behind
 * under the target's name or a visible one.
 *
 * <p>This is the one atomic-write helper of the code base: run folders, checkpoints, predictions, metrics,
 * reports, manifests, overlays, kept uploads and the decode cache all go through it.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Prefix and suffix of the temporary files, so tests and clean-up can recognise leftovers. */
    public static final String TEMP_PREFIX = ".", TEMP_SUFFIX = ".tmp";

    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes durably: the data is on disk before the rename makes it visible. */
    public static void write(Path target, Writer writer) throws IOException {
        write(target, writer, true);
    }

    /**
     * Writes atomically; with {@code durable == false} the fsync is skipped, for files that can be rebuilt
     * (the decode cache: thousands of small files, where an fsync each would cost more than the decoding; a
     * file lost or left empty by a power cut is detected by its header and decoded again).
     */
    public static void write(Path target, Writer writer, boolean durable) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        // not Files.createTempFile: it makes the file owner-only and the rename would keep that for the result
        Path tmp = dir.resolve(TEMP_PREFIX + abs.getFileName() + "." + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()) + TEMP_SUFFIX);
        try {
            try (OutputStream raw = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream out = new BufferedOutputStream(raw, 1 << 16)) {
                writer.write(out);
            }
            if (durable) {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // Some network file systems cannot rename atomically; a plain replace is the best left.
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@code bytes} durably. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes), true);
    }

    /** Writes {@code text} as UTF-8, durably. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    @FunctionalInterface
    public interface FolderWriter {
        void fill(Path folder) throws IOException;
    }

    /**
     * Creates folder {@code target} whole or not at all: {@code writer} fills a hidden temporary folder beside it (with
     * files written through this class), which is then renamed into place in one step. Refuses an existing target;
     * on failure the temporary folder is removed.
     */
    public static void writeFolder(Path target, FolderWriter writer) throws IOException {
        Path abs = target.toAbsolutePath();
        if (Files.exists(abs)) throw new java.nio.file.FileAlreadyExistsException(abs.toString());
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempDirectory(abs.getParent(), TEMP_PREFIX + abs.getFileName() + ".");
        try {
            writer.fill(tmp);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try (java.util.stream.Stream<Path> s = Files.walk(tmp)) {
                for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
            }
            throw e;
        }
    }

    /**
     * Moves a file to {@code target} in one step (a rename within the file system), never over an existing file: a
     * reader sees it at one place or the other, and a crash cannot leave half of it in each.
     */
    public static void rename(Path source, Path target) throws IOException {
        if (Files.exists(target)) throw new java.nio.file.FileAlreadyExistsException(target.toString());
        Files.move(source, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Deletes the temporary files a writer killed mid-write (kill -9, power cut) left under {@code dir}. Call it
     * only where no writer can be at work, e.g. under a run's lock before resuming.
     */
    public static int removeStale(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        int n = 0;
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                String name = f.getFileName().toString();
                if (name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX) && Files.isRegularFile(f) && Files.deleteIfExists(f)) n++;
            }
        }
        return n;
    }
}
