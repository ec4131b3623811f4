package org.pneumoscope.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.pneumoscope.augment.Transform;
import org.pneumoscope.core.DjlSetup;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.ProcessMemory;
import org.pneumoscope.core.Progress;
import org.pneumoscope.data.Sample;
import org.pneumoscope.model.PretrainedWeights;
import org.pneumoscope.model.StyleMixing;
import org.pneumoscope.model.XrayNet;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The training loop: one sub-NDManager per batch (native memory stays flat), our own Adam state
 * (so resume is exact), a checkpoint after every epoch written atomically, best weights by the
 * configured validation criterion.
 */
public final class Trainer {
    /**
     * Where {@code mixstyle} mixes: after the first three stages, as MixStyle's authors place it in a ResNet. The last
     * stage's statistics are what the head reads as the class, so they are left alone.
     */
    static final List<String> MIXING_STAGES = List.of("layer1", "layer2", "layer3");

    private Trainer() {}

    /**
     * What to train on and where. {@code augment} may be null (no augmentation). {@code earlyImages} gives the images at
     * the config's {@code early_size} (progressive resizing; null when it is off).
     */
    public record Request(TrainConfig config, RunFolder run, List<Sample> train, List<Sample> val,
                         ImageSource images, Transform augment, boolean resume, boolean allowDownload, PrintStream log,
                         ImageSource earlyImages) {
        public Request {
            if (config.earlySize() > 0 && earlyImages == null)
                throw new IllegalArgumentException("early_size " + config.earlySize() + " needs images at that size");
        }

        public Request(TrainConfig config, RunFolder run, List<Sample> train, List<Sample> val, ImageSource images,
                       Transform augment, boolean resume, boolean allowDownload, PrintStream log) {
            this(config, run, train, val, images, augment, resume, allowDownload, log, null);
        }
    }

    /** {@code provenance}: the software and the fingerprints of the config and the training images. */
    public record Result(List<EpochStats> history, int bestEpoch, double seconds, boolean stoppedEarly,
                         String stopReason, Provenance provenance) {}

    public static Result train(Request req) throws IOException {
        DjlSetup.configure();
        TrainConfig cfg = req.config();
        PrintStream log = req.log() == null ? System.err : req.log();
        if (req.train().isEmpty()) throw new org.pneumoscope.core.UserException("no training images");
        Engine.getInstance().setRandomSeed((int) cfg.seed());
        PretrainedWeights.Result made = Models.create(cfg, req.allowDownload(), log);
        try (NDManager root = NDManager.newBaseManager();
             XrayNet net = made.net();
             Optimizer opt = new Optimizer(root, cfg.optimizer(), cfg.weightDecay());
             Ema ema = cfg.ema() > 0 ? new Ema(root, net.block().getParameters(), cfg.ema()) : null) {
            Loop loop = new Loop(req, log, root, net, opt, ema);
            if (req.resume() && Files.exists(req.run().lastCheckpoint())) loop.resume(); // the checkpoint holds the statistics
            else if (made.needsBatchNormRecalibration()) recalibrate(net, req, log);
            loop.describe();
            return loop.run();
        }
    }

    /** Gives weights that came without BatchNorm statistics the training films' own, before the first step. */
    private static void recalibrate(XrayNet net, Request req, PrintStream log) {
        TrainConfig cfg = req.config();
        int batches = Models.recalibrateBatchNorm(net, req.train(), req.images(), cfg.input(), cfg.batch());
        log.printf(Locale.ROOT, "weights: BatchNorm statistics re-estimated on %d training films (%d batches), frozen layers "
                + "included: the weights came without them%n", Math.min(req.train().size(), Models.RECALIBRATION_IMAGES), batches);
    }

    /**
     * One call of {@link #train}: the network with what trains it, and the run's progress. The progress fields are
     * exactly what a checkpoint holds, so a resumed run continues as if it had never stopped.
     */
    private static final class Loop {
        private final Request req;
        private final TrainConfig cfg;
        private final RunFolder run;
        private final PrintStream log;
        private final List<Sample> train;
        private final int C, S;
        private final int[] classCounts;
        private final float[] classWeights;
        private final NDManager root;
        private final XrayNet net;
        private final Block block;
        private final PairList<String, Parameter> params;
        private final ParameterStore ps;
        private final Optimizer opt;
        private final Ema ema;
        private final LrSchedule schedule;
        private final TrainStep step;
        private final StyleMixing mixing;
        private final int threads;
        private ExecutorService pool;

