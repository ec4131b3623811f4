package org.pneumoscope.api;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.cli.CliRun;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.synth.PhantomGenerator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java API: the README's example, thread safety, typed errors, and agreement with the CLI's predict and explain. */
class ClassifierTest {
    @TempDir static Path dir;
    static Path run;
    static List<Path> films;
    static Classifier classifier;

    @BeforeAll
    static void setUp() throws Exception {
        run = TinyRun.make(dir.resolve("run"), Map.of("contrast", "equalize"), true);
        new PhantomGenerator().generate(dir.resolve("phantoms"), 12, 96, 3, 1);
        try (Stream<Path> s = Files.walk(dir.resolve("phantoms"))) {
            films = s.filter(p -> p.getFileName().toString().startsWith("phantom-") && p.toString().endsWith(".png"))
                    .filter(p -> !p.toString().contains("masks"))
                    .sorted().limit(12).toList();
        }
        assertEquals(12, films.size(), "phantom films");
        classifier = Classifier.load(run);
    }

    @AfterAll
    static void tearDown() {
        if (classifier != null) classifier.close();
    }

    @Test
    void theReadmeExampleClassifiesEveryFilm() throws Exception {
        List<Prediction> p = ApiExample.classify(run, films.subList(0, 3));
        assertEquals(3, p.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(films.get(i).toString(), p.get(i).film());
            float[] q = p.get(i).probabilities();
            assertEquals(1.0, q[0] + q[1] + q[2], 1e-5, "calibrated probabilities sum to 1");
            assertEquals(p.get(i).label(), Label.of(q[0] >= q[1] && q[0] >= q[2] ? 0 : q[1] >= q[2] ? 1 : 2));
        }
    }

    @Test
    void aBatchGivesWhatOneFilmAtATimeGives() throws Exception {
        List<Film> all = new ArrayList<>();
        for (Path f : films) all.add(Film.read(f));
        List<Prediction> batch = classifier.predict(all);
        for (int i = 0; i < all.size(); i++)
            assertArrayEquals(classifier.predict(all.get(i)).probabilities(), batch.get(i).probabilities(), 1e-5f);
    }

    @Test
    void manyThreadsShareOneClassifier() throws Exception {
        List<Prediction> alone = new ArrayList<>();
        for (Path f : films) alone.add(classifier.predict(f));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Prediction>> jobs = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                boolean cam = round % 2 == 1; // Grad-CAM passes and plain ones at once
                for (Path f : films) jobs.add(pool.submit(() -> cam ? classifier.explain(Film.read(f)).prediction() : classifier.predict(f)));
            }
            for (int i = 0; i < jobs.size(); i++) {
                Prediction expected = alone.get(i % films.size()), got = jobs.get(i).get();
                assertArrayEquals(expected.probabilities(), got.probabilities(), 1e-5f, "film " + got.film());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void errorsAreTypedAndNameTheInput() throws Exception {
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "not an image");
        DecodeException e = assertThrows(DecodeException.class, () -> classifier.predict(text));
        assertEquals(DecodeException.Kind.NOT_AN_IMAGE, e.kind());
        assertTrue(e.getMessage().startsWith(text.toString()), e.getMessage());
        UserException u = assertThrows(UserException.class, () -> Classifier.load(dir.resolve("phantoms")));
        assertTrue(u.getMessage().contains("phantoms") && u.getMessage().contains("not a finished"), u.getMessage());
        assertThrows(IllegalArgumentException.class, () -> classifier.explain(Film.read(films.get(0)), "layer9", null));
        java.awt.image.BufferedImage colour = javax.imageio.ImageIO.read(films.get(0).toFile());
        assertArrayEquals(classifier.predict(films.get(0)).probabilities(),
                classifier.predict(Film.of(colour, "picture")).probabilities(), 1e-6f, "a BufferedImage reads as its file does");
        DecodeException strip = assertThrows(DecodeException.class,
                () -> Film.of(new java.awt.image.BufferedImage(600, 20, java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "strip"));
        assertEquals(DecodeException.Kind.UNUSABLE, strip.kind());
    }

    @Test
    void theCliPredictAndExplainAnswerAsTheApiDoes() throws Exception {
        Path csv = dir.resolve("preds.csv"), cams = dir.resolve("cams");
        List<String> args = new ArrayList<>(List.of("predict", "--run", run.toString(), "--out", csv.toString()));
        films.subList(0, 4).forEach(f -> args.add(f.toString()));
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.all());
        List<String> rows = Files.readAllLines(csv);
        for (int i = 0; i < 4; i++) {
            String[] c = rows.get(i + 1).split(",");
            Prediction p = classifier.predict(films.get(i));
            assertEquals(p.label().id(), c[1]);
            for (Label l : Label.values()) assertEquals(p.probability(l), Double.parseDouble(c[2 + l.index()]), 2e-6);
        }
        CliRun x = CliRun.of("explain", "--run", run.toString(), "--out", cams.toString(), films.get(0).toString());
        assertEquals(0, x.code(), x.all());
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(cams.resolve(films.get(0).getFileName().toString().replace(".png", ".json")).toFile());
        Explanation e = classifier.explain(Film.read(films.get(0)));
        assertEquals(e.prediction().label().id(), json.get("class").asText());
        for (Label l : Label.values())
            assertEquals(e.prediction().probability(l), json.get("probabilities").get(l.id()).asDouble(), 1e-6);
        assertNotNull(e.overlay(0.45));
        assertEquals(96 * 96, e.onFilm(96, 96).length);
    }

