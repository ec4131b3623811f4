package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Sample;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.synth.PhantomGenerator;
import org.pneumoscope.train.Presets;
import org.pneumoscope.train.TrainConfig;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * One tiny trained and evaluated run shared by the serve tests of this JVM (trained on 60 phantoms at 64 px for one
 * epoch: a few seconds), real chest X-rays from ../shared when present, and HTTP helpers.
 */
final class ServeFixture {
    private ServeFixture() {}

    static final ObjectMapper JSON = new ObjectMapper();
    private static Path run;

    static Path buildDir() {
        return Path.of(System.getProperty("pneumoscope.build", "target"));
    }

    /** Trains (once per JVM) and evaluates a tiny run; its test/metrics.json gives the model card test metrics. */
    static synchronized Path run() throws IOException {
        if (run != null) return run;
        Files.createDirectories(buildDir());
        Path root = Files.createTempDirectory(buildDir().toAbsolutePath(), "serve-fixture-");
        Path data = root.resolve("phantoms"), dir = root.resolve("run");
        new PhantomGenerator().generate(data, 60, 64, 11, 2);
        TrainConfig cfg = Presets.resolve("demo", Map.of("size", 64, "epochs", 1, "batch", 16, "seed", 11));
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        TrainJob.Outcome o = TrainJob.run(new TrainJob.Options(data, dir, cfg, false, false, null, quiet));
        List<Sample> test = TrainJob.inSplit(o.samples(), "test");
        try (TrainedModel m = TrainedModel.load(dir)) {
            EvaluateJob.run(m, test, dir.resolve("test"), new EvaluateJob.Options("test", false, false, true, null, null, 42), quiet);
        }
        run = dir;
        return run;
    }

    static Path kermany() {
        Path k = Path.of(System.getProperty("pneumoscope.shared", "../shared"), "data", "kermany224");
        return Files.isRegularFile(k.resolve("manifest.csv")) ? k : null;
    }

    /**
     * {@code n} real chest X-rays (JPEG bytes, different patients and classes) from the shared Kermany set, or
     * phantoms encoded as PNG when it is absent.
     */
    static List<byte[]> xrays(int n) throws IOException {
        List<byte[]> out = new ArrayList<>();
        Path k = kermany();
        if (k != null) {
            List<String> lines = Files.readAllLines(k.resolve("manifest.csv"));
            for (int i = 1; i < lines.size() && out.size() < n; i += Math.max(1, lines.size() / (n + 1))) {
                String file = lines.get(i).split(",", 2)[0];
                Path f = k.resolve(file);
                if (Files.isRegularFile(f)) out.add(Files.readAllBytes(f));
            }
        }
        Random r = new Random(5);
        while (out.size() < n) {
            GreyImage g = new PhantomGenerator().render(Label.of(out.size() % 3), 128, r).image();
            out.add(png(g));
        }
        return out;
    }

    static byte[] png(GreyImage g) {
        BufferedImage bi = new BufferedImage(g.width(), g.height(), BufferedImage.TYPE_BYTE_GRAY);
        bi.getRaster().setDataElements(0, 0, g.width(), g.height(), g.pixels());
        try (ByteArrayOutputStream b = new ByteArrayOutputStream()) {
            ImageIO.write(bi, "png", b);
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    static HttpRequest upload(PneumoscopeServer s, String query, MultipartBody body) {
        return HttpRequest.newBuilder(URI.create(s.url() + "api/predict" + (query == null ? "" : "?" + query)))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", body.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build();
    }

    static HttpResponse<String> send(HttpClient c, HttpRequest r) throws IOException, InterruptedException {
        return c.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(PneumoscopeServer s, String path) throws IOException, InterruptedException {
        return client().send(HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }
}
