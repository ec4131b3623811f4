package org.pneumoscope.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The README's example of the Java API, as a program: classify films with a trained run and print the answers. */
public final class ApiExample {
    private ApiExample() {}

    public static List<Prediction> classify(Path run, List<Path> files) throws Exception {
        List<Prediction> out = new ArrayList<>();
        try (Classifier classifier = Classifier.load(run)) {
            for (Path f : files) {
                Prediction p = classifier.predict(Film.read(f));
                System.out.println(p.film() + ": " + p.label() + " " + p.confidence());
                out.add(p);
            }
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        List<Path> files = new ArrayList<>();
        for (int i = 1; i < args.length; i++) files.add(Path.of(args[i]));
        classify(Path.of(args[0]), files);
    }
}
