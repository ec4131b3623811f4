package org.pneumoscope.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.Map;

/**
 * Adam / AdamW with state we own, so a resumed run continues with the same moments
 * (DJL's Adam keeps its moments private and cannot be checkpointed). Uses PyTorch's fused
 * update kernel through DJL, which also zeroes the gradient.
 */
public final class AdamOptimizer implements AutoCloseable {
    private final NDManager stateManager;
    private final boolean decoupled;
    private final float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    private final float weightDecay;
    private final Map<String, NDArray[]> state = new LinkedHashMap<>();
    private long step;

    public AdamOptimizer(NDManager parent, boolean adamw, double weightDecay) {
        this.stateManager = parent.newSubManager();
        this.decoupled = adamw;
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
        double coef1 = 1.0 - Math.pow(beta1, step);
        double coef2 = 1.0 - Math.pow(beta2, step);
        float biasCorrected = (float) (lr * Math.sqrt(coef2) / coef1);
        for (Pair<String, Parameter> np : params) {
            Parameter p = np.getValue();
            if (!p.requiresGradient()) continue;
            NDArray w = p.getArray();
            if (!w.hasGradient()) continue;
            NDArray[] mv = state.computeIfAbsent(np.getKey(), k -> new NDArray[] {
                    stateManager.zeros(w.getShape(), w.getDataType()),
                    stateManager.zeros(w.getShape(), w.getDataType())});
            try (NDArray g = w.getGradient()) {
                w.getNDArrayInternal().adamUpdate(
                        new NDList(w, g, mv[0], mv[1]), new NDList(w),
                        (float) lr, biasCorrected, weightDecay, 1f, -1f, beta1, beta2, eps, true, decoupled);
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
            state.put(id, new NDArray[] {l.get(0), l.get(1)});
        }
    }

    @Override
    public void close() { stateManager.close(); }
}
