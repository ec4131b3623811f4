package org.pneumoscope.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/** Our BatchNorm block computes what DJL's does, trains the same statistics, and reads DJL's stored format. */
class BatchNorm2dTest {
    private static final Shape IN = new Shape(4, 6, 5, 7);

    @Test
    void trainsAndInfersAsDjlsBatchNormDoes() {
        try (NDManager m = NDManager.newBaseManager()) {
            AbstractBlock ours = new BatchNorm2d(XrayNet.BN_EPSILON, 0.9f);
            AbstractBlock djls = BatchNorm.builder().optEpsilon(XrayNet.BN_EPSILON).optMomentum(0.9f).build();
            ours.initialize(m, DataType.FLOAT32, IN);
            djls.initialize(m, DataType.FLOAT32, IN);
            // a scale and shift away from 1 and 0, so a mix-up of gamma and beta would show
            for (AbstractBlock b : new AbstractBlock[] {ours, djls}) {
                b.getParameters().get("gamma").getArray().set(m.arange(6f).add(0.5f).toFloatArray());
                b.getParameters().get("beta").getArray().set(m.arange(6f).mul(-0.25f).toFloatArray());
            }
            ParameterStore ps = new ParameterStore(m, false);
            for (int step = 0; step < 3; step++) {
                NDArray x = m.randomNormal(IN).mul(2f).add(step);
                float[][] a = trainStep(ours, ps, x), b = trainStep(djls, ps, x);
                for (int i = 0; i < a.length; i++) assertArrayEquals(b[i], a[i], 1e-5f, "step " + step + ", output " + i);
            }
            for (String s : new String[] {"runningMean", "runningVar"})
                assertArrayEquals(djls.getParameters().get(s).getArray().toFloatArray(),
                        ours.getParameters().get(s).getArray().toFloatArray(), 1e-6f, s);
            NDArray x = m.randomNormal(IN);
            assertArrayEquals(djls.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray(),
                    ours.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray(), 1e-5f, "inference");
        }
    }

    /** Output, input gradient, gamma's and beta's gradients of one training pass (through an in-place sum, as in a residual unit). */
    private static float[][] trainStep(AbstractBlock b, ParameterStore ps, NDArray x0) {
        NDArray x = x0.duplicate();
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = b.forward(ps, new NDList(x), true).singletonOrThrow();
            NDArray out = y.addi(x0.mul(0.5f)).square();
            gc.backward(out.sum());
            float[][] r = {out.toFloatArray(), x.getGradient().toFloatArray(),
                    b.getParameters().get("gamma").getArray().getGradient().toFloatArray(),
                    b.getParameters().get("beta").getArray().getGradient().toFloatArray()};
            for (Parameter p : b.getParameters().values()) if (p.requiresGradient()) p.getArray().getGradient().subi(p.getArray().getGradient());
            return r;
        }
    }

    @Test
    void readsWhatDjlsBatchNormStored() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            AbstractBlock djls = BatchNorm.builder().optEpsilon(XrayNet.BN_EPSILON).optMomentum(0.9f).build();
            djls.initialize(m, DataType.FLOAT32, IN);
            djls.getParameters().get("runningMean").getArray().set(new float[] {1, -2, 3, 0.5f, 0, 4});
            djls.getParameters().get("runningVar").getArray().set(new float[] {2, 0.5f, 1, 3, 4, 0.25f});
            djls.getParameters().get("gamma").getArray().set(new float[] {1.5f, 1, 0.5f, 2, 1, 3});
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            djls.saveParameters(new DataOutputStream(bytes));

            AbstractBlock ours = new BatchNorm2d(XrayNet.BN_EPSILON, 0.9f);
            ours.initialize(m, DataType.FLOAT32, IN);
            ours.loadParameters(m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            NDArray x = m.randomNormal(IN);
            ParameterStore ps = new ParameterStore(m, false);
            assertArrayEquals(djls.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray(),
                    ours.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray(), 1e-5f);

            // and what it stores, DJL's block reads: the same bytes
            ByteArrayOutputStream again = new ByteArrayOutputStream();
            ours.saveParameters(new DataOutputStream(again));
            assertArrayEquals(bytes.toByteArray(), again.toByteArray());
        }
    }
}
