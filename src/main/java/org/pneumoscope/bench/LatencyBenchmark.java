package org.pneumoscope.bench;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.Sample;
import org.pneumoscope.model.Head;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainedModel;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Single-image latency of prediction and of Grad-CAM, as a user of explain or the server sees it. */
public final class LatencyBenchmark {
    private LatencyBenchmark() {}

    /** Times {@code count} films of {@code data} (or phantoms) one at a time and prints p50 and p95 of each path. */
    public static void run(Path run, Path data, int count, PrintStream out) throws Exception {
        if (count < 1 || count > 10_000) throw new UserException("--images must be 1..10000", 2);
        try (TrainedModel m = TrainedModel.load(run)) {
            int size = m.config().size();
            List<GreyImage> imgs = new ArrayList<>();
            if (data != null) {
                for (Sample s : DatasetReader.read(data).requireImages().samples()) {
                    if (imgs.size() >= count) break;
                    try { imgs.add(EvaluateJob.load(s.file(), m)); } catch (Exception e) { /* unreadable: skip */ }
                }
            }
            if (imgs.isEmpty()) imgs = TrainBenchmark.phantoms(count, size, 1);
            for (int i = 0; i < 3; i++) { m.probabilities(List.of(imgs.get(0)), false); m.explain(imgs.get(0), null, null); }
            double[] pred = new double[imgs.size()], cam = new double[imgs.size()];
            for (int i = 0; i < imgs.size(); i++) {
                long t0 = System.nanoTime();
                m.probabilities(List.of(imgs.get(i)), false);
                long t1 = System.nanoTime();
                m.explain(imgs.get(i), null, Label.BACTERIA.index());
                long t2 = System.nanoTime();
                pred[i] = (t1 - t0) / 1e6;
                cam[i] = (t2 - t1) / 1e6;
            }
            out.printf(Locale.ROOT, "model %s@%d width %.2f, %d images (resized, decode excluded), threads %d%n",
                    m.config().model(), size, m.config().width(), imgs.size(), Runtime.getRuntime().availableProcessors());
            out.printf(Locale.ROOT, "predict  p50 %.1f ms  p95 %.1f ms%n", pct(pred, 50), pct(pred, 95));
            out.printf(Locale.ROOT, "grad-cam p50 %.1f ms  p95 %.1f ms  (%s, with probabilities)%n",
                    pct(cam, 50), pct(cam, 95), m.net().spec().head() == Head.LINEAR
                            ? "forward; " + m.net().lastFeatureLayer() + "'s gradient from the linear head's weights"
                            : "forward + backward to " + m.net().lastFeatureLayer());
        }
    }

    static double pct(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }
}
