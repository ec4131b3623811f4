package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.Film;
import org.pneumoscope.api.Prediction;
import org.pneumoscope.core.Label;
import org.pneumoscope.pipeline.TrainedModel;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Concurrent uploads share forward passes, and each still gets its own film's answer. */
class ServerBatchingTest {
    @Test
    void concurrentPredictionsShareForwardPassesAndKeepTheirOwnAnswers() throws Exception {
        Path run = ServeFixture.run();
        List<byte[]> films = new ArrayList<>();
        for (int i = 0; i < 8; i++)
            films.add(ServeFixture.png(new org.pneumoscope.synth.PhantomGenerator()
                    .render(Label.of(i % 3), 96, new java.util.Random(100 + i)).image()));
        ExecutorService clients = Executors.newFixedThreadPool(films.size());
        try (TrainedModel model = TrainedModel.load(run);
             PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(run).host("127.0.0.1").port(0).workers(2)
                     .queue(16).batchWaitMs(200).maxBatch(16).build(), model)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (byte[] f : films)
                answers.add(clients.submit(() -> {
                    go.await();
                    return ServeFixture.send(ServeFixture.client(),
                            ServeFixture.upload(s, "cam=false&tta=false", MultipartBody.image(f)));
                }));
            go.countDown();
            Classifier alone = Classifier.of(model).withTta(false);
            for (int i = 0; i < films.size(); i++) {
                HttpResponse<String> r = answers.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                JsonNode body = ServeFixture.json(r);
                Prediction expected = alone.predict(Film.of(films.get(i), "film " + i));
                for (Label l : Label.values())
                    assertEquals(expected.probability(l), body.path("probabilities").path(l.id()).asDouble(), 1e-5, "film " + i + " " + l);
            }
            JsonNode b = ServeFixture.json(ServeFixture.get(s, "api/health")).path("batching");
            assertEquals(16, b.path("max_batch").asInt(), b.toString());
            assertTrue(b.path("passes").asLong() < films.size(), "uploads shared passes: " + b);
            assertTrue(b.path("mean_films_per_pass").asDouble() > 1, b.toString());
        } finally {
            clients.shutdownNow();
        }
    }
}
