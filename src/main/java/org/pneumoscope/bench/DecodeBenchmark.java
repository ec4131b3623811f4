package org.pneumoscope.bench;

import org.pneumoscope.api.Film;
import org.pneumoscope.core.UserException;
import org.pneumoscope.pipeline.Console;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.data.Preprocess;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.data.Sample;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;

/**
 * Images per second for decode + resize, Pneumoscope's path against the
 * plain Java way ({@code ImageIO.read} + {@code Graphics2D.drawImage} with bilinear interpolation), with one
 * thread and with all cores, in the same run on the same files. A third path goes all the way to the network's
 * input as every door makes it: decode and check the film ({@link Film#read}), fit it to the input recipe, map its
 * grey scale and normalise it to the float tensor; its ratio to the plain path shows when a change slows it.
 */
public final class DecodeBenchmark {
    private DecodeBenchmark() {}

    interface Decoder {
        void decode(Path file) throws IOException;
    }

    /**
     * Decodes and resizes up to {@code limit} films of {@code data} to the recipe's size and resize both ways, and
     * makes the recipe's tensor of each, with one thread and with {@code threads}, {@code rounds} times interleaved,
     * and prints the best rate of each.
     */
    public static void run(Path data, int limit, InputRecipe recipe, int threads, int rounds, PrintStream out) throws Exception {
        int size = recipe.size();
        ResizeMode rm = recipe.resize();
        if (limit < 1 || threads < 1 || rounds < 1)
            throw new UserException("--limit, --size, --threads and --rounds must be positive", 2);
        DatasetScan scan = DatasetReader.read(data).requireImages();
        List<Path> files = spread(scan.samples(), limit);

        Decoder ours = f -> Preprocess.resize(ImageDecoder.decode(f), size, rm);
        Decoder plain = f -> plainDecode(f, size, rm);
        Decoder tensor = f -> {
            float[] x = recipe.tensor(recipe.fit(Film.read(f).image()));
            if (x.length != recipe.channels() * size * size) throw new IllegalStateException("tensor of " + x.length + " values");
        };

        // Which files decode at all (both paths then use only those), and JIT warm-up.
        List<Path> usable = new ArrayList<>();
        int failed = 0;
        for (Path f : files) {
            try {
                ours.decode(f);
                plain.decode(f);
                tensor.decode(f);
                usable.add(f);
            } catch (IOException | RuntimeException e) {
                failed++;
            }
        }
        if (usable.isEmpty()) throw new UserException("none of the " + files.size() + " images decoded; nothing to measure");

        out.printf(Locale.US, "Decode + resize to %dx%d (%s): %s images from %s, %d core(s) available%n",
                size, size, rm.id(), Console.n(usable.size()), data, Runtime.getRuntime().availableProcessors());
        if (failed > 0) out.println("(" + failed + " image(s) skipped: they did not decode)");
        // Rounds interleave the four measurements so a busy neighbour process slows them all alike; best kept.
        double o1 = 0, p1 = 0, t1 = 0, on = 0, pn = 0, tn = 0;
        for (int r = 0; r < rounds; r++) {
            o1 = Math.max(o1, run(ours, usable, 1));
            p1 = Math.max(p1, run(plain, usable, 1));
            t1 = Math.max(t1, run(tensor, usable, 1));
            on = Math.max(on, run(ours, usable, threads));
            pn = Math.max(pn, run(plain, usable, threads));
            tn = Math.max(tn, run(tensor, usable, threads));
        }
        String threadsName = threads + " thread" + (threads == 1 ? "" : "s");
        out.printf(Locale.US, "%-26s%14s%14s%n", "", "1 thread", threadsName);
        out.printf(Locale.US, "%-26s%10.0f im/s%10.0f im/s%n", "pneumoscope", o1, on);
        out.printf(Locale.US, "%-26s%10.0f im/s%10.0f im/s%n", "pneumoscope to tensor", t1, tn);
        out.printf(Locale.US, "%-26s%10.0f im/s%10.0f im/s%n", "ImageIO.read + Graphics2D", p1, pn);
        out.printf(Locale.US, "%-26s%13.2fx%13.2fx%n", "ratio (pneumoscope/plain)", o1 / p1, on / pn);
        out.printf(Locale.US, "%-26s%13.2fx%13.2fx%n", "ratio (tensor/plain)", t1 / p1, tn / pn);
        out.printf(Locale.US, "(to tensor: decode and check as every door does, fit, %s contrast, normalise to %d channel(s) "
                + "of floats: the network's input)%n", recipe.contrast().id(), recipe.channels());
    }

    /** Every k-th sample so all classes and sources are represented. */
    static List<Path> spread(List<Sample> samples, int limit) {
        List<Path> out = new ArrayList<>();
        int n = samples.size();
        if (n <= limit) {
            for (Sample s : samples) out.add(s.file());
            return out;
        }
        for (int i = 0; i < limit; i++) out.add(samples.get((int) ((long) i * n / limit)).file());
        return out;
    }

    /** The baseline: what a Java developer writes without a pipeline. */
    public static BufferedImage plainDecode(Path f, int size, ResizeMode mode) throws IOException {
        BufferedImage src = ImageIO.read(f.toFile());
        if (src == null) throw new IOException("no reader for " + f);
        BufferedImage dst = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = dst.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            Preprocess.Placement p = Preprocess.placement(src.getWidth(), src.getHeight(), size, mode);
            g.drawImage(src, p.x(), p.y(), p.width(), p.height(), null);
        } finally {
            g.dispose();
        }
        return dst;
    }

    private static double run(Decoder d, List<Path> files, int threads) throws Exception {
        AtomicInteger next = new AtomicInteger();
        long t0 = System.nanoTime();
        if (threads == 1) {
            for (Path f : files) d.decode(f);
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++)
                    fs.add(pool.submit(() -> {
                        for (int i; (i = next.getAndIncrement()) < files.size(); ) d.decode(files.get(i));
                        return null;
                    }));
                for (Future<?> f : fs) f.get();
            } finally {
                pool.shutdownNow();
            }
        }
        return files.size() / ((System.nanoTime() - t0) / 1e9);
    }
}
