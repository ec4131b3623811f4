package org.pneumoscope.train;

import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.BuildInfo;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Fingerprints;
import org.pneumoscope.data.Sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What model.json and metrics.json say made them: every field filled in, and fingerprints that follow their inputs. */
class ProvenanceTest {
    @TempDir Path dir;

    /** The project's version ("version") or a property of pom.xml, so no version is written twice. */
    static String pom(String name) throws Exception {
        org.w3c.dom.Element project = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(Path.of("pom.xml").toFile()).getDocumentElement();
        org.w3c.dom.Element parent = name.equals("version") ? project
                : (org.w3c.dom.Element) project.getElementsByTagName("properties").item(0);
        for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling())
            if (n.getNodeName().equals(name)) return n.getTextContent().trim();
        throw new AssertionError("pom.xml has no " + name);
    }

    List<Sample> films(String... contents) throws Exception {
        List<Sample> s = new ArrayList<>();
        for (int i = 0; i < contents.length; i++) {
            Path f = dir.resolve("f" + i + ".png");
            Files.writeString(f, contents[i]);
            s.add(new Sample(f, Label.of(i % Label.COUNT), "p" + i, "train"));
        }
        return s;
    }

    @Test
    void everyFieldIsFilledInFromTheBuildAndTheEngine() throws Exception {
        TrainConfig cfg = Presets.resolve("cpu", Map.of());
        Map<String, Object> p = Provenance.of(cfg, films("a", "b", "c")).toMap();
        assertEquals(List.of("pneumoscope_version", "git_commit", "git_dirty", "djl_version", "pytorch_version",
                "config_sha256", "manifest_sha256", "manifest_images"), new ArrayList<>(p.keySet()));
        assertEquals(pom("version"), p.get("pneumoscope_version"), "the version comes from the pom");
        assertEquals(pom("djl.version"), p.get("djl_version"));
        assertEquals(pom("pytorch.version"), p.get("pytorch_version"));
        if (Files.exists(Path.of(".git"))) {
            assertTrue(String.valueOf(p.get("git_commit")).matches("[0-9a-f]{40}"), "commit of a checkout: " + p.get("git_commit"));
            assertTrue(p.get("git_dirty") instanceof Boolean, "a checkout's build says whether it was modified");
        } else {
            assertEquals(BuildInfo.UNKNOWN, p.get("git_commit"), "outside a checkout the commit is unknown, not invented");
        }
        assertTrue(String.valueOf(p.get("config_sha256")).matches("[0-9a-f]{64}"));
        assertTrue(String.valueOf(p.get("manifest_sha256")).matches("[0-9a-f]{64}"));
        assertEquals(3, p.get("manifest_images"));
        assertEquals(Engine.getDjlVersion(), p.get("djl_version"));
    }

    @Test
    void theManifestFingerprintFollowsContentsAndLabelsNotNamesOrOrder() throws Exception {
        List<Sample> s = films("alpha", "beta", "gamma");
        String base = Fingerprints.manifest(s);
        assertEquals(base, Fingerprints.manifest(List.of(s.get(2), s.get(0), s.get(1))), "order does not matter");
        Path moved = Files.move(s.get(0).file(), dir.resolve("elsewhere.png"));
        List<Sample> renamed = new ArrayList<>(s);
        renamed.set(0, new Sample(moved, s.get(0).label(), "other", "val"));
        assertEquals(base, Fingerprints.manifest(renamed), "names, patients and splits do not matter");

        Files.writeString(moved, "alphA");
        assertNotEquals(base, Fingerprints.manifest(renamed), "one changed byte changes it");
        Files.writeString(moved, "alpha");
        assertEquals(base, Fingerprints.manifest(renamed));

        List<Sample> relabelled = new ArrayList<>(renamed);
        relabelled.set(1, new Sample(s.get(1).file(), Label.NORMAL, "p1", "train"));
        assertNotEquals(base, Fingerprints.manifest(relabelled), "a changed label changes it");
        assertNotEquals(base, Fingerprints.manifest(renamed.subList(0, 2)), "a missing film changes it");

        // the same rule as sha256sum + sort, so anyone can recompute it
        StringBuilder lines = new StringBuilder();
        renamed.stream().map(x -> sha(x.file()) + " " + x.label().id() + "\n").sorted().forEach(lines::append);
        assertEquals(Fingerprints.sha256(lines.toString().getBytes()), base);
    }

    static String sha(Path f) {
        try {
            return Fingerprints.sha256(f);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theConfigFingerprintFollowsValuesNotHowTheyWereWritten() throws Exception {
        TrainConfig cfg = Presets.resolve("cpu", Map.of("lr", 0.001));
        String base = cfg.fingerprint();
        assertEquals(base, TrainConfig.fromMap(cfg.toMap()).fingerprint());
        Path yaml = dir.resolve("config.yaml");
        Files.writeString(yaml, cfg.toYaml());
        assertEquals(base, TrainConfig.fromMap(TrainConfig.readYaml(yaml)).fingerprint(), "the YAML round trip keeps it");
        assertEquals(base, Presets.resolve("cpu", Map.of("lr", "1e-3")).fingerprint(), "1e-3 and 0.001 are one value");
        assertNotEquals(base, cfg.with("lr", 0.002).fingerprint());
        assertNotEquals(base, cfg.with("norm", "group").fingerprint());
        assertNotEquals(base, cfg.with("seed", cfg.seed() + 1).fingerprint());
    }
}
