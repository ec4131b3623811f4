package org.pneumoscope.explain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Contrast;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.ResizeMode;
import org.pneumoscope.data.Sample;
import org.pneumoscope.model.XrayNet;
import org.pneumoscope.pipeline.PointingGame;
import org.pneumoscope.synth.PhantomGenerator;
import org.pneumoscope.train.Presets;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;
import org.pneumoscope.train.Trainer;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sanity check: after the demo's short training on phantoms, does Grad-CAM for "bacteria" point at the
 * consolidation the generator drew? Scored as {@link PointingGame} scores an evaluation (same
 * {@link PointingGame#measure}, same tolerance, layer4, explained class = bacteria) on fresh phantoms the net never
 * saw, and against the same network with random weights (Adebayo et al. 2018's model-randomisation check: a map
 * that does not change when the learnt weights are thrown away explains the image, not the model).
 *
 * <p>Measured (seed 5, 120 phantoms, 232 s on 2 cores): 99/120 called bacterial; pointing game 38.3 % hits vs 9.5 % by
 * chance and 7.5 % for one fixed map; energy 1.64x the mask's share (fixed map 1.07x); random weights 5.0 % hits,
 * 0.55x, rank correlation -0.04. The map points at the lesion far more often than chance, yet its energy stays spread
 * (a 4x4 layer4 map could reach 6.1x at best): see docs/models.md, "Does the map point at the lesion?".
 */
class PhantomCamTest {
    /** The demo preset's training-set size (its recipe, 15 epochs, is used unchanged). */
    static final int TRAIN = 1200, VAL = 60, EVAL = 120;

    /** The figures the test asserts on, also printed. */
    record Figures(int n, int called, double hitRate, double chance, double energy, double maskShare,
                   double randomHitRate, double randomEnergy, double trainedVsRandomCorrelation,
                   double fixedHitRate, double fixedEnergy, double seconds) {
        double ratio() { return energy / maskShare; }
        double randomRatio() { return randomEnergy / maskShare; }
        double fixedRatio() { return fixedEnergy / maskShare; }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "phantom Grad-CAM (layer4, %d bacterial phantoms, tolerance %d px): "
                            + "%d/%d called bacterial; pointing game %.1f %% hits vs %.1f %% by chance (%.1fx); "
                            + "%.2f %% of the map's energy inside masks covering %.2f %% of the image (%.2fx); "
                            + "same net with random weights: %.1f %% hits, %.2fx energy, map correlation with the trained net's %.2f; "
                            + "one fixed map for every image (the trained maps' mean): %.1f %% hits, %.2fx energy; %.0f s",
                    n, PointingGame.tolerance(SIZE), called, n, 100 * hitRate, 100 * chance, hitRate / chance,
                    100 * energy, 100 * maskShare, ratio(), 100 * randomHitRate, randomRatio(),
                    trainedVsRandomCorrelation, 100 * fixedHitRate, fixedRatio(), seconds);
        }
    }

    static final int SIZE = 128;

    @Test
    void gradCamPointsAtTheConsolidationOfBacterialPhantoms(@TempDir Path dir) throws Exception {
        Figures f = measure(dir);
        System.out.println(f);

        // Thresholds: well below what this seed measures, well above what a map that ignores the lesion scores
        // (chance, the fixed map, the random-weights net). Broken maps of this seed's net fail: transposed 15 % hits,
        // 0.95x; the virus class's map 17.5 %, 1.08x; the normal class's 0 %, 0.13x. Cells laid out as tiles (the
        // old half-cell shift) would still pass here (30 %, 1.74x): GradCamTest.mapCellsLandOnTheirReceptiveFields
        // pins the layout down exactly.
        // the net must have learnt the class at all, or the map would say nothing about the lesion
        assertTrue(f.called() >= 0.6 * f.n(), "bacterial phantoms called bacterial: " + f.called() + "/" + f.n());
        // the map's maximum lands on the lesion far more often than a maximum dropped at random (a one-sided binomial
        // test, and at least twice as often), or than one map that knows only where lesions tend to be (lower and
        // middle zones). The net's figures vary with the CPU's kernels (seed 5 gave 37.5 % hits on one machine and
        // 25 % on another, over 40 phantoms), so the test scores 120 phantoms and asks for significance rather than
        // a ratio near one machine's figure.
        assertTrue(binomialTail(f.n(), (int) Math.round(f.hitRate() * f.n()), f.chance()) < 1e-3, f.toString());
        assertTrue(f.hitRate() >= 2 * f.chance(), f.toString());
        assertTrue(f.hitRate() >= 2 * f.fixedHitRate(), f.toString());
        // and the map's energy is concentrated on the lesion
        assertTrue(f.ratio() >= 1.2 && f.ratio() > f.fixedRatio() + 0.2, f.toString());
        // model randomisation: the same net with random weights neither points at the lesion nor draws the same map
        assertTrue(f.randomHitRate() <= f.hitRate() / 2, f.toString());
        assertTrue(f.randomRatio() < f.ratio() - 0.1, f.toString());
        assertTrue(f.trainedVsRandomCorrelation() < 0.5, f.toString());
    }

    /** Trains the demo preset on in-memory phantoms and scores Grad-CAM on fresh bacterial phantoms. */
    static Figures measure(Path dir) throws Exception {
        long t0 = System.nanoTime();
        PhantomGenerator gen = new PhantomGenerator();
        Map<Path, GreyImage> images = new ConcurrentHashMap<>();
        IntStream.range(0, TRAIN + VAL).parallel().forEach(i -> images.put(Path.of("phantom", i + ".png"),
                gen.render(Label.of(i % Label.COUNT), SIZE, new Random(10_000L + i)).image()));
        List<Sample> train = new ArrayList<>(), val = new ArrayList<>();
        for (int i = 0; i < TRAIN + VAL; i++) {
            boolean t = i < TRAIN;
            (t ? train : val).add(new Sample(Path.of("phantom", i + ".png"), Label.of(i % Label.COUNT), "p" + i, t ? "train" : "val"));
        }
        TrainConfig cfg = Presets.resolve("demo", Map.of("seed", 5L, "size", SIZE));
        Engine.getInstance().setRandomSeed(5);
        Trainer.train(new Trainer.Request(cfg, new RunFolder(dir), train, val, s -> images.get(s.file()),
                cfg.augment().transform(), false, false, new PrintStream(OutputStream.nullOutputStream())));

        int tol = PointingGame.tolerance(SIZE);
        int n = 0, hits = 0, called = 0, randomHits = 0;
        double energy = 0, area = 0, chance = 0, randomEnergy = 0, corr = 0;
        List<CamResult> maps = new ArrayList<>();
        List<GreyImage> masks = new ArrayList<>();
        Engine.getInstance().setRandomSeed(6);
        try (XrayNet net = XrayNet.open(new RunFolder(dir).bestParams());
             XrayNet random = XrayNet.build(net.spec());
             NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < EVAL; i++) {
                PhantomGenerator.Phantom p = gen.render(Label.BACTERIA, SIZE, new Random(900_000L + i));
                if (p.lesionPixels() == 0) continue;
                try (NDManager sub = m.newSubManager()) {
                    NDArray x = sub.create(InputRecipe.of(SIZE, ResizeMode.SQUASH, Contrast.NONE, 1).tensor(p.image()), new Shape(1, 1, SIZE, SIZE));
                    CamResult c = GradCam.compute(net, sub, x, null, Label.BACTERIA.index());
                    CamResult r = GradCam.compute(random, sub, x, null, Label.BACTERIA.index());
                    double[] mc = PointingGame.measure(c, p.lesionMask(), tol), mr = PointingGame.measure(r, p.lesionMask(), tol);
                    n++;
                    if (org.pneumoscope.core.Ranks.argmax(c.probabilities()) == Label.BACTERIA.index()) called++;
                    if (mc[0] > 0) hits++;
                    if (mr[0] > 0) randomHits++;
                    energy += mc[1];
                    randomEnergy += mr[1];
                    area += mc[2];
                    chance += PointingGame.chance(p.lesionMask(), tol);
                    corr += rankCorrelation(c.map(), r.map());
                    maps.add(c);
                    masks.add(p.lesionMask());
                }
            }
        }
        // the lesion-site prior alone: one map for every image, the mean of the trained net's maps
        float[] mean = new float[SIZE * SIZE];
        for (CamResult c : maps) for (int i = 0; i < mean.length; i++) mean[i] += c.map()[i] / maps.size();
        CamResult fixed = new CamResult(GradCam.normalise(mean), SIZE, SIZE, maps.get(0).probabilities(), Label.BACTERIA.index());
        int fixedHits = 0;
        double fixedEnergy = 0;
        for (GreyImage mask : masks) {
            double[] mf = PointingGame.measure(fixed, mask, tol);
            if (mf[0] > 0) fixedHits++;
            fixedEnergy += mf[1];
        }
        return new Figures(n, called, hits / (double) n, chance / n, energy / n, area / n,
                randomHits / (double) n, randomEnergy / n, corr / n, fixedHits / (double) n, fixedEnergy / n,
                (System.nanoTime() - t0) / 1e9);
    }

    /** P(X >= k) for X ~ Binomial(n, p): how often maxima dropped at random would hit at least k lesions of n. */
    static double binomialTail(int n, int k, double p) {
        double tail = 0, term = Math.pow(1 - p, n); // P(X = 0)
        for (int i = 0; i <= n; i++) {
            if (i >= k) tail += term;
            term *= (n - i) / (double) (i + 1) * p / (1 - p);
        }
        return tail;
    }

    static double rankCorrelation(float[] a, float[] b) {
        double[] ra = ranks(a), rb = ranks(b);
        double ma = 0, mb = 0;
        for (int i = 0; i < ra.length; i++) { ma += ra[i]; mb += rb[i]; }
        ma /= ra.length;
        mb /= rb.length;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < ra.length; i++) {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
    }

    static double[] ranks(float[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (p, q) -> Float.compare(v[p], v[q]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) j++;
            double mean = (i + j) / 2.0;
            for (int k = i; k <= j; k++) r[idx[k]] = mean;
            i = j + 1;
        }
        return r;
    }
}
