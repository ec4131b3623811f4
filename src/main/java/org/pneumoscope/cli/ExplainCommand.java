package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.Explanation;
import org.pneumoscope.api.Film;
import org.pneumoscope.api.Prediction;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
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
    @Option(names = "--opacity", defaultValue = "" + Explanation.DEFAULT_OPACITY, description = "Heatmap opacity 0..1 (default ${DEFAULT-VALUE}).") double opacity;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Use the run's site profile NAME (made by adapt) instead of its own weights.") String profile;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public Integer call() throws Exception {
        if (opacity < 0 || opacity > 1) throw new UserException("--opacity must be within 0..1", 2);
        Label target = null;
        if (cls != null) {
            target = Label.parse(cls);
            if (target == null) throw new UserException("--class must be 0/bacteria, 1/virus or 2/normal, not " + cls, 2);
        }
        Files.createDirectories(out);
        int failed = 0;
        try (Classifier c = Classifier.load(run, profile)) {
            if (layer != null && !c.layers().contains(layer))
                throw new UserException("--layer '" + layer + "' is not a feature layer of this " + c.model().config().model()
                        + "; valid: " + String.join(", ", c.layers()), 2);
            for (Path img : images) {
                Film film;
                try {
                    film = Film.read(img);
                } catch (DecodeException e) {
                    System.err.println(img + ": " + e.reason());
                    failed++;
                    continue;
                }
                long t0 = System.nanoTime();
                Explanation e = c.explain(film, layer, target);
                double ms = (System.nanoTime() - t0) / 1e6;
                String base = img.getFileName().toString().replaceAll("\\.[^.]*$", "");
                e.writeOverlay(out.resolve(base + "_cam.png"), opacity);
                e.writeHeatmap(out.resolve(base + "_map.png"));
                AtomicFiles.writeString(out.resolve(base + ".json"), JSON.writeValueAsString(card(img, e, ms)));
                Prediction p = e.prediction();
                System.out.printf(Locale.ROOT, "%s: %s (p %.3f) -> %s%n", img, p.label().id(), p.confidence(), out.resolve(base + "_cam.png"));
            }
        }
        return failed == images.size() ? 1 : 0;
    }

    /** NAME.json: the class, calibrated probabilities, the class and layer explained, and the time it took. */
    private static Map<String, Object> card(Path img, Explanation e, double ms) {
        Prediction p = e.prediction();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("file", img.toString());
        j.put("class", p.label().id());
        j.put("label", p.label().index());
        Map<String, Object> probs = new LinkedHashMap<>();
        for (Label l : Label.values()) probs.put(l.id(), (float) p.probability(l));
        j.put("probabilities", probs);
        j.put("calibrated", true);
        j.put("explained_class", e.explained().id());
        j.put("layer", e.layer());
        j.put("ms", ms);
        return j;
    }
}
