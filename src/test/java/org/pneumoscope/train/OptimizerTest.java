package org.pneumoscope.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.PairList;
import org.junit.jupiter.api.Test;
import org.pneumoscope.core.UserException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerTest {

    /** Gradient of sum(w^2) is 2w: one backward pass leaves it in w's gradient. */
    private static void backwardSquares(NDArray w) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(w.mul(w).sum());
        }
    }

    private static PairList<String, Parameter> param(NDManager m, float... values) {
        Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
        NDArray w = m.create(values);
        w.setRequiresGradient(true);
        p.setArray(w);
        PairList<String, Parameter> l = new PairList<>();
        l.add("net.w", p);
        return l;
    }

    @Test
    void sgdFollowsHeavyBallMomentumWithL2AndClearsTheGradient() {
        try (NDManager m = NDManager.newBaseManager(); Optimizer opt = new Optimizer(m, Optimizer.Kind.SGD, 0.1)) {
            PairList<String, Parameter> ps = param(m, 1f, -2f);
            NDArray w = ps.get(0).getValue().getArray();
            float lr = 0.05f, mom = Optimizer.SGD_MOMENTUM;
            double[] ref = {1, -2}, v = {0, 0};
            for (int step = 0; step < 3; step++) {
                backwardSquares(w);
                float[] before = w.toFloatArray(), grad = w.getGradient().toFloatArray();
                for (int i = 0; i < 2; i++) assertEquals(2 * before[i], grad[i], 1e-5, "gradient before step " + (step + 1));
                opt.update(ps, lr);
                for (int i = 0; i < 2; i++) {
                    v[i] = mom * v[i] + lr * (2 * ref[i] + 0.1 * ref[i]);
                    ref[i] -= v[i];
                }
                float[] got = w.toFloatArray();
                for (int i = 0; i < 2; i++) assertEquals(ref[i], got[i], 1e-5, "step " + (step + 1) + ", element " + i);
                // the next backward must not add to this step's gradient
                assertArrayEquals(new float[] {0f, 0f}, w.getGradient().toFloatArray(), "gradient after step " + (step + 1));
            }
            assertEquals(3, opt.step());
        }
    }

    @Test
    void sgdMomentumSurvivesACheckpoint() throws Exception {
        byte[] saved;
        float[] uninterrupted;
        try (NDManager m = NDManager.newBaseManager(); Optimizer opt = new Optimizer(m, Optimizer.Kind.SGD, 0)) {
            PairList<String, Parameter> ps = param(m, 1f, -2f);
            NDArray w = ps.get(0).getValue().getArray();
            backwardSquares(w);
            opt.update(ps, 0.1);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) { opt.save(out); }
            saved = bytes.toByteArray();
            float[] after1 = w.toFloatArray();
            backwardSquares(w);
            opt.update(ps, 0.1);
            uninterrupted = w.toFloatArray();

            // a fresh optimizer given the checkpoint takes the same second step; one without it does not
            try (Optimizer resumed = new Optimizer(m, Optimizer.Kind.SGD, 0); Optimizer cold = new Optimizer(m, Optimizer.Kind.SGD, 0)) {
                resumed.load(new DataInputStream(new ByteArrayInputStream(saved)));
                assertEquals(1, resumed.step());
                PairList<String, Parameter> a = param(m, after1), b = param(m, after1);
                backwardSquares(a.get(0).getValue().getArray());
                resumed.update(a, 0.1);
                backwardSquares(b.get(0).getValue().getArray());
                cold.update(b, 0.1);
                assertArrayEquals(uninterrupted, a.get(0).getValue().getArray().toFloatArray(), 1e-6f);
                float[] coldW = b.get(0).getValue().getArray().toFloatArray();
                assertEquals(uninterrupted[0] + Optimizer.SGD_MOMENTUM * 0.1f * 2f * 1f, coldW[0], 1e-5,
                        "without its velocity the step is the plain gradient step");
            }
        }
    }

    @Test
    void unknownKindIsRefused() {
        UserException e = assertThrows(UserException.class, () -> TrainConfig.fromMap(Map.of("optimizer", "rmsprop")));
        assertTrue(e.getMessage().contains("optimizer must be adam, adamw or sgd, not rmsprop"), e.getMessage());
    }
}
