package org.pneumoscope.experiment;

import org.pneumoscope.augment.Recipe;
import org.pneumoscope.augment.Transform;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.data.Sample;
import org.pneumoscope.pipeline.ModelInfo;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;
import org.pneumoscope.train.Trainer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * How long the runs still to do will take, from a short timing probe: a few real training steps (batching,
 * forward, backward, update) of each distinct network among the cells, on this machine, now, plus the time of
 * each augmentation recipe on a few images.
 * A run's time is then its images per epoch × epochs (capped by max_minutes as the trainer caps it) × the
 * measured seconds per image, plus validation and test scoring (forward only, about a third of a training
 * step) and a fixed overhead for checkpoints and the report.
 */
public final class TimeEstimate {
    /** Training steps timed per probe, after one warm-up epoch of the same length. */
    public static final int PROBE_STEPS = 3;
    /** At most this many distinct networks are probed; others are scaled from the first by their cost. */
    public static final int MAX_PROBES = 3;
    static final double FORWARD_SHARE = 0.35;
    static final double OVERHEAD_SECONDS = 10;

    private final ExperimentPlan plan;
    private final List<ExperimentPlan.Unit> pending;
    private final Map<String, Double> secondsPerImage = new LinkedHashMap<>();
    private final Map<String, Double> costOfProbe = new LinkedHashMap<>();
    private final Map<String, Double> augmentSeconds = new LinkedHashMap<>(); // recipe@size → seconds per image
    private double decodeSeconds = 0.004;

    private TimeEstimate(ExperimentPlan plan, List<ExperimentPlan.Unit> pending) {
        this.plan = plan;
        this.pending = List.copyOf(pending);
    }

    /** Times a few training steps per distinct network of the {@code pending} runs. */
    public static TimeEstimate probe(ExperimentPlan plan, List<ExperimentPlan.Unit> pending, ImageCache cache,
                                     boolean allowDownload, PrintStream log) throws IOException {
        TimeEstimate t = new TimeEstimate(plan, pending);
        if (pending.isEmpty()) return t;
        List<Cell> distinct = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (ExperimentPlan.Unit u : pending) {
            String k = archKey(u.cell().config());
            if (!keys.contains(k)) { keys.add(k); distinct.add(u.cell()); }
        }
        List<Sample> train = new ArrayList<>();
        for (Sample s : plan.folds().forFold(0)) if ("train".equals(s.split())) train.add(s);
        for (int i = 0; i < Math.min(MAX_PROBES, distinct.size()); i++) {
            Cell c = distinct.get(i);
            long t0 = System.nanoTime();
            double spi = t.time(c.config(), train, cache, allowDownload);
            t.secondsPerImage.put(keys.get(i), spi);
            t.costOfProbe.put(keys.get(i), cost(c.config()));
            if (log != null)
                log.printf(Locale.ROOT, "timing probe %s: %.1f ms per training image (%d steps of %d, probe took %.0f s)%n",
                        describe(c.config()), 1000 * spi, PROBE_STEPS, c.config().batch(), (System.nanoTime() - t0) / 1e9);
        }
        for (ExperimentPlan.Unit u : pending) {
            TrainConfig c = u.cell().config();
            String k = c.augment() + "@" + c.size();
            if (c.augment() == Recipe.NONE || t.augmentSeconds.containsKey(k)) continue;
            double a = t.timeAugment(c, train, cache);
            t.augmentSeconds.put(k, a);
            if (log != null) log.printf(Locale.ROOT, "timing probe augment %s at %d px: %.1f ms per image%n", c.augment(), c.size(), 1000 * a);
        }
        return t;
    }

    /** Seconds to augment one image with the cell's recipe (what the loader adds per augmented view). */
    private double timeAugment(TrainConfig c, List<Sample> train, ImageCache cache) throws IOException {
        Transform aug = c.augment().transform();
        ResizeMode mode = c.resizeMode();
        int n = Math.min(train.size(), 16);
        List<org.pneumoscope.augment.FloatImage> imgs = new ArrayList<>();
        for (int i = 0; i < n; i++) imgs.add(org.pneumoscope.augment.FloatImage.of(cache.get(train.get(i * train.size() / n).file(), c.size(), mode)));
        java.util.Random rng = new java.util.Random(1);
        for (int i = 0; i < Math.min(2, n); i++) aug.apply(imgs.get(i), rng); // warm-up
        long t0 = System.nanoTime();
        for (org.pneumoscope.augment.FloatImage f : imgs) aug.apply(f, rng);
        return (System.nanoTime() - t0) / 1e9 / Math.max(1, n);
    }

