package org.pneumoscope.bench;

import org.pneumoscope.augment.Augmenter;
import org.pneumoscope.augment.FloatImage;
import org.pneumoscope.augment.Transform;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.pipeline.AugmentPreview;
import org.pneumoscope.synth.PhantomGenerator;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/** Measures how many images per second a pipeline augments (what the training loader needs per epoch). */
public final class AugmentBenchmark {
    private AugmentBenchmark() {}

    /**
     * {@code cpuSeconds} is the CPU time the worker threads actually got: on a shared machine wall-clock speed
     * understates the code's speed, images per CPU-second doesn't.
     */
    public record Result(int threads, int size, long images, double seconds, double cpuSeconds) {
        public double imagesPerSecond() { return images / seconds; }

        public double perThread() { return imagesPerSecond() / threads; }

        /** Images per second of one fully available core. */
        public double perCpuSecond() { return cpuSeconds > 0 ? images / cpuSeconds : Double.NaN; }
    }

    /**
     * Runs the pipeline on copies of {@code image} from {@code threads} threads for about {@code seconds}
     * after a short warm-up (so the JIT has compiled the loops).
     */
    public static Result run(Transform pipeline, FloatImage image, int threads, double seconds) throws InterruptedException {
        Augmenter aug = new Augmenter(pipeline, 1234);
        long warmEnd = System.nanoTime() + (long) (Math.min(1.0, seconds / 2) * 1e9);
        for (int i = 0; System.nanoTime() < warmEnd; i++) aug.apply(image, 0, i);
        AtomicLong done = new AtomicLong(), cpuNanos = new AtomicLong();
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        boolean cpu = mx.isCurrentThreadCpuTimeSupported();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime(), end = start + (long) (seconds * 1e9);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                jobs.add(pool.submit(() -> {
                    long i = thread;
                    long c0 = cpu ? mx.getCurrentThreadCpuTime() : 0;
                    while (System.nanoTime() < end) {
                        aug.apply(image, 1, i);
                        i += threads;
                        done.incrementAndGet();
                    }
                    if (cpu) cpuNanos.addAndGet(mx.getCurrentThreadCpuTime() - c0);
                }));
            }
            for (Future<?> f : jobs) f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("benchmark failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        return new Result(threads, image.width(), done.get(), secs, cpuNanos.get() / 1e9);
    }

    /** Images per second of {@code pipeline} on a phantom of {@code px} px, printed. */
    public static void report(String recipe, int px, int threads, double seconds, long seed, PrintStream log) throws InterruptedException {
        Transform pipeline = AugmentPreview.pipeline(recipe);
        if (threads < 1) throw new UserException("--threads must be at least 1", 2);
        if (seconds <= 0 || seconds > 600) throw new UserException("--seconds must be in (0, 600]", 2);
        FloatImage img = FloatImage.of(new PhantomGenerator().render(Label.BACTERIA, px, new Random(seed)).image());
        Result r = run(pipeline, img, threads, seconds);
        log.printf(Locale.ROOT, "recipe %s at %dx%d px, %d thread(s): %.0f images/s wall-clock (%.0f per thread); "
                        + "%.0f images per CPU-second (%.2f ms of CPU per image)%n",
                recipe, px, px, threads, r.imagesPerSecond(), r.perThread(), r.perCpuSecond(), 1000.0 / r.perCpuSecond());
    }
}
