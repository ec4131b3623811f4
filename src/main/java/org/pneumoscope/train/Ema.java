package org.pneumoscope.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.djl.util.PairList;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Exponential moving average of all weights (incl. batch-norm statistics): a cheap ensemble over steps. */
public final class Ema implements AutoCloseable {
    private final NDManager manager;
    private final double decay;
    private final List<NDArray> shadow = new ArrayList<>();

    public Ema(NDManager parent, PairList<String, Parameter> params, double decay) {
        this.manager = parent.newSubManager();
        this.decay = decay;
        for (Pair<String, Parameter> p : params) {
            NDArray c = p.getValue().getArray().duplicate();
            c.attach(manager);
            shadow.add(c);
        }
    }

    private long updates;

    /**
     * Early on the average would be dominated by the random initial weights, so the decay ramps up as
     * (1+t)/(10+t) towards its configured value (as TensorFlow's ExponentialMovingAverage with num_updates).
     */
    public void update(PairList<String, Parameter> params) {
        updates++;
        float d = (float) Math.min(decay, (1.0 + updates) / (10.0 + updates));
        for (int i = 0; i < shadow.size(); i++) {
            NDArray w = params.get(i).getValue().getArray();
            try (NDArray scaled = w.mul(1 - d)) {
                shadow.get(i).muli(d).addi(scaled);
            }
        }
    }

    /** Exchanges live weights and averaged weights (call twice to restore). */
    public void swap(PairList<String, Parameter> params) {
        for (int i = 0; i < shadow.size(); i++) {
            NDArray w = params.get(i).getValue().getArray();
            try (NDArray live = w.duplicate()) {
                shadow.get(i).copyTo(w);
                live.copyTo(shadow.get(i));
            }
        }
    }

    void save(DataOutputStream out) throws IOException {
        out.writeLong(updates);
        byte[] b = new NDList(shadow.toArray(new NDArray[0])).encode();
        out.writeInt(b.length);
        out.write(b);
    }

    void load(DataInputStream in) throws IOException {
        updates = in.readLong();
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        try (NDManager tmp = manager.newSubManager()) {
            NDList l = NDList.decode(tmp, b);
            for (int i = 0; i < shadow.size(); i++) l.get(i).copyTo(shadow.get(i));
        }
    }

    @Override
    public void close() { manager.close(); }
}
