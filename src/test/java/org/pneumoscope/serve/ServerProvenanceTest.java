package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.Fingerprints;
import org.pneumoscope.data.Sample;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A trained and evaluated run says what made it in model.json, metrics.json and test/metrics.json, with fingerprints
 * anyone can recompute from the run folder; the server's model card shows the model's and its own.
 */
class ServerProvenanceTest {
    static final List<String> FIELDS = List.of("pneumoscope_version", "git_commit", "git_dirty", "djl_version",
            "pytorch_version", "config_sha256", "manifest_sha256", "manifest_images");

    @Test
    void theRunsFilesAndTheModelCardSayWhatMadeThem() throws Exception {
        Path run = ServeFixture.run();
        RunFolder rf = new RunFolder(run);
        JsonNode model = RunFolder.JSON.readTree(rf.modelJson().toFile()).path("provenance");
        JsonNode history = RunFolder.JSON.readTree(rf.metricsJson().toFile()).path("provenance");
        JsonNode test = RunFolder.JSON.readTree(rf.testDir().resolve("metrics.json").toFile()).path("provenance");
        for (JsonNode p : List.of(model, history, test))
            for (String f : FIELDS) assertTrue(p.has(f) && !p.get(f).asText().isBlank(), f + " missing in " + p);

        // recomputed from the run folder: the config it stored and the training films its split names
        TrainConfig cfg = TrainConfig.fromMap(TrainConfig.readYaml(rf.config()));
        List<Sample> all = DatasetReader.read(rf.split()).samples();
        List<Sample> train = all.stream().filter(s -> "train".equals(s.split())).toList();
        List<Sample> tested = all.stream().filter(s -> "test".equals(s.split())).toList();
        assertEquals(cfg.fingerprint(), model.path("config_sha256").asText());
        assertEquals(Fingerprints.manifest(train), model.path("manifest_sha256").asText());
        assertEquals(train.size(), model.path("manifest_images").asInt());
        assertEquals(model, history, "the training history names the same software, config and films");
        assertEquals(Fingerprints.manifest(tested), test.path("manifest_sha256").asText(), "evaluate names the films it scored");
        assertEquals(cfg.fingerprint(), test.path("config_sha256").asText());
        assertEquals(model, test.path("model"), "evaluate repeats the model's own provenance");

        try (TrainedModel m = TrainedModel.load(run);
             PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(run).host("127.0.0.1").port(0).build(), m)) {
            JsonNode card = ServeFixture.json(ServeFixture.get(s, "api/model"));
            assertEquals(model, card.path("provenance"));
            JsonNode served = card.path("served_by");
            assertEquals(model.path("pneumoscope_version"), served.path("pneumoscope_version"));
            assertEquals(model.path("djl_version"), served.path("djl_version"));
            assertFalse(served.has("manifest_sha256"), "the server has no films of its own to name");
        }
    }
}
