package org.pneumoscope.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.UserException;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.model.Arch;
import org.pneumoscope.model.Head;
import org.pneumoscope.train.RunFolder;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A run written before the model's architecture and head and the calibration method became enums (the fixture
 * {@code legacy-run}, made by that version; its README says how) still loads, reads as it was written, and is
 * written back in the same words.
 */
class LegacyRunTest {
    @TempDir Path tmp;

    private static java.util.Set<String> newer(Map<String, Object> written, Map<String, Object> stored) {
        java.util.Set<String> keys = new java.util.TreeSet<>(written.keySet());
        keys.removeAll(stored.keySet());
        return keys;
    }

    private Path copy() throws Exception {
        Path src = Path.of(LegacyRunTest.class.getResource("/legacy-run/model.json").toURI()).getParent();
        Path dst = tmp.resolve("run");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path t = dst.resolve(src.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(t); else Files.copy(f, t);
            }
        }
        return dst;
    }

    @Test
    void aRunFromBeforeTheEnumsLoadsWithItsOwnWords() throws Exception {
        Path run = copy();
        Map<String, Object> card = json(run.resolve("model.json"));
        try (TrainedModel m = TrainedModel.load(run)) {
            assertEquals(Arch.RESNET18, m.net().spec().arch());
            assertEquals(Head.SEED, m.net().spec().head());
            assertEquals(Arch.RESNET18, m.config().model());
            // the card says bias-corrected (fitted offsets all zero, so no class_bias): it must not read as another method
            assertEquals("bias-corrected", card.get("calibration_method"));
            assertEquals(Calibration.Method.BIAS_CORRECTED, m.calibration().method());
            assertEquals(100.0, m.calibration().temperature());
            // written back in the words the files hold
            assertEquals(header(run.resolve("model.params")), m.net().spec().encode());
            @SuppressWarnings("unchecked") Map<String, Object> stored = (Map<String, Object>) card.get("config");
            Map<String, Object> written = m.config().toMap();
            for (Map.Entry<String, Object> e : stored.entrySet())
                assertEquals(RunFolder.JSON.writeValueAsString(e.getValue()), RunFolder.JSON.writeValueAsString(written.get(e.getKey())), e.getKey());
            // keys newer than the run read as their defaults, which is what the run did before they existed
            assertEquals(java.util.Set.of("detail", "upweight", "upweight_epoch", "upweight_factor", "mixstyle"), newer(written, stored));
            assertEquals("keep", written.get("detail"));
            assertEquals("none", written.get("upweight"));
            assertEquals(card.get("calibration_method"), m.calibration().method().id());
            float[][] p = m.probabilities(java.util.List.of(gradient(64)), false);
            assertEquals(1.0, p[0][0] + p[0][1] + p[0][2], 1e-5);
        }
        Map<String, Object> metrics = json(run.resolve("test/metrics.json"));
        assertEquals(Calibration.Method.TEMPERATURE,
                Calibration.parse(String.valueOf(metrics.get("calibration_method")), "metrics.json"));
    }

    @Test
    void anUnknownCalibrationMethodIsRefusedNamingTheFileAndTheMethods() throws Exception {
        Path run = copy();
        replace(run.resolve("model.json"), "\"calibration_method\" : \"bias-corrected\"", "\"calibration_method\" : \"platt\"");
        UserException e = assertThrows(UserException.class, () -> TrainedModel.load(run).close());
        assertTrue(e.getMessage().contains(run.resolve("model.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("'platt'") && e.getMessage().contains("temperature, bias-corrected or none"), e.getMessage());
    }

    @Test
    void anUnknownArchitectureInTheCheckpointIsRefusedNamingTheFileAndTheArchitectures() throws Exception {
        Path run = copy();
        byte[] b = Files.readAllBytes(run.resolve("model.params"));
        String s = new String(b, StandardCharsets.ISO_8859_1).replaceFirst("arch=resnet18", "arch=resnet99");
        Files.write(run.resolve("model.params"), s.getBytes(StandardCharsets.ISO_8859_1));
        UserException e = assertThrows(UserException.class, () -> TrainedModel.load(run).close());
        assertTrue(e.getMessage().contains(run.resolve("model.params").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("'resnet99'") && e.getMessage().contains("resnet18, resnet34, resnet50"), e.getMessage());
    }

    private static GreyImage gradient(int side) {
        byte[] px = new byte[side * side];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i % side * 4);
        return new GreyImage(side, side, px);
    }

    /** The model description in a checkpoint's header: magic, format, then the description (DataOutput UTF strings). */
    private static String header(Path params) throws IOException {
        try (InputStream in = Files.newInputStream(params); DataInputStream d = new DataInputStream(in)) {
            d.readUTF();
            d.readInt();
            return d.readUTF();
        }
    }

    private static Map<String, Object> json(Path f) throws IOException {
        return RunFolder.JSON.readValue(f.toFile(), new com.fasterxml.jackson.core.type.TypeReference<>() {});
    }

    private static void replace(Path f, String from, String to) throws IOException {
        String s = Files.readString(f);
        assertTrue(s.contains(from), "fixture holds " + from);
        Files.writeString(f, s.replace(from, to));
    }
}