    @Test
    void theCliRefusesTheFilmsTheServerRefuses() throws Exception {
        Path tiny = dir.resolve("tiny.png");
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png", tiny.toFile());
        Path csv = dir.resolve("tiny.csv");
        CliRun r = CliRun.of("predict", "--run", run.toString(), "--out", csv.toString(), tiny.toString());
        assertEquals(1, r.code(), "nothing scored: " + r.all());
        assertTrue(r.err().contains("tiny.png: the image is 8×8 px; at least 32×32 px are needed"), r.err());
    }

    /**
     * The shift check of the Java API: nothing to judge without a reference; against a reference of the window's own
     * films, half of them labelled as the classifier answers them, no alarm and a label-free estimate of one half.
     */
    @Test
    void checkShiftJudgesAWindowAndEstimatesItsAccuracyWithoutLabels() throws Exception {
        Path r2 = TinyRun.make(dir.resolve("run-ref"), Map.of("contrast", "equalize"), true);
        new PhantomGenerator().generate(dir.resolve("window"), 40, 96, 4, 1);
        List<Film> window = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir.resolve("window"))) {
            for (Path f : s.filter(x -> x.getFileName().toString().startsWith("phantom-") && !x.toString().contains("masks"))
                    .sorted().toList()) window.add(Film.read(f));
        }
        int n = window.size();
        assertTrue(n >= ShiftCheck.MIN_FILMS, n + " films");
        List<Prediction> p;
        try (Classifier c = Classifier.load(r2)) {
            p = c.predict(window);
            ShiftCheck none = c.checkShift(p);
            assertFalse(none.judged());
            assertEquals(ShiftCheck.NO_REFERENCE, none.message());
            assertTrue(Double.isNaN(none.estimatedAccuracy()));
        }
        float[][] f = new float[n][], pr = new float[n][], lg = new float[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            f[i] = p.get(i).features();
            pr[i] = p.get(i).probabilities();
            lg[i] = p.get(i).logits();
            y[i] = (p.get(i).label().index() + i % 2) % Label.COUNT;
        }
        org.pneumoscope.eval.ShiftReference.of(f, pr, p.get(0).tta()).withValidation(lg, y).write(r2);
        try (Classifier c = Classifier.load(r2)) {
            ShiftCheck s = c.checkShift(c.predict(window));
            assertTrue(s.judged());
            assertFalse(s.alarm(), s.line());
            assertEquals((n + 1) / 2 / (double) n, s.estimatedAccuracy(), 2.0 / n, s.line());
            assertTrue(s.line().contains("label-free accuracy estimate "), s.line());
            assertEquals(s.estimatedAccuracy(), (Double) s.details().get("estimated_accuracy"), 0);
            assertEquals((n + 1) / 2 / (double) n, s.validationAccuracy(), 1e-12);
            List<Prediction> mixed = new ArrayList<>(c.predict(window));
            mixed.set(0, c.withTta(!p.get(0).tta()).predict(window.get(0)));
            ShiftCheck m = c.checkShift(mixed);
            assertTrue(m.judged() && Double.isNaN(m.estimatedAccuracy()), "films scored two ways get no estimate: " + m.line());
        }
    }
}