        private final List<EpochStats> history = new ArrayList<>();
        private final Provenance provenance;
        private int startEpoch;
        private double best = Double.NaN;
        private int bestEpoch = -1, sinceBest;
        /** Training seconds before this process (a resumed run's earlier processes). */
        private double prevSeconds;
        /** When this process started training. */
        private long t0;
        /** Progressive resizing: the previous epoch's phase (null: none yet in this process). */
        private Boolean lastEarly;
        /** Training films shown more often from {@code upweight_epoch} on (null: not yet found, or upweighting off). */
        private int[] upweighted;

        Loop(Request req, PrintStream log, NDManager root, XrayNet net, Optimizer opt, Ema ema) {
            this.req = req;
            this.cfg = req.config();
            this.run = req.run();
            this.log = log;
            this.train = req.train();
            this.provenance = Provenance.of(cfg, train);
            this.C = cfg.channels();
            this.S = cfg.size();
            this.classCounts = counts(train);
            this.classWeights = classWeights(cfg, classCounts);
            this.root = root;
            this.net = net;
            this.block = net.block();
            this.params = block.getParameters();
            this.ps = new ParameterStore(root, false);
            this.opt = opt;
            this.ema = ema;
            this.schedule = new LrSchedule(cfg, (epochLength(cfg, classCounts) + cfg.batch() - 1) / cfg.batch());
            List<Parameter> l2 = cfg.l2() > 0 ? net.l2Parameters() : List.of();
            this.step = new TrainStep(block, ps, l2, cfg.l2(), opt, ema, C, S);
            this.mixing = styleMixing(cfg, net);
            this.threads = cfg.loaderThreads() > 0 ? cfg.loaderThreads() : Math.max(1, Runtime.getRuntime().availableProcessors());
        }

        /** The style mixing the config asks for, or null; refused for a network without the stages it follows. */
        private static StyleMixing styleMixing(TrainConfig cfg, XrayNet net) {
            if (cfg.mixstyle() == 0) return null;
            if (!net.stages().containsAll(MIXING_STAGES))
                throw new org.pneumoscope.core.UserException("config: mixstyle mixes feature statistics after "
                        + String.join(", ", MIXING_STAGES) + ", which a " + net.spec().arch().id() + " network does not have; "
                        + "set mixstyle: 0", 2);
            return new StyleMixing(cfg.mixstyle(), cfg.seed());
        }

        void resume() throws IOException {
            Checkpoint.State st = Checkpoint.load(run.lastCheckpoint(), net, opt, ema, schedule);
            startEpoch = st.epochsDone();
            history.addAll(st.history());
            best = st.best();
            bestEpoch = st.bestEpoch();
            sinceBest = st.sinceBest();
            prevSeconds = st.seconds();
            log.printf(Locale.ROOT, "resuming %s after epoch %d%n", run.dir(), startEpoch);
            if (cfg.upweight() != TrainConfig.Upweight.NONE && startEpoch >= cfg.upweightEpoch()) resumeUpweighted();
        }

        /** The films a run upweighted before it stopped, read back; found again only from the epoch that found them. */
        private void resumeUpweighted() throws IOException {
            Path file = run.dir().resolve(Upweighting.FILE);
            if (Files.isRegularFile(file)) {
                upweighted = Upweighting.read(file, train);
                log.printf(Locale.ROOT, "upweight: %d films read back from %s%n", upweighted.length, file);
            } else if (startEpoch == cfg.upweightEpoch()) {
                findUpweighted(); // stopped between the checkpoint and the list: that checkpoint's weights find the same films
            } else {
                throw new org.pneumoscope.core.UserException(file + " is missing: the run upweighted films after epoch "
                        + cfg.upweightEpoch() + " and has trained on since, so they cannot be found again; train anew", 1);
            }
        }

