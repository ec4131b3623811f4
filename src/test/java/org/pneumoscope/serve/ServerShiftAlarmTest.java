package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.eval.ShiftReference;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.synth.PhantomGenerator;
import org.pneumoscope.train.Scoring;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * /api/health's shift alarm over the films the server has scored. The shared fixture's run has a handful of
 * validation films, so a copy of it gets a reference of 90 phantoms scored by its own model; uploads are fresh phantoms
 * as they are, or re-rendered as by another detector.
 */
class ServerShiftAlarmTest {
    static final AcquisitionShift SHIFT = AcquisitionShift.parse("gamma=2,blur=1.5,noise=0.05");
    static final int UPLOADS = 30;
    @TempDir static Path dir;
    static TrainedModel model;
    static List<GreyImage> films;

    @BeforeAll
    static void setUp() throws Exception {
        Path run = ServeFixture.run();
        for (String f : List.of("model.json", "model.params")) Files.copy(run.resolve(f), dir.resolve(f));
        try (TrainedModel m = TrainedModel.load(dir)) {
            List<GreyImage> ref = phantoms(90, m.config().size(), 1);
            boolean tta = m.config().tta(); // scored as the server scores by default, so the estimate is made
            Scoring.Outputs s = m.scores(ref, tta);
            int[] labels = new int[ref.size()];
            for (int i = 0; i < labels.length; i++) labels[i] = i % 3; // phantoms() renders the classes in turn
            ShiftReference.of(s.features(), m.calibration().probabilities(s.logits()), tta)
                    .withValidation(s.logits(), labels).write(dir);
        }
        model = TrainedModel.load(dir);
        films = phantoms(UPLOADS, model.config().size(), 2);
    }

    @AfterAll
    static void tearDown() {
        if (model != null) model.close();
    }

    static List<GreyImage> phantoms(int n, int size, long seed) {
        Random r = new Random(seed);
        List<GreyImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new PhantomGenerator().render(Label.of(i % 3), size, r).image());
        return out;
    }

    static JsonNode shift(PneumoscopeServer s) throws Exception {
        return ServeFixture.json(ServeFixture.get(s, "api/health")).path("shift");
    }

    /** Uploads every film (Grad-CAM on every other one: its pass gives the features then) and returns health's shift. */
    static JsonNode serve(List<GreyImage> uploads, boolean shifted) throws Exception {
        try (PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(dir).host("127.0.0.1").port(0).workers(1).build(), model)) {
            assertTrue(s.hasShiftReference());
            HttpClient c = ServeFixture.client();
            for (int i = 0; i < uploads.size(); i++) {
                GreyImage g = shifted ? SHIFT.apply(uploads.get(i)) : uploads.get(i);
                String q = i % 2 == 0 ? "cam=true" : "cam=false";
                assertEquals(200, ServeFixture.send(c, ServeFixture.upload(s, q, MultipartBody.image(ServeFixture.png(g)))).statusCode());
                if (i == DriftScore.MIN_WINDOW - 2) {
                    JsonNode early = shift(s);
                    assertEquals("too few films to judge (" + (i + 1) + ")", early.path("message").asText());
                    assertFalse(early.path("alarm").asBoolean());
                    assertTrue(early.path("score").isNull());
                }
            }
            return shift(s);
        }
    }

    @Test
    void healthStaysQuietOnFilmsLikeTheReferences() throws Exception {
        JsonNode h = serve(films, false);
        assertEquals(UPLOADS, h.path("window").asInt(), h.toString());
        assertFalse(h.path("alarm").asBoolean(), h.toString());
        assertTrue(h.path("score").asDouble() < h.path("threshold").asDouble(), h.toString());
        assertEquals("no shift detected", h.path("message").asText());
        double est = h.path("estimated_accuracy").asDouble(-1), val = h.path("validation_accuracy").asDouble(-1);
        assertTrue(est >= 0 && est <= 1 && val >= 0 && val <= 1, "the label-free estimate is in health: " + h);
    }

    @Test
    void healthRaisesTheAlarmOnShiftedFilms() throws Exception {
        JsonNode h = serve(films, true);
        assertEquals(UPLOADS, h.path("window").asInt(), h.toString());
        assertTrue(h.path("alarm").asBoolean(), h.toString());
        assertTrue(h.path("score").asDouble() > h.path("threshold").asDouble(), h.toString());
        assertEquals(DriftScore.ALARM, h.path("message").asText());
    }

    /** The page has no timer: it reads /api/health on load and after each result, and shows a hidden banner on an alarm. */
    @Test
    void thePageCarriesABannerForTheAlarm() throws Exception {
        try (PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(dir).host("127.0.0.1").port(0).build(), model)) {
            String page = ServeFixture.get(s, "").body(), js = ServeFixture.get(s, "app.js").body();
            assertTrue(page.contains("id=\"shift-banner\" hidden"), "hidden until an alarm");
            assertTrue(js.contains("fetch(\"api/health\"") && js.contains(".shift)") && js.contains("s.alarm"), "app.js reads health's shift");
        }
    }

    @Test
    void aRunWithoutAReferenceSaysSo() throws Exception {
        Path old = Files.createDirectories(dir.resolve("old"));
        for (String f : List.of("model.json", "model.params")) Files.copy(dir.resolve(f), old.resolve(f));
        try (TrainedModel m = TrainedModel.load(old);
             PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(old).host("127.0.0.1").port(0).build(), m)) {
            assertFalse(s.hasShiftReference());
            assertEquals(200, ServeFixture.send(ServeFixture.client(), ServeFixture.upload(s, "cam=false",
                    MultipartBody.image(ServeFixture.png(films.get(0))))).statusCode());
            JsonNode h = shift(s);
            assertEquals(DriftScore.NO_REFERENCE, h.path("message").asText());
            assertFalse(h.path("alarm").asBoolean());
            assertEquals(1, h.path("window").asInt());
        }
    }
}
