package org.pneumoscope.bench;

import org.pneumoscope.api.AnswerPictures;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.Explanation;
import org.pneumoscope.api.Film;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.Png;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.Sample;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.explain.Overlay;
import org.pneumoscope.model.Head;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainedModel;

import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
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
            List<Film> films = new ArrayList<>();
            if (data != null) {
                for (Sample s : DatasetReader.read(data).requireImages().samples()) {
                    if (imgs.size() >= count) break;
                    try {
                        films.add(Film.read(s.file()));
                        imgs.add(EvaluateJob.load(s.file(), m));
                    } catch (Exception e) {
                        if (films.size() > imgs.size()) films.remove(films.size() - 1); // unreadable: skip
                    }
                }
            }
            if (imgs.isEmpty()) {
                imgs = TrainBenchmark.phantoms(count, size, 1);
                films.clear();
                for (GreyImage g : imgs) films.add(Film.of(g, "phantom-" + films.size()));
            }
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
            pictures(Classifier.of(m), films, out); // shares m, which closes here
        }
    }

    /** The steps of drawing a Grad-CAM answer's pictures, in the server's order. */
    public static final List<String> PICTURE_STEPS = List.of("film to display size", "heatmap onto it", "overlay",
            "heatmap layer", "overlay PNG", "layer PNG", "base64 of both");

    /**
     * What drawing a Grad-CAM answer's pictures costs per film, step by step, drawn as the server draws them
     * ({@link AnswerPictures}): under load these run on the same cores as the forward passes.
     */
    private static void pictures(Classifier c, List<Film> films, PrintStream out) {
        int steps = PICTURE_STEPS.size();
        double[][] ms = new double[steps][films.size()];
        double[] total = new double[films.size()];
        long overlayBytes = 0, layerBytes = 0;
        for (int pass = 0; pass < 2; pass++) // the first pass warms the code up
            for (int i = 0; i < films.size(); i++) {
                Drawn d = drawn(c.explain(films.get(i)), films.get(i));
                for (int k = 0; k < steps; k++) ms[k][i] = (d.stamps()[k + 1] - d.stamps()[k]) / 1e6;
                total[i] = (d.stamps()[steps] - d.stamps()[0]) / 1e6;
                overlayBytes += pass == 1 ? d.overlayBytes() : 0;
                layerBytes += pass == 1 ? d.layerBytes() : 0;
            }
        StringBuilder line = new StringBuilder("answer pictures, p50 ms per film:");
        for (int k = 0; k < steps; k++) line.append(String.format(Locale.ROOT, " %s %.2f;", PICTURE_STEPS.get(k), pct(ms[k], 50)));
        out.println(line.append(String.format(Locale.ROOT, " all %.2f (p95 %.2f)", pct(total, 50), pct(total, 95))));
        out.printf(Locale.ROOT, "answer pictures, mean size: overlay PNG %.1f KB, layer PNG %.1f KB (films at display size, longer side <= %d)%n",
                overlayBytes / 1024.0 / films.size(), layerBytes / 1024.0 / films.size(), AnswerPictures.MAX_SIDE);
    }

    /** The clock before the first of {@link #PICTURE_STEPS} and after each, and the two PNGs' sizes. */
    private record Drawn(long[] stamps, int overlayBytes, int layerBytes) {}

    /** One answer's pictures, drawn step by step in the server's order. */
    private static Drawn drawn(Explanation e, Film film) {
        long[] t = new long[PICTURE_STEPS.size() + 1];
        t[0] = System.nanoTime();
        GreyImage shown = AnswerPictures.shown(film.image());
        t[1] = System.nanoTime();
        CamResult cam = AnswerPictures.onShown(e, shown);
        t[2] = System.nanoTime();
        BufferedImage overlay = Overlay.render(shown, cam);
        t[3] = System.nanoTime();
        BufferedImage layer = Overlay.heatmap(cam);
        t[4] = System.nanoTime();
        byte[] a = Png.encode(overlay);
        t[5] = System.nanoTime();
        byte[] b = Png.encode(layer);
        t[6] = System.nanoTime();
        if (Base64.getEncoder().encodeToString(a).isEmpty() || Base64.getEncoder().encodeToString(b).isEmpty())
            throw new IllegalStateException("empty pictures");
        t[7] = System.nanoTime();
        return new Drawn(t, a.length, b.length);
    }

    static double pct(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }
}
