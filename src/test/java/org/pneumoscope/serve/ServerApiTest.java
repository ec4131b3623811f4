package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pneumoscope.cli.Main;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.DicomWriter;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.data.Preprocess;
import org.pneumoscope.pipeline.ModelInfo;
import org.pneumoscope.pipeline.TrainedModel;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.*;

class ServerApiTest {
    static Path run;
    static TrainedModel model;
    static List<byte[]> xrays;

    @BeforeAll
    static void setUp() throws Exception {
        run = ServeFixture.run();
        model = TrainedModel.load(run);
        xrays = ServeFixture.xrays(8);
    }

    @AfterAll
    static void tearDown() {
        if (model != null) model.close();
    }

    static PneumoscopeServer server(ServerConfig.Builder b) throws Exception {
        return PneumoscopeServer.start(b.host("127.0.0.1").port(0).build(), model);
    }

    /** What the model says about these bytes when called directly (decode, resize, calibrated softmax). */
    static float[] expected(byte[] bytes, boolean tta) throws Exception {
        GreyImage g = Preprocess.resize(ImageDecoder.decode(bytes, "x"), model.config().size(), model.resizeMode());
        return model.probabilities(List.of(g), tta)[0];
    }

    static void assertProbabilities(float[] want, JsonNode p) {
        double sum = 0;
        for (Label l : Label.values()) {
            double v = p.path(l.id()).asDouble(Double.NaN);
            assertEquals(want[l.index()], v, 1e-4, l.id());
            sum += v;
        }
        assertEquals(1.0, sum, 1e-5);
    }

