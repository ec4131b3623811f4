package org.pneumoscope.model;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** A {@link SequentialBlock} that frees each child's output once the next child has consumed it (same parameters, same file format). */
final class ChainBlock extends SequentialBlock {
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList h = inputs;
        for (Block b : children.values()) {
            NDList next = b.forward(ps, h, training, params);
            Intermediates.release(h, inputs, next);
            h = next;
        }
        return h;
    }
}
