package org.pneumoscope.bench;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.data.Sample;
import org.pneumoscope.train.TrainConfig;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Training speed against PyTorch's own Python API on the same machine, same net, size, batch and threads. */
public final class TrainComparison {
    private TrainComparison() {}

    /**
     * Measures the loader, the step and both together on {@code data}'s films (or phantoms), then the PyTorch
     * reference at {@code reference} (default: the project's ../shared/bench/torch_reference.py) unless {@code noReference}.
     */
    public static void run(TrainConfig cfg, Path data, int steps, Path reference, boolean noReference, int memoryEvery,
                           PrintStream out) throws Exception {
        if (steps < 1) throw new UserException("--steps must be >= 1", 2);
        List<GreyImage> images = new ArrayList<>();
        if (data != null) {
            ImageCache cache = new ImageCache();
            List<Sample> s = DatasetReader.read(data).requireImages().samples();
            for (Sample x : s.subList(0, Math.min(s.size(), 256))) {
                try { images.add(cache.get(x.file(), cfg.size(), ResizeMode.SQUASH)); } catch (Exception e) { /* skip */ }
            }
        }
        if (images.isEmpty()) images = TrainBenchmark.phantoms(96, cfg.size(), cfg.seed());
        int threads = Runtime.getRuntime().availableProcessors();
        out.printf(Locale.ROOT, "pneumoscope model=%s width=%.2f size=%d batch=%d channels=%d augment=%s threads=%d%n",
                cfg.model(), cfg.width(), cfg.size(), cfg.batch(), cfg.channels(), cfg.augment(), threads);
        TrainBenchmark.Figures f = TrainBenchmark.run(cfg, images, steps, memoryEvery);
        out.printf(Locale.ROOT, "pneumoscope loader_img_s=%.1f step_img_s=%.2f end_to_end_img_s=%.2f loader/step=%.1fx "
                        + "rss_after_warmup_mb=%d rss_end_mb=%d peak_rss_mb=%d native_after_warmup_mb=%d native_end_mb=%d (after %d + %d steps)%n",
                f.loaderImgPerSec(), f.stepImgPerSec(), f.endToEndImgPerSec(), f.loaderImgPerSec() / f.stepImgPerSec(),
                f.rssAfterWarmupMb(), f.rssEndMb(), f.peakRssMb(), f.nativeAfterWarmupMb(), f.nativeEndMb(), f.steps(), f.steps());
        printMemory(f.memory(), out);
        if (!ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+AlwaysPreTouch"))
            out.println("note: committed heap becomes resident only as the heap first uses it, so native (rss - heap_committed) "
                    + "also rises while the heap warms up; for a clean native series run with PNEUMOSCOPE_JAVA_OPTS=\"-Xmx768m -Xms768m -XX:+AlwaysPreTouch\"");
        if (noReference) return;
        Path ref = reference != null ? reference : Path.of(System.getProperty("pneumoscope.home", "."), "..", "shared", "bench", "torch_reference.py");
        if (!Files.isRegularFile(ref)) {
            out.println("reference: skipped (" + ref + " not found)");
            return;
        }
        if (cfg.width() != 1.0 || cfg.channels() != 3) {
            out.println("note: the reference is torchvision's " + cfg.model() + " at width 1.0 with 3 input channels");
        }
        // PyTorch as a user runs it (glibc's allocator defaults), and given the allocator settings our launcher sets,
        // which make its Python about as much faster as they make us (docs/models.md, "Speed")
        int refSteps = Math.max(6, Math.min(steps, 30));
        Double plain = reference(ref, cfg, threads, refSteps, false, out);
        Double tuned = reference(ref, cfg, threads, refSteps, true, out);
        if (plain != null) out.printf(Locale.ROOT, "ratio end_to_end/reference=%.2fx step/reference=%.2fx (PyTorch with glibc's default allocator)%n",
                f.endToEndImgPerSec() / plain, f.stepImgPerSec() / plain);
        if (tuned != null) out.printf(Locale.ROOT, "ratio end_to_end/reference=%.2fx step/reference=%.2fx (PyTorch with the launcher's allocator settings)%n",
                f.endToEndImgPerSec() / tuned, f.stepImgPerSec() / tuned);
        if (plain != null || tuned != null)
            out.println("note: the reference's peak_rss_mb is its high-water mark as Linux reports it, which inherits this "
                    + "benchmark's own peak across fork and exec; run the script by hand for its own");
        return;
    }

    /** glibc variables the launcher sets so freed tensor memory is kept for the next batch (../pneumoscope). */
    static final Map<String, String> ALLOCATOR = Map.of("MALLOC_MMAP_THRESHOLD_", "1073741824", "MALLOC_TRIM_THRESHOLD_", "17179869184",
            "MALLOC_ARENA_MAX", "1");

    /** The memory series, then the native growth over the second half of each phase (a leak keeps growing there). */
    static void printMemory(List<TrainBenchmark.MemoryPoint> series, PrintStream out) {
        out.println("memory series (MB; native = rss - heap_committed; direct = NIO buffers, part of native; "
                + "ndarrays = arrays alive under the root manager):");
        out.println("  phase  step    rss heap_used heap_committed native direct ndarrays");
        for (TrainBenchmark.MemoryPoint p : series) {
            var m = p.memory();
            out.printf(Locale.ROOT, "  %-5s %5d %6d %9d %14d %6d %6d %8d%n", p.phase(), p.step(), m.rssMb(), m.heapUsedMb(),
                    m.heapCommittedMb(), m.nativeMb(), m.directMb(), p.ndarrays());
        }
        for (String phase : List.of("step", "e2e")) {
            List<TrainBenchmark.MemoryPoint> ph = series.stream().filter(p -> p.phase().equals(phase)).toList();
            if (ph.size() < 3 || ph.get(0).memory().rssMb() < 0) continue;
            TrainBenchmark.MemoryPoint mid = ph.get(ph.size() / 2), end = ph.get(ph.size() - 1);
            int span = end.step() - mid.step();
            if (span <= 0) continue;
            out.printf(Locale.ROOT, "native growth, %s steps %d-%d: %+.1f MB per 1000 steps (ndarrays %+d)%n", phase,
                    mid.step(), end.step(), 1000.0 * (end.memory().nativeMb() - mid.memory().nativeMb()) / span, end.ndarrays() - mid.ndarrays());
        }
    }

    /** Runs the reference once, with glibc's allocator defaults or the launcher's settings; its training img/s, or null. */
    static Double reference(Path ref, TrainConfig cfg, int threads, int steps, boolean launcherAllocator, PrintStream out) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", ref.toString(), "--model", cfg.model().id(),
                "--size", String.valueOf(cfg.size()), "--batch", String.valueOf(cfg.batch()), "--threads", String.valueOf(threads),
                "--steps", String.valueOf(steps)).redirectErrorStream(true);
        for (Map.Entry<String, String> e : ALLOCATOR.entrySet()) {
            if (launcherAllocator) pb.environment().putIfAbsent(e.getKey(), e.getValue());
            else pb.environment().remove(e.getKey());
        }
        Process p;
        try {
            p = pb.start();
        } catch (java.io.IOException e) {
            out.println("reference: skipped (/usr/bin/python3 not available)");
            return null;
        }
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) log.append(line).append('\n');
        }
        if (!p.waitFor(30, TimeUnit.MINUTES)) { p.destroyForcibly(); out.println("reference: timed out"); return null; }
        Matcher m = Pattern.compile("train_img_s=([0-9.]+)").matcher(log);
        String last = log.toString().lines().filter(l -> l.startsWith("reference")).reduce((a, b) -> b).orElse(null);
        if (last == null || !m.find()) {
            out.println("reference: failed (is python3-torch installed? apt-get install python3-torch python3-torchvision): "
                    + log.toString().lines().reduce((a, b) -> b).orElse(""));
            return null;
        }
        out.println(last + (launcherAllocator ? " (launcher's allocator settings)" : " (glibc's default allocator)"));
        return Double.parseDouble(m.group(1));
    }
}
