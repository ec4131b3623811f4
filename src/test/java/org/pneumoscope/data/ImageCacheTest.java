package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class ImageCacheTest {

    static Path jpeg(Path dir, String name, long seed) {
        return TestImages.write(dir.resolve(name), TestImages.jpeg(TestImages.chest(120, 100, seed)));
    }

    @Test
    void secondGetIsAMemoryHitAndReturnsAPrivateCopy(@TempDir Path tmp) throws Exception {
        Path f = jpeg(tmp, "a.jpg", 1);
        ImageCache cache = new ImageCache(null, 1L << 20);
        GreyImage a = cache.get(f, 64, ResizeMode.SQUASH);
        a.pixels()[0] = 42; // caller scribbles on its copy
        GreyImage b = cache.get(f, 64, ResizeMode.SQUASH);
        assertEquals(1, cache.stats().decodes());
        assertEquals(1, cache.stats().memoryHits());
        GreyImage expected = Preprocess.resize(ImageDecoder.decode(f), 64, ResizeMode.SQUASH);
        assertArrayEquals(expected.pixels(), b.pixels());
        // Size and mode are part of the key.
        cache.get(f, 32, ResizeMode.SQUASH);
        cache.get(f, 64, ResizeMode.LETTERBOX);
        assertEquals(3, cache.stats().decodes());
    }

    @Test
    void diskCacheSurvivesANewInstanceAndNoticesChangedFiles(@TempDir Path tmp) throws Exception {
        Path f = jpeg(tmp, "a.jpg", 1);
        Path disk = tmp.resolve("cache");
        GreyImage first = new ImageCache(disk, 1L << 20).get(f, 48, ResizeMode.SQUASH);
        try (Stream<Path> s = Files.walk(disk)) {
            List<Path> entries = s.filter(Files::isRegularFile).toList();
            assertEquals(1, entries.size(), "one raw file, no temp files left: " + entries);
            assertEquals(12 + 48 * 48, Files.size(entries.get(0)));
        }
        ImageCache again = new ImageCache(disk, 1L << 20);
        assertArrayEquals(first.pixels(), again.get(f, 48, ResizeMode.SQUASH).pixels());
        assertEquals(0, again.stats().decodes());
        assertEquals(1, again.stats().diskHits());

        // Replace the image: new content and modification time, so the old entry must not be used.
        Files.write(f, TestImages.jpeg(TestImages.chest(120, 100, 99)));
        Files.setLastModifiedTime(f, FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() + 5000));
        ImageCache third = new ImageCache(disk, 1L << 20);
        GreyImage changed = third.get(f, 48, ResizeMode.SQUASH);
        assertEquals(1, third.stats().decodes());
        assertFalse(java.util.Arrays.equals(first.pixels(), changed.pixels()));
    }

    @Test
    void damagedDiskEntryIsDecodedAgain(@TempDir Path tmp) throws Exception {
        Path f = jpeg(tmp, "a.jpg", 2);
        Path disk = tmp.resolve("cache");
        GreyImage ok = new ImageCache(disk, 0).get(f, 40, ResizeMode.SQUASH);
        try (Stream<Path> s = Files.walk(disk)) {
            Path entry = s.filter(Files::isRegularFile).findFirst().orElseThrow();
            Files.write(entry, new byte[]{1, 2, 3});
        }
        ImageCache c = new ImageCache(disk, 0);
        assertArrayEquals(ok.pixels(), c.get(f, 40, ResizeMode.SQUASH).pixels());
        assertEquals(1, c.stats().decodes());
    }

    @Test
    void failuresAreRememberedAndRethrownWithTheReason(@TempDir Path tmp) throws Exception {
        Path bad = TestImages.write(tmp.resolve("bad.jpg"), "not an image at all".getBytes());
        ImageCache cache = new ImageCache();
        for (int i = 0; i < 3; i++) {
            DecodeException e = assertThrows(DecodeException.class, () -> cache.get(bad, 32, ResizeMode.SQUASH));
            assertEquals(DecodeException.Kind.NOT_AN_IMAGE, e.kind());
            assertTrue(e.getMessage().startsWith(bad + ": not an image"));
        }
        assertEquals(1, cache.stats().decodes());
    }

    @Test
    void warmDecodesInParallelAndReportsFailuresInOrder(@TempDir Path tmp) throws Exception {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 20; i++) files.add(jpeg(tmp, "img" + i + ".jpg", i));
        files.add(5, TestImages.write(tmp.resolve("empty.jpg"), new byte[0]));
        files.add(12, TestImages.write(tmp.resolve("text.jpg"), "hello".getBytes()));
        List<int[]> calls = Collections.synchronizedList(new ArrayList<>());
        ImageCache cache = new ImageCache(null, 64L << 20);
        List<Problem> problems = cache.warm(files, 32, ResizeMode.LETTERBOX, 3, (d, t) -> calls.add(new int[]{d, t}));
        assertEquals(2, problems.size());
        assertEquals(files.get(5), problems.get(0).file());
        assertTrue(problems.get(0).reason().contains("empty"));
        assertEquals(files.get(12), problems.get(1).file());
        assertEquals(files.size(), calls.size());
        for (int i = 0; i < calls.size(); i++) assertEquals(i + 1, calls.get(i)[0], "progress counts up in order");
        assertEquals(files.size(), calls.get(calls.size() - 1)[1]);
        long decodes = cache.stats().decodes();
        assertEquals(files.size(), decodes);
        // An "epoch" after warming decodes nothing.
        for (Path f : files) {
            try {
                cache.get(f, 32, ResizeMode.LETTERBOX);
            } catch (DecodeException expected) {
                // the two bad files
            }
        }
        assertEquals(decodes, cache.stats().decodes());
    }

    @Test
    void concurrentRequestsForOneImageDecodeItOnce(@TempDir Path tmp) throws Exception {
        Path f = jpeg(tmp, "a.jpg", 3);
        ImageCache cache = new ImageCache(null, 1L << 20);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<GreyImage>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) fs.add(pool.submit(() -> {
                start.await();
                return cache.get(f, 64, ResizeMode.SQUASH);
            }));
            start.countDown();
            byte[] first = fs.get(0).get().pixels();
            for (Future<GreyImage> x : fs) assertArrayEquals(first, x.get().pixels());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, cache.stats().decodes());
    }

    @Test
    void memoryLimitStopsAdmittingNewEntries(@TempDir Path tmp) throws Exception {
        Path a = jpeg(tmp, "a.jpg", 1), b = jpeg(tmp, "b.jpg", 2);
        ImageCache cache = new ImageCache(null, 32 * 32 + 10);
        cache.get(a, 32, ResizeMode.SQUASH);
        cache.get(b, 32, ResizeMode.SQUASH);
        assertEquals(1, cache.stats().memoryEntries());
        assertTrue(cache.stats().memoryBytes() <= 32 * 32 + 10);
        cache.get(b, 32, ResizeMode.SQUASH);
        assertEquals(3, cache.stats().decodes(), "b was not kept, so it is decoded again");
        cache.get(a, 32, ResizeMode.SQUASH);
        assertEquals(1, cache.stats().memoryHits());
    }
}
