package org.pneumoscope.train;

import org.pneumoscope.augment.FloatImage;
import org.pneumoscope.augment.Transform;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.Sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Cached decode → augment → normalise → batch, on worker threads, a few batches ahead of the model,
 * returned in order. Each image's augmentation is seeded from (run seed, epoch, position) so a run
 * is reproducible however the threads are scheduled.
 */
public final class BatchLoader implements AutoCloseable {
    /** A batch as a flat NCHW float array. */
    public record Batch(float[] data, int[] labels, int[] sampleIndex, int n) {}

    private final List<Sample> samples;
    private final ImageSource images;
    private final Transform augment;
    private final InputRecipe recipe;
    private final int size, channels, batch;
    private final int[] order;
    private final boolean[] augmentAt; // null: augment every view
    private final long seed;
    private final int epoch;
    private final ExecutorService pool;
    private final Deque<Future<Batch>> ahead = new ArrayDeque<>();
    private int next; // next batch number to submit
    private final int batches;
    private final int prefetch;

    public BatchLoader(List<Sample> samples, int[] order, ImageSource images, Transform augment,
                       InputRecipe recipe, int batch, long seed, int epoch,
                       ExecutorService pool, int prefetch) {
        this(samples, order, null, images, augment, recipe, batch, seed, epoch, pool, prefetch);
    }

    /**
     * @param augmentAt per position of {@code order}, whether that view is augmented; null augments every view
     *                  (when {@code augment} is not null)
     * @param recipe    how the images (which {@code images} gives at the recipe's size, grey scale mapped) are
     *                  normalised into the batch, exactly as inference does it
     */
    public BatchLoader(List<Sample> samples, int[] order, boolean[] augmentAt, ImageSource images, Transform augment,
                       InputRecipe recipe, int batch, long seed, int epoch,
                       ExecutorService pool, int prefetch) {
        if (augmentAt != null && augmentAt.length != order.length)
            throw new IllegalArgumentException("augmentAt has " + augmentAt.length + " flags for " + order.length + " positions");
        this.samples = samples;
        this.order = order;
        this.augmentAt = augmentAt;
        this.images = images;
        this.augment = augment;
        this.recipe = recipe;
        this.size = recipe.size();
        this.channels = recipe.channels();
        this.batch = batch;
        this.seed = seed;
        this.epoch = epoch;
        this.pool = pool;
        this.prefetch = Math.max(1, prefetch);
        this.batches = (order.length + batch - 1) / batch;
        fill();
    }

    public int batches() { return batches; }

    public boolean hasNext() { return !ahead.isEmpty(); }

    public Batch next() {
        Future<Batch> f = ahead.poll();
        if (f == null) throw new java.util.NoSuchElementException();
        fill();
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading a batch", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException) throw (RuntimeException) c;
            throw new IllegalStateException(c);
        }
    }

    private void fill() {
        while (ahead.size() < prefetch && next < batches) {
            final int b = next++;
            ahead.add(pool.submit(() -> build(b)));
        }
    }

    private Batch build(int b) {
        int from = b * batch, to = Math.min(order.length, from + batch), n = to - from;
        int plane = size * size;
        float[] data = new float[n * channels * plane];
        int[] labels = new int[n];
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            int si = order[from + i];
            Sample s = samples.get(si);
            GreyImage g;
            try {
                g = images.load(s);
            } catch (IOException e) {
                throw new UncheckedIOException(s.file() + ": " + e.getMessage(), e);
            }
            if (g.width() != size || g.height() != size)
                throw new IllegalStateException(s.file() + ": image source returned " + g.width() + "x" + g.height() + ", expected " + size);
            FloatImage f = FloatImage.of(g);
            if (augment != null && (augmentAt == null || augmentAt[from + i]))
                f = augment.apply(f, new Random(mix(seed, epoch, from + i)));
            recipe.normalise(f.pixels(), data, i * channels * plane);
            labels[i] = s.label().index();
            idx[i] = si;
        }
        return new Batch(data, labels, idx, n);
    }

    /** SplitMix-style mixing so nearby (epoch, position) pairs get unrelated streams. */
    public static long mix(long seed, long epoch, long position) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + position * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public void close() {
        for (Future<Batch> f : ahead) f.cancel(true);
        ahead.clear();
    }
}
