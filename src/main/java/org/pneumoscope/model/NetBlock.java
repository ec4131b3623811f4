package org.pneumoscope.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.SymbolBlock;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole network as a flat chain of units (stem, each residual block, head — or a TorchScript backbone and the
 * head), so that Grad-CAM can stop after any unit and resume from its output.
 *
 * <p>Units up to {@link #frozenThrough} always run in inference mode: their BatchNorm layers use the stored running
 * statistics instead of batch statistics and do not update them. This is what Keras does for a frozen
 * ({@code trainable=False}) BatchNorm, and it keeps frozen pretrained features stable when batches are small.
 */
final class NetBlock extends AbstractBlock {
    private final List<String> unitNames = new ArrayList<>();
    private final List<Block> units = new ArrayList<>();
    private int frozenThrough = -1;
    private final List<Block> pending = new ArrayList<>();
    /** Style mixing after the units marked here, in training passes only; null: none. */
    private StyleMixing mixing;
    private boolean[] mixAfter;

    void addUnit(String name, Block block) {
        unitNames.add(name);
        units.add(addChildBlock(name, block));
    }

    /** A TorchScript unit whose module will come from {@link #loadParameters}. */
    void addPendingTorchScript(String name, NDManager manager) {
        PtSymbolBlock empty = new PtSymbolBlock((PtNDManager) manager);
        pending.add(empty);
        addUnit(name, empty);
    }

    List<String> unitNames() { return unitNames; }

    Block unit(int i) { return units.get(i); }

    int unitCount() { return units.size(); }

    void setFrozenThrough(int index) { frozenThrough = index; }

    int frozenThrough() { return frozenThrough; }

    StyleMixing styleMixing() { return mixing; }

    boolean[] mixAfter() { return mixAfter; }

    void setStyleMixing(StyleMixing m, boolean[] afterUnit) {
        mixing = m;
        mixAfter = afterUnit;
    }

    /** Runs units {@code from} (inclusive) to {@code to} (exclusive). */
    NDList run(ParameterStore ps, NDList x, int from, int to, boolean training, PairList<String, Object> params) {
        NDList h = x;
        for (int i = from; i < to; i++) {
            boolean trains = training && i > frozenThrough;
            NDList next = units.get(i).forward(ps, h, trains, params);
            Intermediates.release(h, x, next);
            h = training && mixing != null && mixAfter[i] ? mixStyles(next) : next; // parameterless: frozen layers mix too
        }
        return h;
    }

    private NDList mixStyles(NDList out) {
        NDArray mixed = mixing.apply(out.singletonOrThrow());
        if (mixed == out.singletonOrThrow()) return out;
        Intermediates.release(out.singletonOrThrow(), null, mixed);
        return new NDList(mixed);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return run(ps, inputs, 0, units.size(), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] s = inputShapes;
        for (Block b : units) s = b.getOutputShapes(s);
        return s;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] s = inputShapes;
        for (Block b : units) {
            // a TorchScript module arrives with its weights; it only needs its output shape probed
            if (!(b instanceof SymbolBlock)) b.initialize(manager, dataType, s);
            s = b.getOutputShapes(s);
        }
    }

    /**
     * DJL's default load would make a TorchScript unit swap its native module while its parameter list still points
     * at the old tensors; instead a fresh module is read from the stream and replaces the unit.
     */
    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        byte loadVersion = is.readByte();
        loadMetadata(loadVersion, is);
        for (int i = 0; i < units.size(); i++) {
            Block b = units.get(i);
            if (b instanceof PtSymbolBlock old) {
                PtSymbolBlock fresh = new PtSymbolBlock((PtNDManager) manager);
                fresh.loadParameters(manager, is);
                units.set(i, fresh);
                String key = children.keyAt(i);
                children.remove(i);
                children.add(i, key, fresh);
                if (!pending.remove(old)) old.close(); // an empty placeholder has no native module to free
            } else {
                b.loadParameters(manager, is);
            }
        }
    }
}
