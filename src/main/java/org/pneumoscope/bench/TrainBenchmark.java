package org.pneumoscope.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import org.pneumoscope.augment.Recipe;
import org.pneumoscope.augment.Transform;
import org.pneumoscope.core.DjlSetup;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.ProcessMemory;
import org.pneumoscope.data.Sample;
import org.pneumoscope.model.XrayNet;
import org.pneumoscope.train.BatchLoader;
import org.pneumoscope.train.ImageSource;
import org.pneumoscope.train.Losses;
import org.pneumoscope.train.Models;
import org.pneumoscope.train.Optimizer;
import org.pneumoscope.train.TrainConfig;
import org.pneumoscope.train.TrainStep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Measures the three rates that decide training time: the loader alone (cached decode → augment →
 * batch), the model step alone (forward + backward + Adam on a fixed batch), and both together.
 */
public final class TrainBenchmark {
    private TrainBenchmark() {}

    public record Figures(double loaderImgPerSec, double stepImgPerSec, double endToEndImgPerSec, long peakRssMb,
                          long rssAfterWarmupMb, long rssEndMb, int steps, long nativeAfterWarmupMb, long nativeEndMb,
                          List<MemoryPoint> memory) {}

    /**
     * Memory after {@code step} steps of a phase ("step": the model alone on one fixed batch; "e2e": loader and
     * model). {@code ndarrays} counts the arrays alive under the benchmark's root manager (optimiser state plus
     * whatever a step failed to free): constant when our code leaks nothing.
     */
    public record MemoryPoint(String phase, int step, ProcessMemory.Sample memory, int ndarrays) {}

    /** @param images images already at cfg.size (from real data or phantoms), reused round-robin */
    public static Figures run(TrainConfig cfg, List<GreyImage> images, int steps) throws IOException {
        return run(cfg, images, steps, 0);
    }

    /**
     * As {@link #run(TrainConfig, List, int)}, also sampling memory every {@code sampleEvery} steps of each timed
     * phase (0: only at the phase ends). The time spent sampling is left out of the rates.
     */
    public static Figures run(TrainConfig cfg, List<GreyImage> images, int steps, int sampleEvery) throws IOException {
        DjlSetup.configure();
        int n = images.size();
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) samples.add(new Sample(Path.of("bench", i + ".png"), Label.of(i % 3), "b" + i, "train"));
        ImageSource src = s -> images.get(Integer.parseInt(s.file().getFileName().toString().replace(".png", "")));
        Transform aug = cfg.augment() == Recipe.NONE ? null : cfg.augment().transform();
        int total = steps * cfg.batch();
        int[] order = new int[total];
        for (int i = 0; i < total; i++) order[i] = i % n;
        int threads = cfg.loaderThreads() > 0 ? cfg.loaderThreads() : Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> { Thread t = new Thread(r); t.setDaemon(true); return t; });
        try (NDManager root = NDManager.newBaseManager();
             XrayNet net = Models.build(cfg, false, null);
             Optimizer opt = new Optimizer(root, cfg.optimizer(), cfg.weightDecay())) {
            // 1. loader alone
            long t0 = System.nanoTime();
            BatchLoader.Batch first = null;
            try (BatchLoader l = new BatchLoader(samples, order, src, aug, cfg.input(), cfg.batch(), cfg.seed(), 0, pool, threads + 2)) {
                while (l.hasNext()) { BatchLoader.Batch b = l.next(); if (first == null) first = b; }
            }
            double loader = total / ((System.nanoTime() - t0) / 1e9);

            // 2. model step alone, on one fixed batch
            TrainStep step = new TrainStep(net.block(), new ParameterStore(root, false),
                    cfg.l2() > 0 ? net.l2Parameters() : List.of(), cfg.l2(), opt, null, cfg.channels(), cfg.size());
            float[] target = Losses.targets(first.labels(), cfg.labelSmoothing());
            float[] w = new float[first.n()];
            java.util.Arrays.fill(w, 1f);
            for (int i = 0; i < 2; i++) step.run(root, first.data(), target, w, first.labels(), first.n(), cfg.lr());
            long rssWarm = ProcessMemory.rssMb(), nativeWarm = ProcessMemory.sample().nativeMb();
            List<MemoryPoint> memory = new ArrayList<>();
            memory.add(point("step", 0, root));
            long paused = 0;
            t0 = System.nanoTime();
            for (int i = 1; i <= steps; i++) {
                step.run(root, first.data(), target, w, first.labels(), first.n(), cfg.lr());
                if (due(i, steps, sampleEvery)) { long p0 = System.nanoTime(); memory.add(point("step", i, root)); paused += System.nanoTime() - p0; }
            }
            double model = steps * first.n() / ((System.nanoTime() - t0 - paused) / 1e9);

            // 3. end to end
            paused = 0;
            t0 = System.nanoTime();
            int seen = 0, done = 0;
            try (BatchLoader l = new BatchLoader(samples, order, src, aug, cfg.input(), cfg.batch(), cfg.seed(), 1, pool, threads + 2)) {
                while (l.hasNext()) {
                    BatchLoader.Batch b = l.next();
                    step.run(root, b.data(), Losses.targets(b.labels(), cfg.labelSmoothing()), w.length == b.n() ? w : ones(b.n()), b.labels(), b.n(), cfg.lr());
                    seen += b.n();
                    if (due(++done, steps, sampleEvery)) { long p0 = System.nanoTime(); memory.add(point("e2e", done, root)); paused += System.nanoTime() - p0; }
                }
            }
            double e2e = seen / ((System.nanoTime() - t0 - paused) / 1e9);
            return new Figures(loader, model, e2e, ProcessMemory.peakRssMb(), rssWarm, ProcessMemory.rssMb(), steps, nativeWarm,
                    ProcessMemory.sample().nativeMb(), memory);
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean due(int step, int steps, int every) { return step == steps || (every > 0 && step % every == 0); }

    private static MemoryPoint point(String phase, int step, NDManager root) {
        return new MemoryPoint(phase, step, ProcessMemory.sample(), root.getManagedArrays().size());
    }

    static float[] ones(int n) { float[] a = new float[n]; java.util.Arrays.fill(a, 1f); return a; }

    /** Phantoms rendered in memory when no data is given. */
    public static List<GreyImage> phantoms(int count, int size, long seed) {
        org.pneumoscope.synth.PhantomGenerator g = new org.pneumoscope.synth.PhantomGenerator();
        Random r = new Random(seed);
        List<GreyImage> l = new ArrayList<>();
        for (int i = 0; i < count; i++) l.add(g.render(Label.of(i % 3), size, r).image());
        return l;
    }

}
