package org.pneumoscope.cli;

import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DecodeException;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.explain.Overlay;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.train.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Grad-CAM for each image: NAME_cam.png (heatmap over the X-ray), NAME_map.png (raw map) and NAME.json (class, probabilities).")
public class ExplainCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A finished run folder.") Path run;
    @Parameters(arity = "1..*", paramLabel = "IMAGE") List<Path> images;
    @Option(names = "--out", required = true, description = "Output folder.") Path out;
    @Option(names = "--layer", description = "Feature layer to explain (default: the last convolutional stage, layer4).") String layer;
    @Option(names = "--class", description = "Class to explain: 0/bacteria, 1/virus, 2/normal (default: the predicted class).") String cls;
    @Option(names = "--opacity", defaultValue = "0.45", description = "Heatmap opacity 0..1 (default ${DEFAULT-VALUE}).") double opacity;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Use the run's site profile NAME (made by adapt) instead of its own weights.") String profile;

    @Override
    public Integer call() throws Exception {
        if (opacity < 0 || opacity > 1) throw new UserException("--opacity must be within 0..1", 2);
        Integer target = null;
        if (cls != null) {
            Label l = Label.parse(cls);
            if (l == null) throw new UserException("--class must be 0/bacteria, 1/virus or 2/normal, not " + cls, 2);
            target = l.index();
        }
        Files.createDirectories(out);
        int failed = 0;
        try (TrainedModel m = TrainedModel.load(run, profile)) {
            if (layer != null && !m.net().camLayers().contains(layer))
                throw new UserException("--layer '" + layer + "' is not a feature layer of this " + m.config().model()
                        + "; valid: " + String.join(", ", m.net().camLayers()), 2);
            for (Path img : images) {
                GreyImage g;
                try {
                    g = EvaluateJob.load(img, m);
                } catch (DecodeException e) {
                    System.err.println(img + ": " + e.reason());
                    failed++;
                    continue;
                }
                long t0 = System.nanoTime();
                CamResult c = m.explain(g, layer, target);
                double ms = (System.nanoTime() - t0) / 1e6;
                String base = img.getFileName().toString().replaceAll("\\.[^.]*$", "");
                Overlay.writePng(Overlay.render(g, c, opacity), out.resolve(base + "_cam.png"));
                Overlay.write(Overlay.rawMapPng(c), out.resolve(base + "_map.png"));
                int pred = org.pneumoscope.eval.Metrics.argmax(c.probabilities());
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("file", img.toString());
                j.put("class", Label.of(pred).id());
                j.put("label", pred);
                Map<String, Object> p = new LinkedHashMap<>();
                for (Label l : Label.values()) p.put(l.id(), c.probabilities()[l.index()]);
                j.put("probabilities", p);
                j.put("calibrated", true);
                j.put("explained_class", Label.of(c.targetClass()).id());
                j.put("layer", layer == null ? m.net().lastFeatureLayer() : layer);
                j.put("ms", ms);
                AtomicFiles.writeString(out.resolve(base + ".json"), RunFolder.JSON.writeValueAsString(j));
                System.out.printf(Locale.ROOT, "%s: %s (p %.3f) -> %s%n", img, Label.of(pred).id(), c.probabilities()[pred], out.resolve(base + "_cam.png"));
            }
        }
        return failed == images.size() ? 1 : 0;
    }
}
