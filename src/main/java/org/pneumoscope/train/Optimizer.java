package org.pneumoscope.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.annotation.JsonValue;
import org.pneumoscope.core.Choice;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.Map;

/**
 * Adam, AdamW or SGD with momentum, with state we own, so a resumed run continues with the same moments
 * (DJL's optimizers keep theirs private and cannot be checkpointed). Uses PyTorch's update kernels through DJL,
 * which also zero the gradient (OptimizerTest checks it for SGD).
 */
public final class Optimizer implements AutoCloseable {
    /** What a config's {@code optimizer} names: Adam, AdamW or SGD with momentum. */
    public enum Kind implements Choice {
        ADAM, ADAMW, SGD;

        /** As written in YAML, JSON and log lines ("adamw"). */
        @JsonValue
        @Override
        public String toString() { return id(); }
    }

    /** SGD's momentum: the value ResNets are trained with from scratch (He et al. 2016). */
    static final float SGD_MOMENTUM = 0.9f;

    private final NDManager stateManager;
    private final Kind kind;
    private final float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    private final float weightDecay;
    private final Map<String, NDArray[]> state = new LinkedHashMap<>();
    private long step;

    /**
     * {@code weightDecay} is decoupled from the gradient for adamw (Loshchilov and Hutter), an L2 term added to
     * the gradient for adam and sgd (as torch.optim's {@code weight_decay}).
     */
    public Optimizer(NDManager parent, Kind kind, double weightDecay) {
        if (kind == null) throw new IllegalArgumentException("optimizer kind is missing");
        this.stateManager = parent.newSubManager();
        this.kind = kind;
        this.weightDecay = (float) weightDecay;
    }

    public long step() { return step; }

    /**
     * One update of every trainable parameter with its accumulated gradient, at learning rate {@code lr}.
     * State is keyed by the parameter's path in the block tree (DJL's parameter ids are random UUIDs
     * that change when the network is rebuilt for a resume).
     */
    public void update(PairList<String, Parameter> params, double lr) {
        step++;
        boolean sgd = kind == Kind.SGD;
        double coef1 = 1.0 - Math.pow(beta1, step);
        double coef2 = 1.0 - Math.pow(beta2, step);
        float biasCorrected = (float) (lr * Math.sqrt(coef2) / coef1);
        for (Pair<String, Parameter> np : params) {
            Parameter p = np.getValue();
            if (!p.requiresGradient()) continue;
            NDArray w = p.getArray();
            if (!w.hasGradient()) continue;
            // Adam keeps two moments per weight, SGD one velocity
            NDArray[] st = state.computeIfAbsent(np.getKey(), k -> {
                NDArray[] a = new NDArray[sgd ? 1 : 2];
                for (int i = 0; i < a.length; i++) a[i] = stateManager.zeros(w.getShape(), w.getDataType());
                return a;
            });
            try (NDArray g = w.getGradient()) {
                if (sgd) {
                    // heavy-ball momentum as DJL's kernel computes it, v = m v + lr (g + wd w), w -= v: the rate sits
                    // inside the velocity, so a schedule's change of rate takes effect over ~1/(1-m) steps
                    w.getNDArrayInternal().sgdUpdate(new NDList(w, g, st[0]), new NDList(w),
                            (float) lr, weightDecay, 1f, -1f, SGD_MOMENTUM, false);
                } else {
                    w.getNDArrayInternal().adamUpdate(new NDList(w, g, st[0], st[1]), new NDList(w),
                            (float) lr, biasCorrected, weightDecay, 1f, -1f, beta1, beta2, eps, true, kind == Kind.ADAMW);
                }
            }
        }
    }

    public void save(DataOutputStream out) throws IOException {
        out.writeLong(step);
        out.writeInt(state.size());
        for (Map.Entry<String, NDArray[]> e : state.entrySet()) {
            out.writeUTF(e.getKey());
            byte[] b = new NDList(e.getValue()).encode();
            out.writeInt(b.length);
            out.write(b);
        }
    }

    public void load(DataInputStream in) throws IOException {
        step = in.readLong();
        int n = in.readInt();
        state.values().forEach(a -> { for (NDArray x : a) x.close(); });
        state.clear();
        for (int i = 0; i < n; i++) {
            String id = in.readUTF();
            byte[] b = new byte[in.readInt()];
            in.readFully(b);
            NDList l = NDList.decode(stateManager, b);
            state.put(id, l.toArray(new NDArray[0]));
        }
    }

    @Override
    public void close() { stateManager.close(); }
}
