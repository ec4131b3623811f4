package org.pneumoscope.train;

import org.pneumoscope.model.ModelSpec;
import org.pneumoscope.model.Norm;
import org.pneumoscope.model.PretrainedWeights;
import org.pneumoscope.model.XrayNet;

import java.io.IOException;
import java.io.PrintStream;

/** Builds the network a config describes, initialised, with pretrained weights and freezing applied. */
public final class Models {
    private Models() {}

    public static ModelSpec spec(TrainConfig cfg) {
        return new ModelSpec(cfg.model().id(), cfg.channels(), cfg.size(), cfg.head().id(), cfg.width(), true, cfg.norm());
    }

    public static XrayNet build(TrainConfig cfg, boolean allowDownload, PrintStream log) throws IOException {
        PretrainedWeights.Result r = PretrainedWeights.resolve(cfg.weights(), allowDownload).createNet(spec(cfg));
        XrayNet net = r.net();
        try {
            if (log != null && cfg.weights() != null) r.notes().forEach(n -> log.println("weights: " + n));
            net.freezeThrough(cfg.freezeThrough());
            return net;
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
    }
}
