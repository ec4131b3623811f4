package org.pneumoscope.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.data.Sample;
import org.pneumoscope.model.BatchNormStatistics;
import org.pneumoscope.model.ModelSpec;
import org.pneumoscope.model.OneBatchAlive;
import org.pneumoscope.model.PretrainedWeights;
import org.pneumoscope.model.XrayNet;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Builds the network a config describes, initialised, with pretrained weights and freezing applied. */
public final class Models {
    private Models() {}

    public static ModelSpec spec(TrainConfig cfg) {
        return new ModelSpec(cfg.model(), cfg.channels(), cfg.size(), cfg.head(), cfg.width(), true, cfg.norm());
    }

    public static XrayNet build(TrainConfig cfg, boolean allowDownload, PrintStream log) throws IOException {
        return create(cfg, allowDownload, log).net();
    }

    /** As {@link #build}, with what the weights need before training (BatchNorm statistics the file did not hold). */
    public static PretrainedWeights.Result create(TrainConfig cfg, boolean allowDownload, PrintStream log) throws IOException {
        PretrainedWeights.Result r = PretrainedWeights.resolve(cfg.weights(), allowDownload).createNet(spec(cfg));
        XrayNet net = r.net();
        try {
            if (log != null && cfg.weights() != null) r.notes().forEach(n -> log.println("weights: " + n));
            net.freezeThrough(cfg.freezeThrough());
            return r;
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /** Training films read to re-estimate BatchNorm statistics, at the most. */
    public static final int RECALIBRATION_IMAGES = 640;

    /**
     * Re-estimates every BatchNorm's running mean and variance, frozen layers included, from up to
     * {@value #RECALIBRATION_IMAGES} training films, un-augmented and normalised as inference feeds them: the AdaBN
     * estimate ({@link XrayNet#recalibrateBatchNorm}, which site adaptation uses too) on the training data. Weights
     * that come without statistics (TorchScript files list parameters, not buffers) otherwise normalise with mean 0
     * and variance 1, which frozen layers never correct. Returns the number of batches used.
     */
    public static int recalibrateBatchNorm(XrayNet net, List<Sample> train, ImageSource images, InputRecipe recipe,
                                           int batch) {
        int n = Math.min(train.size(), RECALIBRATION_IMAGES);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = (int) ((long) i * train.size() / n); // spread over the list
        return recalibrate(net, train, order, images, recipe, batch, false);
    }

    /**
     * The BatchNorm statistics {@code films} make, estimated as AdaBN estimates them (every film, un-augmented, fed
     * as inference feeds it: mirrored as well when {@code tta}), with the network's own statistics left as they were.
     * Of the validation films, it is the reference that site adaptation measures a new site's statistics against.
     */
    public static BatchNormStatistics statisticsOf(XrayNet net, List<Sample> films, ImageSource images, InputRecipe recipe,
                                                   int batch, boolean tta) {
        BatchNormStatistics stored = BatchNormStatistics.of(net);
        int[] order = new int[films.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        try {
            recalibrate(net, films, order, images, recipe, batch, tta);
            return BatchNormStatistics.of(net);
        } finally {
            stored.applyTo(net);
        }
    }

    private static int recalibrate(XrayNet net, List<Sample> films, int[] order, ImageSource images, InputRecipe recipe,
                                   int batch, boolean mirrored) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
        try (NDManager m = NDManager.newBaseManager();
             BatchLoader loader = new BatchLoader(films, order, images, null, recipe, batch, 0, 0, pool, 2)) {
            return net.recalibrateBatchNorm(() -> new Batches(loader, m, recipe, mirrored));
        } finally {
            pool.shutdownNow();
        }
    }

    /** The loader's batches as arrays, each closed when the next is made (one alive at a time). */
    private static final class Batches extends OneBatchAlive {
        private final BatchLoader loader;
        private final InputRecipe recipe;
        private final boolean mirrored;

        Batches(BatchLoader loader, NDManager manager, InputRecipe recipe, boolean mirrored) {
            super(manager);
            this.loader = loader;
            this.recipe = recipe;
            this.mirrored = mirrored;
        }

        @Override
        protected boolean more() { return loader.hasNext(); }

        @Override
        protected NDArray make(NDManager m) {
            BatchLoader.Batch b = loader.next();
            NDArray x = m.create(b.data(), new Shape(b.n(), recipe.channels(), recipe.size(), recipe.size()));
            return mirrored ? NDArrays.concat(new NDList(x, x.flip(3))) : x; // flip TTA feeds both in one batch
        }
    }
}
