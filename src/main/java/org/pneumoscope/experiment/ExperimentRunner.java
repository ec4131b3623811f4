package org.pneumoscope.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.Progress;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.Sample;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.pneumoscope.pipeline.FoldPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an experiment's cell × fold trainings into one output folder and keeps its tables current.
 *
 * <p>Resumable: a run whose {@code result.json} exists is finished and skipped (its files are never
 * rewritten); a run with a checkpoint continues from its last epoch; a run that finished training but not its
 * evaluation is only evaluated. The output folder's {@code split.csv} pins the data partition and each cell's
 * {@code cell.yaml} its config: a rerun that would change either is refused rather than mixing results.
 *
 * <p>Parallel: with {@code parallel} N &gt; 1 each run is a child JVM ({@code pneumoscope experiment unit}) limited to
 * cores/N threads (PyTorch intra-op threads, {@code OMP_NUM_THREADS} and the JVM's processor count), so N runs never
 * oversubscribe the cores. With N = 1 runs happen in this process, sharing one decoded-image cache. With a
 * {@link UnitDispatcher} (Spark) the pending runs go to it instead; the folder is prepared and the tables written here.
 */
public final class ExperimentRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ExperimentRunner.class);

    private ExperimentRunner() {}

    /**
     * @param limit   run at most this many cell × fold trainings now (0 = all), e.g. to split a long experiment
     *                over several sessions
     * @param gallery Grad-CAM gallery in each run's report
     * @param probe   time a few training steps first and print the estimate
     */
    public record Options(Path out, int parallel, int limit, boolean gallery, boolean allowDownload, boolean probe, PrintStream log,
                          UnitDispatcher dispatcher) {
        /** Units in this process (parallel 1) or as child processes. */
        public Options(Path out, int parallel, int limit, boolean gallery, boolean allowDownload, boolean probe, PrintStream log) {
            this(out, parallel, limit, gallery, allowDownload, probe, log, null);
        }
    }

    /** What one invocation did. */
    public record Outcome(int finishedBefore, List<UnitResult> ran, List<String> failures, int remaining, Path index) {}

    public static Outcome run(ExperimentPlan plan, Options o) throws IOException {
        PrintStream log = o.log() == null ? System.out : o.log();
        Path out = o.out();
        Files.createDirectories(out);
        try (FileChannel ch = FileChannel.open(out.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = tryLock(ch, out)) {
            AtomicFiles.removeStale(out); // left by a run killed mid-write; we hold the lock, so nobody is writing
            prepare(plan, out);
            List<ExperimentPlan.Unit> pending = pending(plan, out);
            int total = plan.units().size(), before = total - pending.size();
            ImageCache cache = new ImageCache(null, Runtime.getRuntime().maxMemory() / 3);
            TimeEstimate est = o.probe() && !pending.isEmpty() ? TimeEstimate.probe(plan, pending, cache, o.allowDownload(), log) : null;
            log.print(plan.describe(est, o.dispatcher() != null ? o.dispatcher().slots() : o.parallel()));
            if (before > 0) log.printf(Locale.ROOT, "%d of %d runs already finished in %s: skipped%n", before, total, out);
            List<ExperimentPlan.Unit> todo = o.limit() > 0 && o.limit() < pending.size() ? pending.subList(0, o.limit()) : pending;
            List<UnitResult> ran = Collections.synchronizedList(new ArrayList<>());
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            if (o.dispatcher() != null) {
                failures.addAll(o.dispatcher().run(plan, todo, o, log));
                for (ExperimentPlan.Unit u : todo) {
                    Path rf = ExperimentPlan.resultFile(out, u.cell().name(), u.fold());
                    if (!Files.isRegularFile(rf)) continue;
                    UnitResult r = UnitResult.read(rf);
                    ran.add(r);
                    log.println("  " + line(r, plan.spec().holdout()));
                }
            } else if (o.parallel() <= 1) {
                int i = 0;
                for (ExperimentPlan.Unit u : todo) {
                    i++;
                    log.printf(Locale.ROOT, "%n[%d/%d] cell %s, fold %d of %d (%s)%n", before + i, total, u.cell().name(), u.fold() + 1,
                            plan.folds().folds(), u.cell().settingsText());
                    try {
                        UnitResult r = runUnit(plan, u.cell(), u.fold(), out, cache, o.gallery(), o.allowDownload(), log);
                        ran.add(r);
                        log.println("  " + line(r, plan.spec().holdout()));
                    } catch (Exception e) {
                        failures.add(fail(out, u, e, log));
                    }
                    ResultTables.write(plan, out, Set.of(u.cell().name()));
                }
            } else {
                runChildren(plan, todo, o, before, total, ran, failures, log);
            }
            ResultTables.write(plan, out, Set.of());
            int remaining = pending(plan, out).size();
            log.println();
            log.print(summaryText(plan, out));
            if (!failures.isEmpty()) {
                log.printf(Locale.ROOT, "%d run(s) failed (rerun the same command to retry them):%n", failures.size());
                failures.forEach(f -> log.println("  " + f));
            }
            if (remaining > 0 && failures.isEmpty())
                log.printf(Locale.ROOT, "%d run(s) still to do: rerun the same command to continue%n", remaining);
            log.println("results: " + out.resolve("results.csv"));
            log.println("summary: " + out.resolve("summary.md"));
            log.println("index:   " + out.resolve("index.html"));
            return new Outcome(before, List.copyOf(ran), List.copyOf(failures), remaining, out.resolve("index.html"));
        }
    }

    private static FileLock tryLock(FileChannel ch, Path out) throws IOException {
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) throw new UserException("another experiment is running in " + out + " (it holds " + out.resolve(".lock") + ")");
        return l;
    }

    /** Pins the partition and each cell's config in the output folder, refusing a rerun that would change them. */
    static void prepare(ExperimentPlan plan, Path out) throws IOException {
        Path split = out.resolve("split.csv");
        if (Files.isRegularFile(split)) {
            String diff = FoldPlan.read(split).difference(plan.folds());
            if (diff != null)
                throw new UserException(out + " holds an experiment on another partition of the data (" + diff + "); use a new --out, "
                        + "or the same --data, --folds, --test-fraction, holdout and --seed as before");
        } else {
            plan.folds().write(split);
        }
        for (Cell c : plan.cells()) {
            Path cy = ExperimentPlan.cellDir(out, c.name()).resolve("cell.yaml");
            if (Files.isRegularFile(cy)) {
                TrainConfig stored = TrainConfig.fromMap(TrainConfig.readYaml(cy));
                if (!stored.equals(c.config()))
                    throw new UserException("cell " + c.name() + " in " + out + " was run with another config (" + changes(stored, c.config())
                            + "); use a new --out, or delete " + ExperimentPlan.cellDir(out, c.name()) + " to run that cell again");
            } else {
                AtomicFiles.writeString(cy, c.config().toYaml());
            }
        }
        plan.writeJson(out.resolve("plan.json"));
    }

    static String changes(TrainConfig a, TrainConfig b) {
        List<String> d = new ArrayList<>();
        Map<String, Object> ma = a.toMap(), mb = b.toMap();
        for (String k : ma.keySet())
            if (!java.util.Objects.equals(ma.get(k), mb.get(k)))
                d.add(k + " " + ExperimentSpec.format(ma.get(k)) + " → " + ExperimentSpec.format(mb.get(k)));
        return String.join(", ", d);
    }

    public static List<ExperimentPlan.Unit> pending(ExperimentPlan plan, Path out) {
        List<ExperimentPlan.Unit> p = new ArrayList<>();
        for (ExperimentPlan.Unit u : plan.units())
            if (!Files.isRegularFile(ExperimentPlan.resultFile(out, u.cell().name(), u.fold()))) p.add(u);
        return p;
    }

    // ------------------------------------------------------------------ one cell × fold

    /**
     * Trains (or resumes) one cell on one fold (0-based), scores it once on the test split and takes its validation
     * figures (what ranks the cells) from the model card; writes {@code result.json} last. A finished run is
     * returned as stored, untouched.
     */
    public static UnitResult runUnit(ExperimentPlan plan, Cell cell, int fold, Path out, ImageCache cache, boolean gallery,
                                     boolean allowDownload, PrintStream log) throws IOException {
        Path dir = ExperimentPlan.unitDir(out, cell.name(), fold);
        Path resultFile = dir.resolve("result.json");
        if (Files.isRegularFile(resultFile)) return UnitResult.read(resultFile);
        long t0 = System.nanoTime();
        List<Sample> samples = plan.folds().forFold(fold);
        RunFolder run = new RunFolder(dir);
        double earlierTraining = 0;
        if (!run.complete()) {
            boolean resume = Files.isRegularFile(run.config());
            if (resume) earlierTraining = lastElapsed(run);
            TrainJob.runOnSplit(dir, cell.config(), samples, resume, allowDownload, cache, log);
        } else {
            earlierTraining = lastElapsed(run);
        }
        List<Sample> test = TrainJob.inSplit(samples, "test");
        Path testDir = run.testDir();
        Files.createDirectories(testDir);
        EvaluationResult r;
        try (TrainedModel m = TrainedModel.load(dir);
             PrintStream evalLog = new PrintStream(Files.newOutputStream(testDir.resolve("evaluate.log")), true, StandardCharsets.UTF_8)) {
            EvaluateJob.Options eo = EvaluateJob.Options.forSamples("test", m.config().tta(), gallery, test, plan.data(), 42);
            r = EvaluateJob.run(m, test, testDir, eo, evalLog).result();
        }
        JsonNode card = RunFolder.JSON.readTree(run.modelJson().toFile());
        double[] recall = new double[Label.COUNT];
        for (Label l : Label.values()) recall[l.index()] = r.perClass(l.id()).recall();
        Map<String, String> settings = new LinkedHashMap<>();
        cell.settings().forEach((k, v) -> settings.put(k, ExperimentSpec.format(v)));
        double wall = earlierTraining + (System.nanoTime() - t0) / 1e9;
        UnitResult u = new UnitResult(cell.name(), fold + 1, settings, r.accuracy(), r.macroF1(), recall, r.macroAuc(), r.ece(),
                card.path("best_epoch").asInt(-1), card.path("epochs_run").asInt(0), wall, r.n(),
                card.hasNonNull("stop_reason") ? card.get("stop_reason").asText() : null,
                num(card.path("validation").path("accuracy")), num(card.path("validation").path("macro_f1")),
                card.path("validation").path("n").asInt(0));
        Files.deleteIfExists(dir.resolve("error.txt")); // from an earlier failed attempt
        u.write(resultFile); // last: marks the run finished
        return u;
    }

    private static double num(JsonNode n) { return n.isNumber() ? n.asDouble() : Double.NaN; }

    /** Training seconds of earlier sessions (the last epoch's elapsed time in metrics.json), 0 if none. */
    private static double lastElapsed(RunFolder run) {
        try {
            if (!Files.isRegularFile(run.metricsJson())) return 0;
            JsonNode ep = RunFolder.JSON.readTree(run.metricsJson().toFile()).path("epochs");
            return ep.size() == 0 ? 0 : ep.get(ep.size() - 1).path("elapsed_s").asDouble(0);
        } catch (IOException e) {
            return 0;
        }
    }

    /** One finished run, by its validation figures: its test figures wait for the choice of a cell. */
    static String line(UnitResult r, SplitStrategy holdout) {
        return String.format(Locale.ROOT, "%s fold %d: validation accuracy %.3f, macro-F1 %.3f (best epoch %d of %d, %s); "
                        + "%s scored, shown for the chosen cell only", r.cell(), r.fold(), r.valAccuracy(), r.valMacroF1(),
                r.bestEpoch(), r.epochsRun(), Progress.clock(r.wallSeconds()), ResultTables.testShort(holdout));
    }

    private static String fail(Path out, ExperimentPlan.Unit u, Exception e, PrintStream log) {
        Path dir = ExperimentPlan.unitDir(out, u.cell().name(), u.fold());
        StringWriter sw = new StringWriter();
        e.printStackTrace(new PrintWriter(sw));
        try {
            AtomicFiles.writeString(dir.resolve("error.txt"), sw.toString());
        } catch (IOException ignored) {
            // the message below still says what happened
        }
        String msg = u.label() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse(""))
                + " (details: " + dir.resolve("error.txt") + ")";
        log.println("  FAILED " + msg);
        return msg;
    }

    // ------------------------------------------------------------------ child processes

    /** Threads a run should have at least before splitting the cores pays (PyTorch scales well to about this many). */
    static final int THREADS_PER_RUN = 8;

    /**
     * Runs at a time when the user does not say: one per {@value #THREADS_PER_RUN} cores (so 1 on small machines),
     * and 1 with a GPU, which the runs would otherwise share.
     */
    public static int defaultParallel() {
        try {
            if (ai.djl.engine.Engine.getInstance().getGpuCount() > 0) return 1;
        } catch (RuntimeException e) {
            return 1;
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors() / THREADS_PER_RUN);
    }

    private static void runChildren(ExperimentPlan plan, List<ExperimentPlan.Unit> todo, Options o, int before, int total,
                                    List<UnitResult> ran, List<String> failures, PrintStream log) {
        int cores = Runtime.getRuntime().availableProcessors();
        int n = Math.min(o.parallel(), cores);
        if (n < o.parallel()) log.printf(Locale.ROOT, "--parallel %d is more than the %d cores: running %d at a time%n", o.parallel(), cores, n);
        int threads = Math.max(1, cores / n);
        ChildLimits limits = new ChildLimits(threads, Math.max(1024, Runtime.getRuntime().maxMemory() / n >> 20), o.gallery(),
                o.allowDownload(), ProcessHandle.current().pid());
        log.printf(Locale.ROOT, "running %d runs at a time as child processes, %d thread(s) each; their output goes to each run's experiment.log%n",
                n, threads);
        List<Process> live = Collections.synchronizedList(new ArrayList<>());
        Thread hook = new Thread(() -> { synchronized (live) { live.forEach(Process::destroy); } }, "experiment-children");
        Runtime.getRuntime().addShutdownHook(hook);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger(before);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (ExperimentPlan.Unit u : todo) {
                fs.add(pool.submit(() -> {
                    int k = started.incrementAndGet();
                    Path dir = ExperimentPlan.unitDir(o.out(), u.cell().name(), u.fold());
                    Path childLog = dir.resolve("experiment.log");
                    try {
                        log.printf(Locale.ROOT, "[%d/%d] started  %s (log: %s)%n", k, total, u.label(), childLog);
                        int rc = runChild(o.out(), u.cell().name(), u.fold(), limits, live);
                        Path rf = dir.resolve("result.json");
                        if (rc == 0 && Files.isRegularFile(rf)) {
                            UnitResult r = UnitResult.read(rf);
                            ran.add(r);
                            log.println("[done]     " + line(r, plan.spec().holdout()));
                        } else {
                            String msg = u.label() + ": child process exited with code " + rc + " (see " + childLog + ")";
                            failures.add(msg);
                            log.println("  FAILED " + msg);
                        }
                        ResultTables.write(plan, o.out(), Set.of(u.cell().name()));
                    } catch (Exception e) {
                        failures.add(fail(o.out(), u, e, log));
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(String.valueOf(e.getCause()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserException("interrupted");
        } finally {
            pool.shutdownNow();
            try { pool.awaitTermination(10, TimeUnit.SECONDS); } catch (InterruptedException ignored) { Thread.currentThread().interrupt(); }
            try { Runtime.getRuntime().removeShutdownHook(hook); } catch (IllegalStateException ignored) { /* shutting down */ }
        }
    }

    /** System properties a child needs to find the same engine, cache and installation. */
    static final List<String> INHERITED_PROPERTIES = List.of("ai.djl.offline", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR", "PYTORCH_FLAVOR",
            "ai.djl.default_engine", "pneumoscope.home", "java.awt.headless");

    /**
     * What a child process that runs one unit gets: its threads (PyTorch intra-op threads, OpenMP's and the JVM's
     * processor count, so that its loader and decode pools size themselves to them too) and heap, and the process it
     * must not outlive.
     */
    public record ChildLimits(int threads, long heapMb, boolean gallery, boolean allowDownload, long parentPid)
            implements java.io.Serializable {}

    /**
     * Runs one unit (cell, 0-based fold) of the prepared experiment folder {@code out} as a child JVM
     * ({@code pneumoscope experiment unit}), its output appended to the unit's {@code experiment.log}; returns the
     * child's exit code (0 with a {@code result.json}: finished). Interrupted, it stops the child. {@code live}, if
     * not null, holds the child while it runs (for a shutdown hook).
     */
    public static int runChild(Path out, String cell, int fold, ChildLimits limits, List<Process> live)
            throws IOException, InterruptedException {
        Path dir = ExperimentPlan.unitDir(out, cell, fold);
        Files.createDirectories(dir);
        ProcessBuilder pb = new ProcessBuilder(childCommand(out, cell, fold, limits))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("experiment.log").toFile()));
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(limits.threads()));
        pb.environment().put("MKL_NUM_THREADS", Integer.toString(limits.threads()));
        Process p = pb.start();
        if (live != null) live.add(p);
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            throw e;
        } finally {
            if (live != null) live.remove(p);
        }
    }

    static List<String> childCommand(Path out, String cell, int fold, ChildLimits l) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("-Xmx" + l.heapMb() + "m");
        cmd.add("-XX:ActiveProcessorCount=" + l.threads());       // loader and decode pools size themselves from this
        cmd.add("-Dai.djl.pytorch.num_threads=" + l.threads());    // PyTorch intra-op threads
        cmd.add("-Dai.djl.pytorch.num_interop_threads=1");
        for (String p : INHERITED_PROPERTIES) {
            String v = System.getProperty(p);
            if (v != null) cmd.add("-D" + p + "=" + v);
        }
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add("org.pneumoscope.cli.Main");
        cmd.add("experiment");
        cmd.add("unit");
        cmd.add("--out");
        cmd.add(out.toAbsolutePath().toString());
        cmd.add("--cell");
        cmd.add(cell);
        cmd.add("--fold");
        cmd.add(Integer.toString(fold + 1));
        cmd.add("--parent-pid");
        cmd.add(Long.toString(l.parentPid()));
        if (!l.gallery()) cmd.add("--no-gallery");
        if (l.allowDownload()) cmd.add("--allow-download");
        return cmd;
    }

    /**
     * This JVM's class path, led by the jar or folder this class came from when that is not on it: a Spark executor
     * loads the job jar through a class loader of its own, so its {@code java.class.path} alone lacks the program.
     */
    static String classPath() {
        String cp = System.getProperty("java.class.path");
        try {
            var src = ExperimentRunner.class.getProtectionDomain().getCodeSource();
            if (src == null) return cp;
            String own = Path.of(src.getLocation().toURI()).toString();
            if (List.of(cp.split(java.io.File.pathSeparator)).contains(own)) return cp;
            return cp.isEmpty() ? own : own + java.io.File.pathSeparator + cp;
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return cp;
        }
    }

    /** Stops this (child) process when the experiment that started it is gone, so no orphan trains on. */
    public static void exitWithParent(long parentPid) {
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    return;
                }
                if (ProcessHandle.of(parentPid).map(ProcessHandle::isAlive).orElse(false)) continue;
                LOG.warn("the experiment process {} is gone; stopping (the last epoch checkpoint is kept)", parentPid);
                Runtime.getRuntime().halt(3);
            }
        }, "parent-watch");
        t.setDaemon(true);
        t.start();
    }

    // ------------------------------------------------------------------ console summary

    /**
     * The console table: validation figures (which rank the cells) and the test split's, under headings that say
     * which is which.
     */
    static String summaryText(ExperimentPlan plan, Path out) throws IOException {
        Map<Cell, List<UnitResult>> all = ResultTables.collect(plan, out);
        Map<Cell, Integer> rank = ResultTables.ranks(all);
        int w = 4;
        for (Cell c : all.keySet()) w = Math.max(w, c.name().length());
        String row = "%-" + w + "s  %5s  %4s  %-16s %-16s  %-16s %-16s %-14s%n";
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-" + (w + 15) + "s%-35s%s%n", "",
                ResultTables.RANK_HEADING, ResultTables.testHeading(plan.spec().holdout())));
        b.append(String.format(Locale.ROOT, row, "cell", "folds", "rank", "accuracy", "macro-F1", "accuracy", "macro-F1", "macro AUC"));
        Cell best = ResultTables.best(all);
        for (Map.Entry<Cell, List<UnitResult>> e : all.entrySet()) {
            List<UnitResult> rs = e.getValue();
            Integer r = rank.get(e.getKey());
            boolean chosen = e.getKey().equals(best);
            b.append(String.format(Locale.ROOT, row, e.getKey().name(), rs.size(), r == null ? "—" : r.toString(),
                    text(ResultTables.VALIDATION.get(0), rs), text(ResultTables.VALIDATION.get(1), rs),
                    ResultTables.testText(ResultTables.METRICS.get(0), rs, chosen),
                    ResultTables.testText(ResultTables.METRICS.get(1), rs, chosen),
                    ResultTables.testText(ResultTables.METRICS.get(5), rs, chosen)));
        }
        if (best != null) b.append(ResultTables.bestLine(best, all.get(best), plan.spec().holdout()).replace("**", "")).append('\n');
        return b.toString();
    }

    private static String text(ResultTables.Metric m, List<UnitResult> rs) {
        return rs.isEmpty() ? "—" : ResultTables.cellText(m, rs);
    }
}
