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
        NDList h = inputs;
        for (int i = 0; i < convs.size(); i++) {
            h = convs.get(i).forward(ps, h, training);
            h = norms.get(i).forward(ps, h, training);
            if (i < convs.size() - 1) h = new NDList(Activation.relu(h.singletonOrThrow()));
        }
        NDArray shortcut = inputs.singletonOrThrow();
        if (downConv != null) shortcut = downNorm.forward(ps, downConv.forward(ps, inputs, training), training).singletonOrThrow();
        // in-place add on the BN output is safe for autograd (BN's backward does not need its own output)
        return new NDList(Activation.relu(h.singletonOrThrow().addi(shortcut)));
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