    static BufferedImage dataUriImage(String uri) throws Exception {
        assertTrue(uri.startsWith("data:image/png;base64,"), uri.substring(0, Math.min(40, uri.length())));
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(uri.substring(uri.indexOf(',') + 1))));
    }

    static void assertError(HttpResponse<String> r, int status, String code) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode j = ServeFixture.json(r);
        assertEquals(code, j.path("error").asText(), r.body());
        assertFalse(j.path("detail").asText().isBlank(), r.body());
    }

    @Test
    void predictAnswersCalibratedClassWithHeatmapAndModelSummary() throws Exception {
        try (PneumoscopeServer s = server(ServerConfig.builder(run))) {
            HttpClient c = ServeFixture.client();
            byte[] img = xrays.get(0);
            GreyImage decoded = ImageDecoder.decode(img, "x");
            HttpResponse<String> r = ServeFixture.send(c, ServeFixture.upload(s, null, MultipartBody.image(img)));
            assertEquals(200, r.statusCode(), r.body());
            JsonNode j = ServeFixture.json(r);
            float[] want = expected(img, false);
            assertProbabilities(want, j.path("probabilities"));
            assertEquals(model.calibration().method().id(), j.path("calibration_method").asText(), "the answer says how it was calibrated");
            int cls = j.path("class").asInt(-1);
            assertEquals(org.pneumoscope.eval.Metrics.argmax(want), cls);
            assertEquals(Label.of(cls).id(), j.path("label").asText());
            assertTrue(j.path("calibrated").asBoolean());
            assertTrue(j.path("ms").asDouble() > 0);
            // the overlay keeps the upload's geometry (capped at 512 px) so it lines up with a preview
            BufferedImage cam = dataUriImage(j.path("cam_png").asText());
            BufferedImage heat = dataUriImage(j.path("heatmap_png").asText());
            int w = Math.min(decoded.width(), Predictor.DISPLAY_MAX_SIDE);
            assertEquals(w, cam.getWidth());
            assertEquals(cam.getWidth(), heat.getWidth());
            assertEquals(cam.getHeight(), heat.getHeight());
            assertTrue(heat.getColorModel().hasAlpha());
            assertEquals(cls, Label.parse(j.path("cam_class").asText()).index());
            JsonNode m = j.path("model");
            assertEquals(ModelInfo.name(model.config()), m.path("name").asText());
            assertTrue(m.path("trained_on").asText().contains("phantom"), m.toString());
            assertTrue(m.path("metrics").path("accuracy").isNumber(), m.toString());
            assertEquals(2, m.path("metrics").path("accuracy_ci95").size(), m.toString());

            // ?cam=false: no heatmap, same probabilities
            JsonNode noCam = ServeFixture.json(ServeFixture.send(c, ServeFixture.upload(s, "cam=false", MultipartBody.image(img))));
            assertFalse(noCam.has("cam_png"));
            assertProbabilities(want, noCam.path("probabilities"));
            // ?overlay=false: the heatmap layer alone, the same picture, no overlay
            JsonNode layerOnly = ServeFixture.json(ServeFixture.send(c, ServeFixture.upload(s, "overlay=false", MultipartBody.image(img))));
            assertFalse(layerOnly.has("cam_png"), layerOnly.toString());
            assertEquals(j.path("heatmap_png").asText(), layerOnly.path("heatmap_png").asText());
            assertEquals(j.path("cam_class").asText(), layerOnly.path("cam_class").asText());
            assertProbabilities(want, layerOnly.path("probabilities"));
            // ?tta=true: the mirrored image is averaged in
            JsonNode tta = ServeFixture.json(ServeFixture.send(c, ServeFixture.upload(s, "tta=true&image=true", MultipartBody.image(img))));
            assertTrue(tta.path("tta").asBoolean());
            assertProbabilities(expected(img, true), tta.path("probabilities"));
            assertEquals(decoded.width(), dataUriImage(tta.path("image_png").asText()).getWidth());
        }
    }

    @Test
    void refusalsAreJsonWithTheRightStatus() throws Exception {
        try (PneumoscopeServer s = server(ServerConfig.builder(run).maxUploadBytes(1 << 20))) {
            HttpClient c = ServeFixture.client();
            // 400: multipart without the field, and a body that is not multipart at all
            assertError(ServeFixture.send(c, ServeFixture.upload(s, null,
                    MultipartBody.file("picture", "x.jpg", "image/jpeg", xrays.get(0)))), 400, "missing_field");
            assertError(ServeFixture.send(c, HttpRequest.newBuilder(URI.create(s.url() + "api/predict"))
                    .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(xrays.get(0))).build()),
                    400, "missing_field");
            // 400: a text file
            assertError(ServeFixture.send(c, ServeFixture.upload(s, null, MultipartBody.file("image", "notes.txt", "text/plain",
                    "Patient notes, not a picture.\n".getBytes(StandardCharsets.UTF_8)))), 400, "not_an_image");
            assertError(ServeFixture.send(c, ServeFixture.upload(s, "cam=maybe", MultipartBody.image(xrays.get(0)))), 400, "bad_parameter");
            // 415: a DICOM compressed with JPEG 2000; its patient name and id must not come back
            int[] px = new int[64 * 64];
            for (int i = 0; i < px.length; i++) px[i] = (i * 37) % 4096;
            byte[] j2k = DicomWriter.grey(64, 64, 16, px).transferSyntax("1.2.840.10008.1.2.4.90").toBytes();
            HttpResponse<String> r415 = ServeFixture.send(c, ServeFixture.upload(s, null, MultipartBody.image(j2k)));
            assertError(r415, 415, "unsupported_format");
            assertFalse(r415.body().contains(DicomWriter.SECRET_NAME) || r415.body().contains("Doe") || r415.body().contains(DicomWriter.SECRET_ID), r415.body());
            // 422: decodes, but 20x20 px cannot be a chest X-ray worth reading; a blank image neither
            byte[] small = new byte[20 * 20];
            for (int i = 0; i < small.length; i++) small[i] = (byte) (i * 7);
            assertError(ServeFixture.send(c, ServeFixture.upload(s, null, MultipartBody.image(ServeFixture.png(new GreyImage(20, 20, small))))),
                    422, "unusable_image");
            assertError(ServeFixture.send(c, ServeFixture.upload(s, null, MultipartBody.image(ServeFixture.png(new GreyImage(64, 64, new byte[64 * 64]))))),
                    422, "unusable_image");
            // 413: declared too large, and streamed without a length (the multipart limit stops it)
            byte[] big = new byte[(1 << 20) + (200 << 10)];
            new java.util.Random(1).nextBytes(big);
            assertError(ServeFixture.send(c, ServeFixture.upload(s, null, MultipartBody.image(big))), 413, "too_large");
            MultipartBody chunked = MultipartBody.image(big);
            HttpRequest streamed = HttpRequest.newBuilder(URI.create(s.url() + "api/predict")).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", chunked.contentType())
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(chunked.bytes()))).build();
            assertError(ServeFixture.send(c, streamed), 413, "too_large");
            // unknown endpoints answer JSON too
            assertError(ServeFixture.get(s, "api/nothing"), 404, "not_found");
            // and after all that the server still predicts
            assertEquals(200, ServeFixture.send(c, ServeFixture.upload(s, "cam=false", MultipartBody.image(xrays.get(1)))).statusCode());
            JsonNode h = ServeFixture.json(ServeFixture.get(s, "api/health"));
            assertEquals(0, h.path("in_flight").asInt(), "every slot was given back");
            assertEquals(0, h.path("internal_errors").asInt());
        }
    }

    @Test
    void aFullQueueAnswers503WithRetryAfter() throws Exception {
        CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        Runnable hold = () -> {
            entered.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (PneumoscopeServer s = server(ServerConfig.builder(run).workers(1).queue(1).beforeInference(hold))) {
            HttpClient c = ServeFixture.client();
            HttpRequest req = ServeFixture.upload(s, "cam=false", MultipartBody.image(xrays.get(2)));
            CompletableFuture<HttpResponse<String>> first = c.sendAsync(req, HttpResponse.BodyHandlers.ofString());
            assertTrue(entered.await(60, TimeUnit.SECONDS), "the first request reached the worker");
            CompletableFuture<HttpResponse<String>> second = c.sendAsync(req, HttpResponse.BodyHandlers.ofString());
            // wait until the second one holds the queue slot
            for (int i = 0; i < 600 && ServeFixture.json(ServeFixture.get(s, "api/health")).path("in_flight").asInt() < 2; i++)
                Thread.sleep(50);
            assertEquals(2, ServeFixture.json(ServeFixture.get(s, "api/health")).path("in_flight").asInt());
            HttpResponse<String> third = ServeFixture.send(c, req);
            assertError(third, 503, "busy");
            int retry = Integer.parseInt(third.headers().firstValue("Retry-After").orElse("-1"));
            assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
            release.countDown();
            assertEquals(200, first.get(60, TimeUnit.SECONDS).statusCode());
            assertEquals(200, second.get(60, TimeUnit.SECONDS).statusCode());
            JsonNode h = ServeFixture.json(ServeFixture.get(s, "api/health"));
            assertEquals(2, h.path("served").asInt());
            assertEquals(1, h.path("refused_busy").asInt());
        } finally {
            release.countDown();
        }
    }

    @Test
    void thirtyTwoParallelUploadsAreAllAnsweredCorrectly() throws Exception {
        int n = 32;
        float[][] want = new float[xrays.size()][];
        for (int i = 0; i < xrays.size(); i++) want[i] = expected(xrays.get(i), false);
        try (PneumoscopeServer s = server(ServerConfig.builder(run).workers(2))) {
            assertTrue(s.config().capacity() >= n, "default queue holds 32 clients");
            HttpClient c = ServeFixture.client();
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                // every fourth with Grad-CAM, so both paths run side by side
                HttpRequest r = ServeFixture.upload(s, "cam=" + (i % 4 == 0), MultipartBody.image(xrays.get(i % xrays.size())));
                answers.add(c.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < n; i++) {
                HttpResponse<String> r = answers.get(i).get(300, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), "request " + i + ": " + r.body());
                JsonNode j = ServeFixture.json(r);
                assertProbabilities(want[i % xrays.size()], j.path("probabilities")); // each answer belongs to its own image
                assertEquals(i % 4 == 0, j.has("cam_png"), "request " + i);
            }
            JsonNode h = ServeFixture.json(ServeFixture.get(s, "api/health"));
            assertEquals(n, h.path("served").asInt());
            assertEquals(0, h.path("refused_busy").asInt());
        }
    }

    @Test
    void healthAndModelCard() throws Exception {
        try (PneumoscopeServer s = server(ServerConfig.builder(run).workers(1).queue(3))) {
            HttpResponse<String> hr = ServeFixture.get(s, "api/health");
            assertEquals(200, hr.statusCode());
            JsonNode h = ServeFixture.json(hr);
            assertEquals("ok", h.path("status").asText());
            assertEquals(1, h.path("workers").asInt());
            assertEquals(3, h.path("queue").asInt());

            JsonNode m = ServeFixture.json(ServeFixture.get(s, "api/model"));
            List<String> ids = new ArrayList<>();
            m.path("classes").forEach(k -> ids.add(k.path("id").asText()));
            assertEquals(List.of(Label.ids()), ids);
            assertEquals(model.config().size(), m.path("config").path("size").asInt());
            assertEquals(model.config().model().id(), m.path("architecture").path("model").asText());
            int train = 0;
            for (JsonNode v : m.path("data").path("train")) train += v.asInt();
            assertTrue(train > 0, m.path("data").toString());
            JsonNode t = m.path("test_metrics");
            assertTrue(t.path("n").asInt() > 0, t.toString());
            assertTrue(t.path("ci95").path("accuracy").isArray(), "test metrics carry their bootstrap intervals");
            assertFalse(t.has("reliability"));
            assertTrue(m.path("intended_use").asText().toLowerCase().contains("not a medical device"));
            assertTrue(m.path("phantom_data").asBoolean());
            assertEquals(model.temperature(), m.path("temperature").asDouble(), 1e-9);
            assertEquals(model.calibration().method().id(), m.path("calibration_method").asText());
            assertEquals(model.calibration().shiftsClasses(), m.has("class_bias"));
            assertEquals(1, m.path("server").path("workers").asInt());

            // the page and its assets come from the same process, with a strict content security policy
            HttpResponse<String> page = ServeFixture.get(s, "");
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("Research use only"));
            assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
            assertEquals(200, ServeFixture.get(s, "app.js").statusCode());
            assertEquals(200, ServeFixture.get(s, "app.css").statusCode());
        }
    }

    @Test
    void uploadsStayInMemoryUnlessAskedToKeepThem() throws Exception {
        Path keep = Files.createTempDirectory(ServeFixture.buildDir().toAbsolutePath(), "kept-");
        // 900 KB (over Jetty's usual spill threshold), under the 1 MB limit
        byte[] padded = new byte[900 << 10];
        byte[] img = xrays.get(3);
        System.arraycopy(img, 0, padded, 0, img.length); // bytes after a JPEG's end marker are ignored by decoders
        // Jetty would write a spilled part into the server's spill folder and delete it when the request ends; so look
        // while the request is being worked on
        Path spill = Path.of(PneumoscopeServer.SPILL_DIR);
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        Runnable look = () -> {
            if (!Files.isDirectory(spill)) return;
            try (Stream<Path> st = Files.list(spill)) {
                st.forEach(p -> seen.add(p.getFileName().toString()));
            } catch (java.io.IOException e) {
                seen.add("unreadable: " + e);
            }
        };
        try (PneumoscopeServer s = server(ServerConfig.builder(run).maxUploadBytes(1 << 20).beforeInference(look))) {
            HttpResponse<String> r = ServeFixture.send(ServeFixture.client(), ServeFixture.upload(s, "cam=false", MultipartBody.image(padded)));
            assertEquals(200, r.statusCode(), r.body());
        }
        assertEquals(List.of(), seen, "upload parts written to " + spill);

        try (PneumoscopeServer s = server(ServerConfig.builder(run).keepUploads(keep))) {
            HttpClient c = ServeFixture.client();
            assertEquals(200, ServeFixture.send(c, ServeFixture.upload(s, "cam=false", MultipartBody.file("image", "Doe_Jane.jpg", "image/jpeg", img))).statusCode());
            assertEquals(400, ServeFixture.send(c, ServeFixture.upload(s, null, MultipartBody.image("text".getBytes(StandardCharsets.UTF_8)))).statusCode());
        }
        List<Path> kept;
        try (Stream<Path> st = Files.list(keep)) {
            kept = st.sorted().toList();
        }
        assertEquals(4, kept.size(), kept.toString());
        assertTrue(kept.stream().noneMatch(p -> p.getFileName().toString().contains("Doe")), "the client's file name is not used");
        List<JsonNode> notes = new ArrayList<>();
        for (Path p : kept) if (p.toString().endsWith(".json")) notes.add(ServeFixture.JSON.readTree(p.toFile()));
        Set<Integer> statuses = new HashSet<>();
        notes.forEach(n -> statuses.add(n.path("status").asInt()));
        assertEquals(Set.of(200, 400), statuses);
        assertTrue(kept.stream().anyMatch(p -> p.toString().endsWith(".jpg") || p.toString().endsWith(".png")));
    }

    @Test
    void serveCommandRefusesBadOptions() {
        java.io.PrintStream err = System.err;
        try {
            System.setErr(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            assertEquals(2, Main.commandLine().execute("serve", "--run", run.toString(), "--max-upload-mb", "0"));
            assertEquals(2, Main.commandLine().execute("serve", "--run", run.toString(), "--workers", "0"));
            assertEquals(2, Main.commandLine().execute("serve", "--run", run.toString(), "--port", "70000"));
        } finally {
            System.setErr(err);
        }
    }
}
