package org.pneumoscope.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.pneumoscope.core.DjlSetup;
import org.pneumoscope.core.Choices;
import org.pneumoscope.model.Arch;
import org.pneumoscope.model.Head;
import org.pneumoscope.model.ModelSpec;
import org.pneumoscope.model.XrayNet;

import java.util.Locale;

/**
 * Training and inference throughput of {@link XrayNet} on random data, set up like
 * {@code shared/bench/torch_reference.py} (same network, input, batch, Adam 1e-4, 3 classes, 2 warm-up steps) so the
 * two can be compared on one machine.
 *
 * <pre>java -cp ... org.pneumoscope.bench.SpeedProbe [arch] [size] [batch] [steps] [threads] [width] [channels]</pre>
 * prints {@code probe model=resnet18 size=128 batch=32 threads=2 train_img_s=… infer_img_s=…}.
 */
public final class SpeedProbe {
    private SpeedProbe() {}

    /** Throughput by the wall clock, and images per CPU-second (steadier when other work shares the cores). */
    public record Figures(double trainImgPerSec, double inferImgPerSec, double trainImgPerCpuSec, double inferImgPerCpuSec) {}

    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    public static void main(String[] args) {
        String arch = args.length > 0 ? args[0] : "resnet18";
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 6;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        double width = args.length > 5 ? Double.parseDouble(args[5]) : 1.0;
        int channels = args.length > 6 ? Integer.parseInt(args[6]) : 3;
        // must be set before the engine starts
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        DjlSetup.configure();
        ModelSpec spec = new ModelSpec(Choices.parse(Arch.class, arch), channels, size, Head.LINEAR, width, true);
        Figures f = measure(spec, batch, steps);
        System.out.printf(Locale.ROOT, "probe model=%s width=%s channels=%d size=%d batch=%d threads=%d train_img_s=%.2f infer_img_s=%.1f"
                        + " train_img_per_cpu_s=%.2f infer_img_per_cpu_s=%.1f (torch intra-op threads %d, inter-op %d)%n",
                arch, width, channels, size, batch, threads, f.trainImgPerSec(), f.inferImgPerSec(),
                f.trainImgPerCpuSec(), f.inferImgPerCpuSec(),
                ai.djl.pytorch.jni.JniUtils.getNumThreads(), ai.djl.pytorch.jni.JniUtils.getNumInteropThreads());
    }

    public static Figures measure(ModelSpec spec, int batch, int steps) {
        Engine.getInstance().setRandomSeed(0);
        try (XrayNet net = XrayNet.build(spec);
             Model model = Model.newInstance("probe");
             NDManager m = NDManager.newBaseManager()) {
            model.setBlock(net.block());
            DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-4f)).build());
            NDArray x = m.randomNormal(new Shape(batch, spec.channels(), spec.size(), spec.size()));
            NDArray y = m.randomInteger(0, XrayNet.CLASSES, new Shape(batch), ai.djl.ndarray.types.DataType.INT32)
                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            double train, trainCpu;
            try (Trainer trainer = model.newTrainer(cfg)) {
                trainer.initialize(x.getShape());
                for (int i = 0; i < 2; i++) step(trainer, m, x, y);
                long t = System.nanoTime(), c = cpuNanos();
                for (int i = 0; i < steps; i++) step(trainer, m, x, y);
                train = batch * steps / ((System.nanoTime() - t) / 1e9);
                trainCpu = batch * steps / ((cpuNanos() - c) / 1e9);
            }
            for (int i = 0; i < 2; i++) infer(net, m, x);
            long t = System.nanoTime(), c = cpuNanos();
            for (int i = 0; i < steps; i++) infer(net, m, x);
            double infer = batch * steps / ((System.nanoTime() - t) / 1e9);
            double inferCpu = batch * steps / ((cpuNanos() - c) / 1e9);
            return new Figures(train, infer, trainCpu, inferCpu);
        }
    }

    private static void step(Trainer trainer, NDManager m, NDArray x, NDArray y) {
        try (NDManager b = m.newSubManager()) {
            NDArray xb = x.duplicate();
            xb.attach(b);
            try (GradientCollector gc = trainer.newGradientCollector()) {
                NDArray logits = trainer.forward(new NDList(xb)).singletonOrThrow();
                gc.backward(trainer.getLoss().evaluate(new NDList(y), new NDList(logits)));
            }
            trainer.step();
        }
    }

    private static void infer(XrayNet net, NDManager m, NDArray x) {
        try (NDManager b = m.newSubManager()) {
            NDArray xb = x.duplicate();
            xb.attach(b);
            net.predict(xb);
        }
    }
}
