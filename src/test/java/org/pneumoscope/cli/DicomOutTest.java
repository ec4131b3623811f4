package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.api.TinyRun;
import org.pneumoscope.dicom.DicomAnswer;
import org.pneumoscope.dicom.DicomTools;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.serve.MultipartBody;
import org.pneumoscope.serve.PneumoscopeServer;
import org.pneumoscope.serve.ServerConfig;

import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code predict --dicom-out} and {@code watch}: valid objects in the films' studies, non-DICOM films listed or
 * refused with the REST API's error, and no patient name in anything printed.
 */
class DicomOutTest {
    static final String[] TOOLS = {"img2dcm", "dcmdjpeg", "dcmconv", "dcmdump", "dsrdump", "dsr2xml", "dciodvfy"};
    @TempDir
    static Path tmp;
    static Path run;

    @BeforeAll
    static void makeRun() throws Exception {
        run = TinyRun.make(tmp.resolve("run"), Map.of("size", 64), true);
    }

    @Test
    void predictWritesBothObjectsPerDicomFilmAndListsTheOthers() throws Exception {
        DicomTools.assumeInstalled(TOOLS);
        Path films = tmp.resolve("predict-in"), out = tmp.resolve("predict-out");
        Path a = DicomTools.film(films, "jpeg", 7), b = DicomTools.film(films, "explicit", 8);
        png(films.resolve("export.png"));
        CliRun r = CliRun.of("predict", "--run", run.toString(), "--dicom-out", out.toString(), films.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.err().contains("DICOM answers (SR + Grad-CAM SC) for 2 of 3"), r.err());
        assertTrue(r.err().contains("export.png: " + DicomAnswer.NOT_DICOM), r.err());
        for (Path film : List.of(a, b)) {
            String base = DicomAnswer.base(film.toString());
            String row = r.out().lines().filter(l -> l.startsWith(film + ",")).findFirst().orElseThrow();
            String[] f = row.split(",");
            float[] p = {Float.parseFloat(f[2]), Float.parseFloat(f[3]), Float.parseFloat(f[4])};
            DicomTools.checkAnswer(film, out.resolve(base + "_sr.dcm"), out.resolve(base + "_sc.dcm"), p, "predict " + base);
        }
        assertNoPatient(r.all());

        CliRun again = CliRun.of("predict", "--run", run.toString(), "--dicom-out", out.toString(), a.toString());
        assertEquals(0, again.code(), again.all());
        String base = DicomAnswer.base(a.toString());
        assertTrue(Files.exists(out.resolve(base + "_sr-2.dcm")) && Files.exists(out.resolve(base + "_sc-2.dcm")),
                "a second answer is written beside the first, which stays");
    }

    @Test
    void watchAnswersFilmsAndRefusesOthersWithTheRestApisError() throws Exception {
        DicomTools.assumeInstalled(TOOLS);
        Path in = tmp.resolve("watch-in"), out = tmp.resolve("watch-out");
        Path film = DicomTools.film(in, "implicit", 9);
        byte[] dicom = Files.readAllBytes(film);
        png(in.resolve("export.png"));
        Files.write(in.resolve("empty.dcm"), new byte[0]);
        Files.write(in.resolve("cut.dcm"), Arrays.copyOf(dicom, 700));
        Map<String, byte[]> refused = Map.of("export.png", Files.readAllBytes(in.resolve("export.png")),
                "empty.dcm", new byte[0], "cut.dcm", Arrays.copyOf(dicom, 700));

        CliRun r = CliRun.of("watch", in.toString(), "--run", run.toString(), "--dicom-out", out.toString(), "--once");
        assertEquals(1, r.code(), "some films were refused: " + r.all());
        String base = DicomAnswer.base(film.toString());
        Path done = in.resolve("done").resolve(film.getFileName());
        assertTrue(Files.exists(done) && !Files.exists(film), "the answered film moves to IN/done: " + r.all());
        DicomTools.checkAnswer(done, out.resolve(base + "_sr.dcm"), out.resolve(base + "_sc.dcm"), probabilities(done),
                "watch");
        assertNoPatient(r.all());

        ObjectMapper json = new ObjectMapper();
        try (TrainedModel m = TrainedModel.load(run);
             PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(run).host("127.0.0.1").port(0).build(), m)) {
            for (Map.Entry<String, byte[]> e : refused.entrySet()) {
                Path moved = in.resolve("refused").resolve(e.getKey());
                assertTrue(Files.exists(moved) && !Files.exists(in.resolve(e.getKey())), e.getKey() + " moves to IN/refused");
                JsonNode error = json.readTree(in.resolve("refused").resolve(e.getKey() + ".error.json").toFile());
                HttpResponse<String> api = post(s, e.getValue());
                JsonNode body = json.readTree(api.body());
                assertEquals(api.statusCode(), error.path("status").asInt(), e.getKey());
                assertEquals(body.path("error").asText(), error.path("error").asText(), e.getKey());
                assertEquals(body.path("detail").asText(),
                        error.path("detail").asText(), e.getKey() + ": the REST API's words");
            }
        }
    }

    /** The probabilities the run gives the film, through predict's CSV. */
    static float[] probabilities(Path film) {
        CliRun r = CliRun.of("predict", "--run", run.toString(), film.toString());
        String[] f = r.out().lines().filter(l -> l.startsWith(film + ",")).findFirst().orElseThrow().split(",");
        return new float[] {Float.parseFloat(f[2]), Float.parseFloat(f[3]), Float.parseFloat(f[4])};
    }

    static HttpResponse<String> post(PneumoscopeServer s, byte[] bytes) throws Exception {
        MultipartBody body = MultipartBody.image(bytes);
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.url() + "api/predict?format=dicom"))
                .header("Content-Type", body.contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void png(Path file) throws Exception {
        BufferedImage bi = new BufferedImage(96, 96, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 96; y++) for (int x = 0; x < 96; x++) bi.getRaster().setSample(x, y, 0, (x * 7 + y * 3) & 0xff);
        ImageIO.write(bi, "png", file.toFile());
    }

    static void assertNoPatient(String printed) {
        for (String secret : List.of(DicomTools.PATIENT, "Doe", DicomTools.PATIENT_ID))
            assertFalse(printed.contains(secret), "nothing printed names the patient");
    }
}
