package org.pneumoscope.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.pneumoscope.model.ModelSpec;
import org.pneumoscope.model.XrayNet;

/** Builds the network a config describes, initialised, with pretrained weights and freezing applied. */
public final class Models {
    private Models() {}

    public static ModelSpec spec(TrainConfig cfg) {
        return new ModelSpec(cfg.model(), cfg.channels(), cfg.size(), cfg.head(), cfg.width(), true);
    }

    public static XrayNet build(TrainConfig cfg, NDManager manager) {
        XrayNet net = XrayNet.build(spec(cfg));
        net.block().initialize(manager, DataType.FLOAT32, new Shape(1, cfg.channels(), cfg.size(), cfg.size()));
        net.freezeThrough(cfg.freezeThrough());
        return net;
    }
}