        void describe() {
            log.printf(Locale.ROOT, "model %s@%d width %.2f head %s: %,d parameters, %,d trainable; %d train / %d val images%n",
                    cfg.model(), S, cfg.width(), cfg.head(), net.parameterCount(), net.trainableParameterCount(),
                    train.size(), req.val().size());
            if (cfg.upweight() != TrainConfig.Upweight.NONE && cfg.upweightEpoch() >= cfg.epochs())
                log.printf(Locale.ROOT, "note: upweight_epoch %d is not before the last of %d epochs, so no film is upweighted%n",
                        cfg.upweightEpoch(), cfg.epochs());
        }

        Result run() throws IOException {
            if (mixing != null) net.mixStylesAfter(mixing, MIXING_STAGES); // after any BatchNorm re-estimation, never in it
            pool = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "loader");
                t.setDaemon(true);
                return t;
            });
            t0 = System.nanoTime();
            String stopReason = null;
            try {
                for (int epoch = startEpoch; epoch < schedule.plannedEpochs(); epoch++) {
                    stopReason = epoch(epoch);
                    if (stopReason != null) break;
                }
            } finally {
                pool.shutdownNow();
            }
            if (stopReason != null) log.println(stopReason);
            log.println("peak RSS after training: " + ProcessMemory.mb(ProcessMemory.peakRssMb())
                    + " (this process's high-water mark, Java heap + native)");
            double seconds = history.isEmpty() ? 0 : history.get(history.size() - 1).seconds();
            return new Result(history, bestEpoch, seconds, stopReason != null, stopReason, provenance);
        }

        /** Trains, validates and checkpoints one epoch; returns why training stops after it, or null. */
        private String epoch(int epoch) throws IOException {
            // dropout draws come from torch's RNG: re-seed per epoch so a resumed run matches
            Engine.getInstance().setRandomSeed((int) BatchLoader.mix(cfg.seed(), epoch, -1));
            long e0 = System.nanoTime();
            EpochPlan plan = epochOrder(cfg, train, classCounts, epoch, upweighted);
            // progressive resizing: early epochs see smaller images (cheaper), the rest the model's size
            boolean early = cfg.earlyEpoch(epoch, prevSeconds + (e0 - t0) / 1e9);
            if (cfg.earlySize() > 0 && !early && (lastEarly == null || lastEarly))
                log.printf(Locale.ROOT, "progressive resizing: epoch %d on trains at %d px (before: %d px)%n", epoch + 1, S, cfg.earlySize());
            lastEarly = early;
            Pass pass = trainPass(epoch, plan, early ? req.earlyImages() : req.images(), early ? cfg.earlySize() : S);
            double trainSecs = (System.nanoTime() - e0) / 1e9;
            Scoring.Scores val = withEmaWeights(() -> Scoring.score(block, ps, root, req.val(), req.images(), cfg, false));
            boolean cut = schedule.epochEnd(val.accuracy());
            double elapsed = prevSeconds + (System.nanoTime() - t0) / 1e9;
            EpochStats es = new EpochStats(epoch + 1, pass.lossSum() / Math.max(1, pass.seen()),
                    pass.correct() / (double) Math.max(1, pass.seen()), val.loss(), val.accuracy(), val.recall(), pass.lr(),
                    pass.seen() / trainSecs, elapsed);
            history.add(es);
            boolean improved = keepIfBest(es, val);
            log.printf(Locale.ROOT, "epoch %d/%d train loss %.4f acc %.4f | val loss %.4f acc %.4f recall %s | lr %.3g | %.1f img/s | %s%s%s%n",
                    es.epoch(), schedule.plannedEpochs(), es.trainLoss(), es.trainAcc(), es.valLoss(), es.valAcc(),
                    fmt(es.valRecall()), es.lr(), es.imgPerSec(), Progress.clock(elapsed),
                    improved ? " *best" : "", cut ? " (lr cut)" : "");
            if (cfg.maxMinutes() > 0) replanToBudget(epoch, elapsed);
            run.writeHistory(history, provenance);
            Checkpoint.save(run.lastCheckpoint(), net, opt, ema, schedule,
                    new Checkpoint.State(epoch + 1, history, best, bestEpoch, sinceBest, elapsed));
            String stop = stopReason(epoch, elapsed);
            boolean more = stop == null && epoch + 1 < schedule.plannedEpochs();
            if (more && cfg.upweight() != TrainConfig.Upweight.NONE && epoch + 1 == cfg.upweightEpoch()) findUpweighted();
            return stop;
        }

        /**
         * Scores the training films as they are (no augmentation, the validated weights) and keeps those the config's
         * {@code upweight} selects, in the run folder too.
         */
        private void findUpweighted() throws IOException {
            Scoring.Scores sc = withEmaWeights(() -> Scoring.score(block, ps, root, train, req.images(), cfg, false));
            int[] labels = sc.labels();
            upweighted = Upweighting.find(sc.logits(), labels, cfg.upweight());
            Upweighting.write(run.dir().resolve(Upweighting.FILE), train, upweighted, sc.logits());
            int normal = Label.NORMAL.index(), normalsOut = 0;
            for (int i : upweighted) if (labels[i] == normal) normalsOut++;
            log.printf(Locale.ROOT, "upweight %s: after epoch %d, %d of %,d training films (%d of them normals) are shown up to "
                    + "%d times per epoch from here (at most half their class's views); listed in %s%n", cfg.upweight(),
                    cfg.upweightEpoch(), upweighted.length, train.size(), normalsOut, cfg.upweightFactor(), Upweighting.FILE);
        }

        /** Sums over one pass through an epoch's views, and the learning rate of its last step. */
        private record Pass(double lossSum, int seen, int correct, double lr) {}

        private Pass trainPass(int epoch, EpochPlan plan, ImageSource source, int side) throws IOException {
            int[] order = plan.order();
            double lossSum = 0;
            int seen = 0, correct = 0;
            double lr = schedule.lr(opt.step());
            Progress bar = new Progress(System.console() != null ? System.err : log, System.console() != null,
                    String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, schedule.plannedEpochs()), order.length);
            try (BatchLoader loader = new BatchLoader(train, order, plan.augment(), source, req.augment(), cfg.input().withSize(side),
                    cfg.batch(), cfg.seed(), epoch, pool, threads + 2)) {
                Random mixRng = new Random(BatchLoader.mix(cfg.seed(), epoch, -2));
                if (mixing != null) mixing.reseed(BatchLoader.mix(cfg.seed(), epoch, -3));
                while (loader.hasNext()) {
                    BatchLoader.Batch b = loader.next();
                    if (b.n() < 2 && seen > 0) continue; // a batch of one breaks batch norm
                    lr = schedule.lr(opt.step());
                    TrainStep.Out so = trainOn(b, mixRng, lr, side);
                    lossSum += so.loss() * b.n();
                    correct += so.correct();
                    seen += b.n();
                    bar.update(seen, seen, String.format(Locale.ROOT, "loss %.4f acc %.3f lr %.2g",
                            lossSum / seen, correct / (double) seen, lr));
                }
            }
            return new Pass(lossSum, seen, correct, lr);
        }

        private TrainStep.Out trainOn(BatchLoader.Batch b, Random mixRng, double lr, int side) {
            float[] target = Losses.targets(b.labels(), cfg.labelSmoothing());
            float[] data = b.data();
            int[] hard = b.labels();
            if (cfg.mixup() > 0) {
                Losses.Mixed m = Losses.mixup(data, target, b.n(), cfg.mixup(), mixRng);
                data = m.data();
                target = m.targets();
                hard = m.dominant();
            }
            return step.run(root, data, target, sampleWeights(hard, classWeights), hard, b.n(), lr, side);
        }

        /**
         * Whether the epoch is the best yet by the configured criterion (train loss when there is no validation
         * split); if so its weights are kept, the averaged ones with an EMA since those are what was validated.
         */
        private boolean keepIfBest(EpochStats es, Scoring.Scores val) throws IOException {
            double crit = cfg.select() == TrainConfig.Select.VAL_ACC ? -val.accuracy() : val.loss();
            if (req.val().isEmpty()) crit = es.trainLoss();
            boolean improved = Double.isNaN(best) || crit < best - 1e-6;
            if (!improved) {
                sinceBest++;
                return false;
            }
            best = crit;
            bestEpoch = es.epoch();
            sinceBest = 0;
            withEmaWeights(() -> {
                net.save(run.bestParams());
                return null;
            });
            return true;
        }

        /**
         * Re-planned after every epoch from what epochs cost now, so minutes lost or freed by other work on the machine
         * are followed through the run (a plan fixed after epoch 3, made while a test job shared the cores, once used
         * only 18 of 29 minutes).
         */
        private void replanToBudget(int epoch, double elapsed) {
            double[] secs = history.stream().mapToDouble(EpochStats::seconds).toArray();
            int before = schedule.plannedEpochs();
            boolean nextEarly = cfg.earlyEpoch(epoch + 1, elapsed);
            double cost = nextEarly
                    ? schedule.replanProgressive(cfg.maxMinutes() * 60, secs, startEpoch, opt.step(),
                            cfg.earlyFraction() * cfg.maxMinutes() * 60, Math.pow(S / (double) cfg.earlySize(), 2))
                    : schedule.replanToBudget(cfg.maxMinutes() * 60, secs, startEpoch, opt.step());
            if (schedule.plannedEpochs() != before)
                log.printf(Locale.ROOT, "time budget: epochs now take %.0f s, so %d of at most %d epochs fit in "
                        + "max_minutes %.0f; the learning-rate schedule is re-planned from here%n", cost,
                        schedule.plannedEpochs(), cfg.epochs(), cfg.maxMinutes());
        }

        private String stopReason(int epoch, double elapsed) {
            if (cfg.earlyStopPatience() > 0 && sinceBest >= cfg.earlyStopPatience())
                return "early stopping: no val improvement for " + sinceBest + " epochs";
            if (cfg.maxMinutes() > 0 && epoch + 1 < schedule.plannedEpochs()) {
                // the latest epoch, not the mean: the slow first epoch would stop a well-planned run early
                double perEpoch = elapsed - (history.size() >= 2 && epoch > startEpoch
                        ? history.get(history.size() - 2).seconds() : prevSeconds);
                if (elapsed + perEpoch > cfg.maxMinutes() * 60)
                    return String.format(Locale.ROOT, "time budget: another epoch would pass max_minutes %.0f", cfg.maxMinutes());
            }
            return null;
        }

        /** Validation and the kept weights use the EMA's averaged weights when there is one; training its own. */
        private <T> T withEmaWeights(WeightsTask<T> task) throws IOException {
            if (ema == null) return task.run();
            ema.swap(params);
            try {
                return task.run();
            } finally {
                ema.swap(params);
            }
        }

        private interface WeightsTask<T> {
            T run() throws IOException;
        }
    }

    static String fmt(double[] r) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < r.length; i++) sb.append(i > 0 ? " " : "").append(Double.isNaN(r[i]) ? "-" : String.format(Locale.ROOT, "%.2f", r[i]));
        return sb.append(']').toString();
    }

    public static int[] counts(List<Sample> s) {
        int[] c = new int[Label.COUNT];
        for (Sample x : s) c[x.label().index()]++;
        return c;
    }

    /** Keras-style "balanced" weights n/(k·n_c) when balance=weights, else 1. */
    static float[] classWeights(TrainConfig cfg, int[] counts) {
        float[] w = {1, 1, 1};
        if (cfg.balance() != TrainConfig.Balance.WEIGHTS) return w;
        int n = 0, k = 0;
        for (int c : counts) { n += c; if (c > 0) k++; }
        for (int i = 0; i < w.length; i++) w[i] = counts[i] > 0 ? (float) n / (k * counts[i]) : 0f;
        return w;
    }

    static float[] sampleWeights(int[] labels, float[] classWeights) {
        float[] w = new float[labels.length];
        for (int i = 0; i < w.length; i++) w[i] = classWeights[labels[i]];
        return w;
    }

    /** Images shown per epoch: the (balanced) set, times 1 + augment_copies. */
    public static int epochLength(TrainConfig cfg, int[] counts) {
        int base;
        if (cfg.balance() != TrainConfig.Balance.OVERSAMPLE) base = counts[0] + counts[1] + counts[2];
        else {
            int max = 0, k = 0;
            for (int c : counts) { max = Math.max(max, c); if (c > 0) k++; }
            base = max * k;
        }
        return base * (1 + cfg.augmentCopies());
    }

    /**
     * One epoch's visiting order and, per position, whether that view is augmented ({@code augment} null:
     * every view is, when there is a transform).
     */
    public record EpochPlan(int[] order, boolean[] augment) {}

    /**
     * The epoch's visiting order: a seeded shuffle; with oversampling, each class is topped up to the
     * largest by drawing more of its own images (every image at least once), as the seed study did.
     * With {@code augment_copies} N &gt;= 1 that set is shown once as is and N more times augmented (the
     * seed study's "original + three augmented copies"), all shuffled together.
     */
    static EpochPlan epochOrder(TrainConfig cfg, List<Sample> train, int[] counts, int epoch) {
        return epochOrder(cfg, train, counts, epoch, null);
    }

    /** As above; with {@code upweighted} films (indices into {@code train}) shown more often ({@link Upweighting}). */
    static EpochPlan epochOrder(TrainConfig cfg, List<Sample> train, int[] counts, int epoch, int[] upweighted) {
        Random rng = new Random(BatchLoader.mix(cfg.seed(), epoch, -3));
        List<Integer> idx = new ArrayList<>();
        if (upweighted != null && upweighted.length > 0) {
            idx = upweightedViews(cfg, train, counts, upweighted, rng);
        } else if (cfg.balance() == TrainConfig.Balance.OVERSAMPLE) {
            int max = 0;
            for (int c : counts) max = Math.max(max, c);
            for (List<Integer> cls : byClass(train)) {
                if (cls.isEmpty()) continue;
                idx.addAll(cls);
                for (int extra = cls.size(); extra < max; extra++) idx.add(cls.get(rng.nextInt(cls.size())));
            }
        } else {
            for (int i = 0; i < train.size(); i++) idx.add(i);
        }
        int copies = cfg.augmentCopies();
        if (copies == 0) { // the original behaviour, draw for draw (keeps runs reproducible across versions)
            java.util.Collections.shuffle(idx, rng);
            return new EpochPlan(idx.stream().mapToInt(Integer::intValue).toArray(), null);
        }
        // encode (image, augmented?) in one int so a single shuffle moves both: plain views even, copies odd
        int base = idx.size();
        List<Integer> views = new ArrayList<>(base * (1 + copies));
        for (int c = 0; c <= copies; c++)
            for (int i : idx) views.add(2 * i + (c == 0 ? 0 : 1));
        java.util.Collections.shuffle(views, rng);
        int[] order = new int[views.size()];
        boolean[] aug = new boolean[views.size()];
        for (int p = 0; p < order.length; p++) {
            int v = views.get(p);
            order[p] = v >>> 1;
            aug[p] = (v & 1) == 1;
        }
        return new EpochPlan(order, aug);
    }

    /** Each class's views, as many as without upweighting, with the upweighted films among them more often. */
    private static List<Integer> upweightedViews(TrainConfig cfg, List<Sample> train, int[] counts, int[] upweighted, Random rng) {
        int max = 0;
        for (int c : counts) max = Math.max(max, c);
        java.util.Set<Integer> hard = new java.util.HashSet<>();
        for (int i : upweighted) hard.add(i);
        List<Integer> idx = new ArrayList<>();
        for (List<Integer> members : byClass(train)) {
            if (members.isEmpty()) continue;
            int quota = cfg.balance() == TrainConfig.Balance.OVERSAMPLE ? max : members.size();
            idx.addAll(Upweighting.classViews(members, hard, quota, cfg.upweightFactor(), rng));
        }
        return idx;
    }

    /** The indices of the training films of each class, in class order and, within a class, in the films' order. */
    private static List<List<Integer>> byClass(List<Sample> train) {
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < Label.COUNT; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < train.size(); i++) byClass.get(train.get(i).label().index()).add(i);
        return byClass;
    }

    /** Per-epoch figures, as written to metrics.csv / metrics.json. */
    public record EpochStats(int epoch, double trainLoss, double trainAcc, double valLoss, double valAcc,
                             double[] valRecall, double lr, double imgPerSec, double seconds) {}
}
