package org.pneumoscope.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.pneumoscope.core.Label;

import java.util.List;

/** One optimisation step on one batch: forward, loss, backward, update. Shared by training and the benchmark. */
public final class TrainStep {
    private final Block block;
    private final ParameterStore ps;
    private final PairList<String, Parameter> params;
    private final List<Parameter> l2;
    private final double l2Factor;
    private final Optimizer opt;
    private final Ema ema;
    private final int channels, size;
    // reused every step: no direct buffer per batch left for the GC (their arrays die with the step's sub-manager)
    private final DirectInput xIn = new DirectInput(), tIn = new DirectInput(), wIn = new DirectInput();

    public record Out(float loss, int correct) {}

    public TrainStep(Block block, ParameterStore ps, List<Parameter> l2, double l2Factor, Optimizer opt, Ema ema, int channels, int size) {
        this.block = block;
        this.ps = ps;
        this.params = block.getParameters();
        this.l2 = l2;
        this.l2Factor = l2Factor;
        this.opt = opt;
        this.ema = ema;
        this.channels = channels;
        this.size = size;
    }

    /** All native temporaries live in a sub-manager closed before returning, so memory stays flat. */
    public Out run(NDManager root, float[] data, float[] target, float[] weights, int[] hard, int n, double lr) {
        return run(root, data, target, weights, hard, n, lr, size);
    }

    /** As above for a batch of {@code side}-pixel images (progressive resizing trains early epochs smaller). */
    public Out run(NDManager root, float[] data, float[] target, float[] weights, int[] hard, int n, double lr, int side) {
        try (NDManager sub = root.newSubManager()) {
            NDArray x = xIn.create(sub, data, new Shape(n, channels, side, side));
            NDArray t = tIn.create(sub, target, new Shape(n, Label.COUNT));
            NDArray w = wIn.create(sub, weights, new Shape(n));
            float lossValue;
            int ok;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = block.forward(ps, new NDList(x), true).singletonOrThrow();
                NDArray loss = Losses.softCrossEntropy(logits, t, w);
                lossValue = loss.getFloat();
                if (!l2.isEmpty()) loss = loss.add(Losses.l2(l2, sub).mul(l2Factor));
                gc.backward(loss);
                ok = Losses.correct(logits, hard);
            }
            if (!Float.isFinite(lossValue))
                throw new IllegalStateException("training diverged (loss " + lossValue + "); try a lower --lr");
            opt.update(params, lr);
            if (ema != null) ema.update(params);
            return new Out(lossValue, ok);
        }
    }
}