    private double time(TrainConfig cellCfg, List<Sample> train, ImageCache cache, boolean allowDownload) throws IOException {
        int batch = Math.max(2, Math.min(cellCfg.batch(), train.size() / PROBE_STEPS));
        // augmentation is timed separately (timeAugment): cells that differ only in it share one probe
        TrainConfig cfg = cellCfg.with(Map.of("epochs", 2, "max_minutes", 0, "early_stop_patience", 0, "augment_copies", 0,
                "balance", "none", "schedule", "constant", "warmup_epochs", 0, "batch", batch, "ema", 0, "augment", "none"))
                .with("early_size", 0); // progressive resizing's early epochs are cheaper: timed at full size, an upper bound
        int n = Math.min(train.size(), batch * PROBE_STEPS);
        List<Sample> subset = new ArrayList<>();
        for (int i = 0; i < n; i++) subset.add(train.get((int) ((long) i * train.size() / n)));
        ResizeMode mode = cfg.resizeMode();
        List<Path> files = new ArrayList<>();
        for (Sample s : subset) files.add(s.file());
        long d0 = System.nanoTime();
        List<Problem> bad = cache.warm(files, cfg.size(), mode, Runtime.getRuntime().availableProcessors(), null);
        if (!bad.isEmpty()) subset.removeIf(s -> bad.stream().anyMatch(p -> p.file().equals(s.file())));
        decodeSeconds = Math.max(1e-4, (System.nanoTime() - d0) / 1e9 / Math.max(1, files.size()));
        Path dir = Files.createTempDirectory("pneumoscope-probe-");
        try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
            Trainer.Result r = Trainer.train(new Trainer.Request(cfg, new RunFolder(dir), subset, List.of(),
                    s -> cache.get(s.file(), cfg.size(), mode), null, false, allowDownload, quiet));
            Trainer.EpochStats last = r.history().get(r.history().size() - 1); // the second epoch: warmed up
            return 1.0 / Math.max(1e-6, last.imgPerSec());
        } finally {
            deleteTree(dir);
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> { try { Files.deleteIfExists(p); } catch (IOException ignored) { } });
        } catch (IOException ignored) {
            // a leftover temp folder is harmless
        }
    }

    /** What makes two cells cost the same per image. */
    static String archKey(TrainConfig c) {
        return c.model() + "@" + c.size() + "/w" + c.width() + "/c" + c.channels() + "/" + c.head() + "/f" + c.freezeThrough()
                + "/" + c.weights();
    }

    static String describe(TrainConfig c) {
        return String.format(Locale.ROOT, "%s@%d width %s head %s%s", c.model(), c.size(), ExperimentSpec.format(c.width()),
                c.head(), "none".equals(c.freezeThrough()) ? "" : " frozen through " + c.freezeThrough());
    }

    /** Relative compute per image: ResNet GFLOPs at 224 px × width² × (size/224)². */
    static double cost(TrainConfig c) {
        double gflops = switch (c.model()) {
            case RESNET18 -> 1.8;
            case RESNET34 -> 3.6;
            case RESNET50 -> 4.1;
            // a config names a ResNet; only a weights file makes a TorchScript backbone
            case TORCHSCRIPT -> throw new IllegalArgumentException("no cost estimate for a TorchScript backbone");
        };
        return gflops * c.width() * c.width() * c.size() * c.size() / (224.0 * 224.0);
    }

    /** Measured seconds per training step of one image for this cell's network (scaled from the first probe if not probed). */
    double secondsPerImage(TrainConfig c) {
        Double s = secondsPerImage.get(archKey(c));
        if (s != null) return s;
        String first = secondsPerImage.keySet().iterator().next();
        return secondsPerImage.get(first) * cost(c) / costOfProbe.get(first);
    }

    /**
     * Average augmentation seconds per training view: every view is augmented with augment_copies 0, N of
     * every N + 1 otherwise. Counted serially, as on a small machine the loader competes with the model for cores.
     */
    double augmentPerView(TrainConfig c) {
        if (c.augment() == Recipe.NONE) return 0;
        Double a = augmentSeconds.get(c.augment() + "@" + c.size());
        if (a == null) return 0;
        int n = c.augmentCopies();
        return n == 0 ? a : a * n / (n + 1.0);
    }

    /** Estimated wall time of one run (cell × fold) of this cell, in seconds. */
    public double unitSeconds(Cell cell) {
        if (secondsPerImage.isEmpty()) return Double.NaN;
        TrainConfig c = cell.config();
        double spi = secondsPerImage(c), aug = augmentPerView(c);
        int valN = ExperimentPlan.total(plan.folds().valCounts(0)), testN = ExperimentPlan.total(plan.folds().testCounts());
        double perEpoch = ModelInfo.epochLength(c, plan.folds().trainCounts(0)) * (spi + aug) + valN * spi * FORWARD_SHARE;
        int epochs = c.epochs();
        if (c.maxMinutes() > 0) epochs = (int) Math.max(1, Math.min(epochs, Math.floor(c.maxMinutes() * 60 / perEpoch)));
        double scoring = (valN + testN * (c.tta() ? 2 : 1)) * spi * FORWARD_SHARE + testN * decodeSeconds;
        return epochs * perEpoch + scoring + OVERHEAD_SECONDS;
    }

    /** Total for the pending runs. */
    public double totalSeconds() {
        double t = 0;
        java.util.Set<Integer> sizes = new java.util.HashSet<>();
        for (ExperimentPlan.Unit u : pending) {
            t += unitSeconds(u.cell());
            if (sizes.add(u.cell().config().size())) t += plan.folds().samples().size() * decodeSeconds; // first decode per size
        }
        return t;
    }

    /** "40 min", "5.2 h", "7.5 days (180 h)". */
    static String human(double seconds) {
        if (seconds < 3600) return String.format(Locale.ROOT, "%.0f min", Math.max(1, seconds / 60));
        if (seconds < 48 * 3600) return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
        return String.format(Locale.ROOT, "%.1f days (%.0f h)", seconds / 86400, seconds / 3600);
    }

    /** The lines printed under the plan. */
    public String summary(ExperimentPlan plan, int parallel) {
        if (secondsPerImage.isEmpty()) return "  estimate: nothing left to run\n";
        double total = totalSeconds();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "  estimate: about %s for the %d run(s) to go", human(total), pending.size()));
        b.append(String.format(Locale.ROOT, " (timing probe of %d network(s) on this machine; other networks scaled by compute)",
                secondsPerImage.size()));
        b.append('\n');
        b.append("            would finish around ").append(LocalDateTime.now().plusSeconds((long) total)
                .format(DateTimeFormatter.ofPattern("EEE d MMM HH:mm", Locale.ROOT)));
        if (parallel > 1) b.append("; ").append(parallel).append(" runs at a time share the cores, so expect roughly the same total");
        b.append('\n');
        return b.toString();
    }
}
