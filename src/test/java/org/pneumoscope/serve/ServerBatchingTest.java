package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.pipeline.TrainedModel;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The REST API under concurrent load: requests share forward passes (the health endpoint shows passes of several
 * films), each answer is the one its own image gets alone, and a bad upload among them fails only its own request.
 */
class ServerBatchingTest {
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

    /** What the model says about an upload alone, without the batcher (decode, fit, one pass, calibrated). */
    static float[] expected(byte[] bytes) throws Exception {
        GreyImage g = model.recipe().fit(ImageDecoder.decode(bytes, "x"));
        return model.probabilities(List.of(g), false)[0];
    }

    @Test
    void concurrentRequestsShareForwardPassesAndGetTheirOwnAnswers() throws Exception {
        int n = 12;
        byte[] blank = ServeFixture.png(new GreyImage(96, 96, new byte[96 * 96])); // decodes, but no door takes it
        byte[] truncated = Arrays.copyOf(xrays.get(0), 40);
        ServerConfig cfg = ServerConfig.builder(run).host("127.0.0.1").port(0).workers(1).queue(n + 2)
                .batchWait(Duration.ofMillis(300)).maxBatch(n).build();
        try (PneumoscopeServer s = PneumoscopeServer.start(cfg, model)) {
            HttpClient c = ServeFixture.client();
            // a request runs at once unless another came within the wait; this one makes the next ones wait for company
            assertEquals(200, ServeFixture.send(c, ServeFixture.upload(s, "cam=false", MultipartBody.image(xrays.get(0)))).statusCode());
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] body = i == 5 ? blank : i == 9 ? truncated : xrays.get(i % xrays.size());
                HttpRequest r = ServeFixture.upload(s, "cam=" + (i % 3 == 0) + "&tta=false", MultipartBody.image(body));
                answers.add(c.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < n; i++) {
                HttpResponse<String> r = answers.get(i).get(300, TimeUnit.SECONDS);
                if (i == 5) {
                    ServerApiTest.assertError(r, 422, "unusable_image");
                } else if (i == 9) {
                    ServerApiTest.assertError(r, 400, "corrupt_image");
                } else {
                    assertEquals(200, r.statusCode(), "request " + i + ": " + r.body());
                    JsonNode j = ServeFixture.json(r);
                    float[] want = expected(xrays.get(i % xrays.size()));
                    for (org.pneumoscope.core.Label l : org.pneumoscope.core.Label.values())
                        assertEquals(want[l.index()], j.path("probabilities").path(l.id()).asDouble(), 1e-5, "request " + i + " " + l.id());
                    assertEquals(i % 3 == 0, j.has("cam_png"), "request " + i);
                }
            }
            JsonNode h = ServeFixture.json(ServeFixture.get(s, "api/health"));
            JsonNode b = h.path("batches");
            assertEquals(1 + n - 2, b.path("films").asInt(), b.toString()); // the two bad uploads never reached the network
            assertTrue(b.path("max_size").asInt() > 1, "a pass held several films: " + b);
            assertTrue(b.path("passes").asInt() < 1 + n - 2, b.toString());
            assertEquals(0, h.path("internal_errors").asInt());
            assertEquals(0, h.path("in_flight").asInt());
            assertEquals(s.batchStats().films(), b.path("films").asLong());
            JsonNode m = ServeFixture.json(ServeFixture.get(s, "api/model")).path("server");
            assertEquals(n, m.path("max_batch").asInt());
            assertEquals(300.0, m.path("batch_wait_ms").asDouble(), 1e-9);
        }
    }
}
