package org.pneumoscope.data;

import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decoded and resized 8-bit images, keyed by (file, size, resize mode), so training decodes each JPEG once
 * rather than once per epoch. Thread-safe; concurrent requests for the same image decode it only once.
 *
 * <p>Memory: entries are kept until {@code maxMemoryBytes} is reached, after which new images are no longer
 * admitted (for the cyclic access of training epochs this keeps a stable hit rate, where LRU would evict
 * every entry just before it is needed again). Disk (optional): one small raw file per image in a folder,
 * named by a SHA-256 of path + modification time + file size + target size + mode, so an edited image is never
 * served stale; files are written atomically and a damaged one is simply decoded again.
 *
 * <p>Failures are remembered too: a broken file is reported the same way every epoch without re-reading it.
 * Memory entries are not re-checked against the file during a run (a file edited mid-training keeps its first
 * decoding until {@link #clearMemory()}); disk entries always are.
 */
public final class ImageCache {
    private static final Logger LOG = LoggerFactory.getLogger(ImageCache.class);
    /** Bump when decoding or resizing changes output, so old disk entries are not reused. */
    static final String PIPELINE_VERSION = "pneumoscope-grey-1";
    private static final int MAGIC = 0x50534731; // "PSG1"

    /** Progress of {@link #warm}; may be called from several threads, but never concurrently. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);

        Progress NONE = (d, t) -> {};
    }

    /** Counters, for reports and for proving that an epoch decodes nothing twice. */
    public record Stats(long memoryHits, long diskHits, long decodes, long failures, long memoryBytes, int memoryEntries) {}

    private record Key(Path file, int size, ResizeMode mode) {}

    private final Path diskDir;
    private final long maxMemoryBytes;
    private final Map<Key, byte[]> memory = new ConcurrentHashMap<>();
    private final Map<Key, DecodeException> failed = new ConcurrentHashMap<>();
    private final Map<Key, CompletableFuture<byte[]>> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong memoryBytes = new AtomicLong();
    private final AtomicLong memoryHits = new AtomicLong(), diskHits = new AtomicLong(), decodes = new AtomicLong(),
            failures = new AtomicLong();
    private final AtomicBoolean diskWarned = new AtomicBoolean();

    /** Memory only, up to a quarter of the maximum heap. */
    public ImageCache() {
        this(null, Runtime.getRuntime().maxMemory() / 4);
    }

    /**
     * @param diskDir        folder for the on-disk copy, or null for memory only
     * @param maxMemoryBytes pixel bytes kept in memory (0 keeps nothing in memory)
     */
    public ImageCache(Path diskDir, long maxMemoryBytes) {
        this.diskDir = diskDir;
        this.maxMemoryBytes = Math.max(0, maxMemoryBytes);
    }

    /** The image decoded and fitted to the recipe's size ({@link InputRecipe#fit}); a private copy the caller may modify. */
    public GreyImage get(Path file, InputRecipe recipe) throws DecodeException {
        return get(file, recipe.size(), recipe.resize());
    }

    /** The image decoded and resized to {@code size}x{@code size}; a private copy the caller may modify. */
    public GreyImage get(Path file, int size, ResizeMode mode) throws DecodeException {
        if (size <= 0) throw new IllegalArgumentException("size must be positive: " + size);
        Key key = new Key(file.toAbsolutePath().normalize(), size, mode);
        byte[] px = memory.get(key);
        if (px != null) {
            memoryHits.incrementAndGet();
            return new GreyImage(size, size, px.clone());
        }
        DecodeException known = failed.get(key);
        if (known != null) throw known.renamed(file.toString());

        CompletableFuture<byte[]> mine = new CompletableFuture<>();
        CompletableFuture<byte[]> other = inFlight.putIfAbsent(key, mine);
        if (other != null) return new GreyImage(size, size, await(other, file).clone());
        try {
            px = memory.get(key); // another thread may have finished between our two looks
            if (px == null) {
                px = load(key, file);
                admit(key, px);
            } else memoryHits.incrementAndGet();
            mine.complete(px);
            return new GreyImage(size, size, px.clone());
        } catch (DecodeException e) {
            failed.put(key, e);
            failures.incrementAndGet();
            mine.completeExceptionally(e);
            throw e;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    private static byte[] await(CompletableFuture<byte[]> f, Path file) throws DecodeException {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof DecodeException) throw ((DecodeException) e.getCause()).renamed(file.toString());
            if (e.getCause() instanceof RuntimeException) throw (RuntimeException) e.getCause();
            throw e;
        }
    }

    private void admit(Key key, byte[] px) {
        if (maxMemoryBytes <= 0) return;
        long now = memoryBytes.addAndGet(px.length);
        if (now > maxMemoryBytes) {
            memoryBytes.addAndGet(-px.length);
            return;
        }
        if (memory.putIfAbsent(key, px) != null) memoryBytes.addAndGet(-px.length);
    }

    private byte[] load(Key key, Path file) throws DecodeException {
        Path diskFile = null;
        if (diskDir != null) {
            diskFile = diskPath(key);
            if (diskFile != null) {
                byte[] px = readDisk(diskFile, key.size);
                if (px != null) {
                    diskHits.incrementAndGet();
                    return px;
                }
            }
        }
        decodes.incrementAndGet();
        GreyImage img = Preprocess.resize(ImageDecoder.decode(file), key.size, key.mode);
        if (diskFile != null) writeDisk(diskFile, img);
        return img.pixels();
    }

    /** The disk entry's path, or null when the file cannot be stat'ed (decode() will then say why). */
    private Path diskPath(Key key) {
        try {
            BasicFileAttributes a = Files.readAttributes(key.file, BasicFileAttributes.class);
            String id = key.file + "\u0000" + a.lastModifiedTime().toMillis() + "\u0000" + a.size() + "\u0000"
                    + key.size + "\u0000" + key.mode + "\u0000" + PIPELINE_VERSION;
            String hex = Fingerprints.sha256(id.getBytes(StandardCharsets.UTF_8));
            return diskDir.resolve(hex.substring(0, 2)).resolve(hex + ".grey");
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] readDisk(Path p, int size) {
        try {
            byte[] all = Files.readAllBytes(p);
            if (all.length != 12 + size * size) return null;
            ByteBuffer bb = ByteBuffer.wrap(all);
            if (bb.getInt() != MAGIC || bb.getInt() != size || bb.getInt() != size) return null;
            byte[] px = new byte[size * size];
            bb.get(px);
            return px;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private void writeDisk(Path p, GreyImage img) {
        ByteBuffer bb = ByteBuffer.allocate(12 + img.pixels().length);
        bb.putInt(MAGIC).putInt(img.width()).putInt(img.height()).put(img.pixels());
        try {
            AtomicFiles.write(p, out -> out.write(bb.array()), false); // rebuildable: no fsync per entry
        } catch (IOException e) {
            if (diskWarned.compareAndSet(false, true))
                LOG.warn("image cache: cannot write to {} ({}); continuing with the memory cache only", diskDir, e.getMessage());
        }
    }

    /**
     * Decodes {@code files} in parallel into the cache and returns those that failed, in input order, each
     * with its specific reason. {@code progress} is told after every file.
     */
    public List<Problem> warm(List<Path> files, int size, ResizeMode mode, int threads, Progress progress) {
        int n = files.size();
        Problem[] problems = new Problem[n];
        DatasetStats.runParallel(n, threads, progress, i -> {
            Path f = files.get(i);
            try {
                get(f, size, mode);
            } catch (DecodeException e) {
                problems[i] = new Problem(f, e.reason());
            } catch (RuntimeException e) {
                problems[i] = new Problem(f, "internal error while decoding: " + e);
            }
        });
        List<Problem> out = new ArrayList<>();
        for (Problem pr : problems) if (pr != null) out.add(pr);
        return out;
    }

    public Stats stats() {
        return new Stats(memoryHits.get(), diskHits.get(), decodes.get(), failures.get(), memoryBytes.get(), memory.size());
    }

    /** Drops the in-memory entries and remembered failures (the disk copy stays). */
    public void clearMemory() {
        memory.clear();
        failed.clear();
        memoryBytes.set(0);
    }

    public Path diskDir() { return diskDir; }
}
