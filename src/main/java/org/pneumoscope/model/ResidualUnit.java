package org.pneumoscope.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.List;

/**
 * One residual block: {@code relu(branch(x) + shortcut(x))}, where the branch is conv-BN pairs with ReLU between
 * them (two 3×3 pairs for a basic block, 1×1 → 3×3 → 1×1 for a bottleneck) and the shortcut is the identity or a
 * strided 1×1 conv + BN ("downsample" in torchvision) when the shape changes.
 */
final class ResidualUnit extends AbstractBlock {
    private final List<Block> convs = new ArrayList<>();
    private final List<Block> norms = new ArrayList<>();
    private Block downConv;
    private Block downNorm;

    /** Called by the builder in branch order; child names follow torchvision (conv1, bn1, …). */
    void addPair(Block conv, Block norm) {
        int i = convs.size() + 1;
        convs.add(addChildBlock("conv" + i, conv));
        norms.add(addChildBlock("bn" + i, norm));
    }

    void setDownsample(Block conv, Block norm) {
        downConv = addChildBlock("downsample.0", conv);
        downNorm = addChildBlock("downsample.1", norm);
    }

    Block lastNorm() { return norms.get(norms.size() - 1); }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray h = x;
        for (int i = 0; i < convs.size(); i++) {
            NDArray c = convs.get(i).forward(ps, new NDList(h), training).singletonOrThrow();
            Intermediates.release(h, x, c);
            h = norms.get(i).forward(ps, new NDList(c), training).singletonOrThrow();
            Intermediates.release(c, x, h);
            if (i < convs.size() - 1) {
                NDArray r = Activation.relu(h);
                Intermediates.release(h, x, r);
                h = r;
            }
        }
        NDArray shortcut = x;
        if (downConv != null) {
            NDArray c = downConv.forward(ps, inputs, training).singletonOrThrow();
            shortcut = downNorm.forward(ps, new NDList(c), training).singletonOrThrow();
            Intermediates.release(c, x, shortcut);
        }
        // in-place add on the BN output is safe for autograd (BN's backward does not need its own output)
        NDArray out = Activation.relu(h.addi(shortcut));
        Intermediates.release(h, x, out);
        Intermediates.release(shortcut, x, out);
        return new NDList(out);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] s = inputShapes;
        for (int i = 0; i < convs.size(); i++) s = norms.get(i).getOutputShapes(convs.get(i).getOutputShapes(s));
        return s;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] s = inputShapes;
        for (int i = 0; i < convs.size(); i++) {
            convs.get(i).initialize(manager, dataType, s);
            s = convs.get(i).getOutputShapes(s);
            norms.get(i).initialize(manager, dataType, s);
        }
        if (downConv != null) {
            downConv.initialize(manager, dataType, inputShapes);
            downNorm.initialize(manager, dataType, downConv.getOutputShapes(inputShapes));
        }
    }
}
