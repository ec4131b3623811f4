package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.api.BatchStats;
import org.pneumoscope.api.TinyRun;
import org.pneumoscope.core.Label;
import org.pneumoscope.dicom.DicomAnswer;
import org.pneumoscope.dicom.DicomTools;
import org.pneumoscope.pipeline.TrainedModel;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /api/predict?format=dicom}: the SR and the Grad-CAM SC of a DICOM film, and nothing identifying in the log. */
class ServerDicomTest {
    @TempDir
    static Path tmp;
    static TrainedModel model;

    @BeforeAll
    static void load() throws Exception {
        model = TrainedModel.load(TinyRun.make(tmp.resolve("run"), Map.of("size", 64), true));
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void answersADicomFilmWithBothObjectsAndLogsNoPatient() throws Exception {
        DicomTools.assumeInstalled("img2dcm", "dcmdjpeg", "dcmconv", "dcmdump", "dsrdump", "dsr2xml", "dciodvfy");
        Path film = DicomTools.film(tmp.resolve("films"), "implicit", 4);
        byte[] bytes = Files.readAllBytes(film);
        ByteArrayOutputStream log = new ByteArrayOutputStream(), console = new ByteArrayOutputStream();
        PrintStream out = System.out, err = System.err;
        PrintStream captured = new PrintStream(console, true, StandardCharsets.UTF_8);
        System.setOut(captured);
        System.setErr(captured);
        try (PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(tmp.resolve("run")).host("127.0.0.1").port(0)
                .log(new PrintStream(log, true, StandardCharsets.UTF_8)).build(), model)) {
            var client = ServeFixture.client();
            HttpResponse<byte[]> r = client.send(ServeFixture.upload(s, "format=dicom&tta=false", MultipartBody.image(bytes)),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
            String type = r.headers().firstValue("Content-Type").orElse("");
            assertTrue(type.startsWith("multipart/related") && type.contains("application/dicom"), type);
            List<byte[]> parts = parts(r.body(), type.substring(type.indexOf("boundary=") + 9));
            assertEquals(2, parts.size());
            Path sr = Files.write(tmp.resolve("sr.dcm"), parts.get(0)), sc = Files.write(tmp.resolve("sc.dcm"), parts.get(1));

            JsonNode json = ServeFixture.json(ServeFixture.send(client, ServeFixture.upload(s, "cam=false&tta=false",
                    MultipartBody.image(bytes))));
            float[] p = new float[Label.COUNT];
            for (Label l : Label.values()) p[l.index()] = (float) json.path("probabilities").path(l.id()).asDouble();
            DicomTools.checkAnswer(film, sr, sc, p, "serve");

            HttpResponse<String> png = ServeFixture.send(client, ServeFixture.upload(s, "format=dicom",
                    MultipartBody.image(ServeFixture.xrays(1).get(0))));
            assertEquals(415, png.statusCode(), png.body());
            assertEquals("unsupported_format", ServeFixture.json(png).path("error").asText());
            assertEquals(DicomAnswer.NOT_DICOM, ServeFixture.json(png).path("detail").asText());
            HttpResponse<String> bad = ServeFixture.send(client, ServeFixture.upload(s, "format=xml", MultipartBody.image(bytes)));
            assertEquals(400, bad.statusCode(), bad.body());
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        String all = log.toString(StandardCharsets.UTF_8) + console.toString(StandardCharsets.UTF_8);
        assertTrue(all.contains(" dicom"), "the log has the DICOM request: " + all);
        for (String secret : List.of(DicomTools.PATIENT, "Doe", DicomTools.PATIENT_ID))
            assertFalse(all.contains(secret), "the server's log and console name no patient");
    }

    @Test
    void concurrentDicomRequestsShareForwardPassesAndGetTheSequentialAnswers() throws Exception {
        DicomTools.assumeInstalled("img2dcm", "dcmdjpeg", "dsr2xml");
        List<byte[]> films = new ArrayList<>();
        for (int seed = 1; seed <= 4; seed++)
            films.add(Files.readAllBytes(DicomTools.film(tmp.resolve("concurrent"), "explicit", seed)));
        try (PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(tmp.resolve("run")).host("127.0.0.1").port(0)
                .workers(2).queue(16).batchWait(java.time.Duration.ofMillis(300)).maxBatch(8)
                .log(new PrintStream(OutputStream.nullOutputStream())).build(), model)) {
            var client = ServeFixture.client();
            List<Answer> sequential = new ArrayList<>();
            for (int i = 0; i < films.size(); i++) sequential.add(dicomAnswer(client, s, films.get(i), "seq" + i));
            BatchStats afterSequential = s.batchStats();
            assertEquals(films.size(), afterSequential.films(), "each DICOM answer's pass went through the batcher: " + afterSequential.toMap());

            int n = 2 * films.size();
            ExecutorService pool = Executors.newFixedThreadPool(n);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Answer>> got = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int k = i;
                    got.add(pool.submit(() -> {
                        go.await();
                        return dicomAnswer(client, s, films.get(k % films.size()), "par" + k);
                    }));
                }
                go.countDown();
                for (int i = 0; i < n; i++) {
                    Answer want = sequential.get(i % films.size()), a = got.get(i).get(120, TimeUnit.SECONDS);
                    assertEquals(want.finding(), a.finding(), "film " + i % films.size());
                    for (Map.Entry<String, Double> e : want.probabilities().entrySet())
                        assertEquals(e.getValue(), a.probabilities().get(e.getKey()), 1e-4, "film " + i % films.size() + " " + e.getKey());
                }
            } finally {
                pool.shutdownNow();
            }
            BatchStats concurrent = s.batchStats().since(afterSequential);
            assertEquals(n, concurrent.films(), concurrent.toMap().toString());
            assertTrue(concurrent.maxSize() > 1, "concurrent DICOM requests shared a pass: " + concurrent.toMap());
        }
    }

    private record Answer(String finding, Map<String, Double> probabilities) {}

    private static Answer dicomAnswer(java.net.http.HttpClient client, PneumoscopeServer s, byte[] film, String name) throws Exception {
        HttpResponse<byte[]> r = client.send(ServeFixture.upload(s, "format=dicom&tta=false", MultipartBody.image(film)),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        String type = r.headers().firstValue("Content-Type").orElse("");
        Path sr = Files.write(tmp.resolve(name + "-sr.dcm"), parts(r.body(), type.substring(type.indexOf("boundary=") + 9)).get(0));
        return new Answer(DicomTools.finding(sr), DicomTools.probabilities(sr));
    }

    /** The bodies of a multipart/related answer. */
    static List<byte[]> parts(byte[] body, String boundary) {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i + delimiter.length <= body.length; i++)
            if (Arrays.equals(body, i, i + delimiter.length, delimiter, 0, delimiter.length)) at.add(i);
        List<byte[]> out = new ArrayList<>();
        for (int k = 0; k + 1 < at.size(); k++) {
            int start = at.get(k) + delimiter.length;
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), start) + 4;
            out.add(Arrays.copyOfRange(body, headersEnd, at.get(k + 1) - 2)); // the CRLF before the delimiter
        }
        return out;
    }

    private static int indexOf(byte[] b, byte[] what, int from) {
        for (int i = from; i + what.length <= b.length; i++)
            if (Arrays.equals(b, i, i + what.length, what, 0, what.length)) return i;
        throw new AssertionError("no part headers end");
    }
}
