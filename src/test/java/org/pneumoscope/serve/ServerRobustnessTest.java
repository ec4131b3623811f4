package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.data.Preprocess;
import org.pneumoscope.pipeline.TrainedModel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The server under hostile or careless clients, on loopback, bounded in count and time: a slow-loris upload (a few
 * bytes every 100 ms) and a client that goes silent mid-upload, while health checks keep being answered; a burst of
 * 200 requests against one worker; clients that disconnect mid-upload. Afterwards no admission slot is leaked, a
 * real prediction is still exact, and the process's resident memory has not grown by more than 300 MB.
 */
class ServerRobustnessTest {
    static Path run;
    static TrainedModel model;
    static List<byte[]> xrays;
    static long rssBeforeKb;
    static final Map<String, String> FIGURES = new TreeMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        run = ServeFixture.run();
        model = TrainedModel.load(run);
        xrays = ServeFixture.xrays(3);
        // one prediction first, so the model's native memory and the JIT are part of the baseline
        try (PneumoscopeServer s = server(ServerConfig.builder(run).workers(1).queue(2))) {
            assertEquals(200, predict(s, xrays.get(0)).statusCode());
        }
        System.gc();
        rssBeforeKb = rssKb();
    }

    @AfterAll
    static void tearDown() throws Exception {
        System.gc();
        long after = rssKb();
        FIGURES.put("rss", String.format(Locale.ROOT, "RSS before %.0f MB, after %.0f MB (growth %.0f MB)",
                rssBeforeKb / 1024.0, after / 1024.0, (after - rssBeforeKb) / 1024.0));
        FIGURES.forEach((k, v) -> System.out.println("server robustness: " + k + ": " + v));
        if (model != null) model.close();
        if (rssBeforeKb > 0) assertTrue(after - rssBeforeKb < 300 * 1024, FIGURES.get("rss"));
    }

    /** Resident set size of this JVM (Linux), in KiB; 0 where /proc is missing. */
    static long rssKb() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) return 0;
        for (String line : Files.readAllLines(status))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D+", ""));
        return 0;
    }

    static PneumoscopeServer server(ServerConfig.Builder b) throws Exception {
        return PneumoscopeServer.start(b.host("127.0.0.1").port(0).build(), model);
    }

    static HttpResponse<String> predict(PneumoscopeServer s, byte[] img) throws Exception {
        return ServeFixture.send(ServeFixture.client(), ServeFixture.upload(s, "cam=false", MultipartBody.image(img)));
    }

    static JsonNode health(PneumoscopeServer s) throws Exception {
        HttpResponse<String> r = ServeFixture.get(s, "api/health");
        assertEquals(200, r.statusCode(), r.body());
        return ServeFixture.json(r);
    }

    /** Waits (bounded) until no request holds an admission slot: none was leaked by a client that went away. */
    static void assertSlotsFreed(PneumoscopeServer s, long withinMs) throws Exception {
        long end = System.currentTimeMillis() + withinMs;
        JsonNode h = health(s);
        while (h.path("in_flight").asInt() != 0 && System.currentTimeMillis() < end) {
            Thread.sleep(100);
            h = health(s);
        }
        assertEquals(0, h.path("in_flight").asInt(), "admission slots leaked: " + h);
    }

    /** A real prediction still gives exactly what the model says. */
    static void assertPredictsCorrectly(PneumoscopeServer s) throws Exception {
        byte[] img = xrays.get(1);
        HttpResponse<String> r = predict(s, img);
        assertEquals(200, r.statusCode(), r.body());
        GreyImage g = Preprocess.resize(ImageDecoder.decode(img, "x"), model.config().size(), model.resizeMode());
        float[] want = model.probabilities(List.of(g), false)[0];
        JsonNode p = ServeFixture.json(r).path("probabilities");
        for (Label l : Label.values()) assertEquals(want[l.index()], p.path(l.id()).asDouble(), 1e-4, l.id());
    }

    static final String BOUNDARY = "----robustness5f3a";

    /** Request line, headers and the part's own headers of a multipart upload claiming {@code length} body bytes. */
    static byte[] uploadHead(PneumoscopeServer s, long length) {
        return ("POST /api/predict?cam=false HTTP/1.1\r\nHost: 127.0.0.1:" + s.port() + "\r\n"
                + "Content-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\nContent-Length: " + length + "\r\n\r\n"
                + "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    static Socket connect(PneumoscopeServer s) throws IOException {
        Socket sock = new Socket();
        sock.connect(new InetSocketAddress("127.0.0.1", s.port()), 5000);
        return sock;
    }

    /** What became of a trickling or silent client: how long until the server ended it, and how. */
    record Ending(double seconds, String how) {}

    /**
     * Sends {@code bytesPerTick} bytes every 100 ms (0: nothing after the headers) until the server answers or drops
     * the connection, for at most {@code limitMs}.
     */
    static Ending trickle(PneumoscopeServer s, int bytesPerTick, long limitMs) throws Exception {
        long t0 = System.nanoTime();
        try (Socket sock = connect(s)) {
            sock.setSoTimeout(100);
            OutputStream out = sock.getOutputStream();
            InputStream in = sock.getInputStream();
            out.write(uploadHead(s, 200_000));
            out.flush();
            byte[] chunk = new byte[Math.max(1, bytesPerTick)];
            java.util.Arrays.fill(chunk, (byte) 'x');
            while ((System.nanoTime() - t0) / 1e6 < limitMs) {
                if (bytesPerTick > 0) {
                    try {
                        out.write(chunk, 0, bytesPerTick);
                        out.flush();
                    } catch (IOException e) {
                        return new Ending((System.nanoTime() - t0) / 1e9, "connection dropped (" + e.getClass().getSimpleName() + ")");
                    }
                }
                try {
                    byte[] buf = new byte[512];
                    int n = in.read(buf);
                    if (n < 0) return new Ending((System.nanoTime() - t0) / 1e9, "connection closed");
                    String answer = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                    sock.setSoTimeout(2000);
                    try {
                        for (int k; answer.length() < 4096 && (k = in.read(buf)) > 0; ) answer += new String(buf, 0, k, StandardCharsets.ISO_8859_1);
                    } catch (IOException e) {
                        // the server closed after answering
                    }
                    String body = answer.contains("\r\n\r\n") ? answer.substring(answer.indexOf("\r\n\r\n") + 4).strip() : "";
                    return new Ending((System.nanoTime() - t0) / 1e9, "answered " + answer.lines().findFirst().orElse("?")
                            + (body.isEmpty() ? "" : " " + body));
                } catch (SocketTimeoutException e) {
                    // nothing yet: keep trickling
                } catch (IOException e) {
                    return new Ending((System.nanoTime() - t0) / 1e9, "connection reset");
                }
            }
            return new Ending((System.nanoTime() - t0) / 1e9, "still open after " + limitMs + " ms");
        }
    }

    @Test
    void slowLorisAndSilentUploadsAreCutOffWhileHealthChecksAreAnswered() throws Exception {
        try (PneumoscopeServer s = server(ServerConfig.builder(run).workers(1).queue(2).idleTimeout(Duration.ofSeconds(2)))) {
            AtomicReference<Ending> slow = new AtomicReference<>(), silent = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread a = new Thread(() -> {
                try { slow.set(trickle(s, 4, 30_000)); } catch (Throwable t) { failure.set(t); }
            }, "slow-loris");
            Thread b = new Thread(() -> {
                try { silent.set(trickle(s, 0, 30_000)); } catch (Throwable t) { failure.set(t); }
            }, "silent-client");
            a.start();
            b.start();
            // meanwhile the server answers health checks promptly
            int checks = 0;
            double slowestMs = 0;
            int maxInFlight = 0;
            while ((a.isAlive() || b.isAlive()) && checks < 200) {
                long t0 = System.nanoTime();
                JsonNode h = health(s);
                slowestMs = Math.max(slowestMs, (System.nanoTime() - t0) / 1e6);
                maxInFlight = Math.max(maxInFlight, h.path("in_flight").asInt());
                checks++;
                Thread.sleep(200);
            }
            a.join(40_000);
            b.join(40_000);
            assertNull(failure.get());
            FIGURES.put("slow-loris", String.format(Locale.ROOT, "4 bytes/100 ms: %s after %.1f s; silent client: %s after %.1f s; "
                    + "%d health checks meanwhile, slowest %.0f ms, at most %d upload(s) admitted", slow.get().how(), slow.get().seconds(),
                    silent.get().how(), silent.get().seconds(), checks, slowestMs, maxInFlight));
            assertFalse(slow.get().how().startsWith("still open"), "the trickling client must be cut off: " + FIGURES.get("slow-loris"));
            assertFalse(silent.get().how().startsWith("still open"), "the silent client must be cut off: " + FIGURES.get("slow-loris"));
            assertTrue(silent.get().seconds() < 15, "idle timeout of 2 s: " + silent.get());
            // cut off with a reason, if the client is still there to read it
            assertTrue(slow.get().how().contains("408") && slow.get().how().contains("upload_too_slow")
                    || !slow.get().how().startsWith("answered"), slow.get().how());
            assertTrue(silent.get().how().contains("408") && silent.get().how().contains("upload_timeout")
                    || !silent.get().how().startsWith("answered"), silent.get().how());
            assertTrue(checks >= 3, "health was checked while the slow clients were connected");
            assertTrue(slowestMs < 5000, "health stays responsive: " + slowestMs + " ms");
            assertSlotsFreed(s, 5000);
            assertPredictsCorrectly(s);
        }
    }

    @Test
    void aBurstOf200RequestsGets200Or503AndTheServerRecovers() throws Exception {
        try (PneumoscopeServer s = server(ServerConfig.builder(run).workers(1).queue(4))) {
            HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(20)).build();
            List<CompletableFuture<HttpResponse<String>>> predictions = new ArrayList<>(), checks = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                if (i % 4 == 0) {
                    MultipartBody body = MultipartBody.image(xrays.get(i % xrays.size()));
                    predictions.add(c.sendAsync(ServeFixture.upload(s, "cam=false", body), HttpResponse.BodyHandlers.ofString()));
                } else {
                    checks.add(c.sendAsync(HttpRequest.newBuilder(java.net.URI.create(s.url() + "api/health"))
                            .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString()));
                }
            }
            CompletableFuture.allOf(predictions.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
            CompletableFuture.allOf(checks.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - t0) / 1e9;
            int ok = 0, busy = 0;
            for (CompletableFuture<HttpResponse<String>> f : predictions) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 200) ok++;
                else {
                    assertEquals(503, r.statusCode(), r.body());
                    assertEquals("busy", ServeFixture.json(r).path("error").asText());
                    assertTrue(r.headers().firstValue("Retry-After").isPresent());
                    busy++;
                }
            }
            for (CompletableFuture<HttpResponse<String>> f : checks) assertEquals(200, f.get().statusCode());
            FIGURES.put("burst", String.format(Locale.ROOT, "200 requests (150 health, 50 predictions) in %.1f s: "
                    + "predictions %d answered 200, %d refused 503 busy with Retry-After; health 150 x 200", seconds, ok, busy));
            assertTrue(ok >= 1, FIGURES.get("burst"));
            assertSlotsFreed(s, 10_000);
            assertEquals(ok + 1, predictCountAfter(s));
        }
    }

    /** Makes one more prediction (checked) and returns the server's count of served predictions. */
    static int predictCountAfter(PneumoscopeServer s) throws Exception {
        assertPredictsCorrectly(s);
        return health(s).path("served").asInt();
    }

    @Test
    void clientsDisconnectingMidUploadLeaveNoTrace() throws Exception {
        try (PneumoscopeServer s = server(ServerConfig.builder(run).workers(1).queue(4).idleTimeout(Duration.ofSeconds(2)))) {
            byte[] half = new byte[64 * 1024];
            new java.util.Random(1).nextBytes(half);
            int n = 20;
            for (int i = 0; i < n; i++) {
                Socket sock = connect(s);
                OutputStream out = sock.getOutputStream();
                out.write(uploadHead(s, 2_000_000));
                out.write(half);
                out.flush();
                if (i % 2 == 0) sock.setSoLinger(true, 0); // every other one resets the connection instead of closing it
                sock.close();
            }
            assertSlotsFreed(s, 10_000);
            JsonNode h = health(s);
            assertEquals(0, h.path("internal_errors").asInt(), "a vanished client is not a server error: " + h);
            assertPredictsCorrectly(s);
            FIGURES.put("disconnect", n + " clients gone after 64 KB of a 2 MB upload (half with RST): slots freed, "
                    + "no internal error, next prediction exact");
        }
    }
}
