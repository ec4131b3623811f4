package org.pneumoscope.cli;

import org.pneumoscope.api.Film;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.pipeline.Phantoms;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.serve.MultipartBody;
import org.pneumoscope.serve.PneumoscopeServer;
import org.pneumoscope.serve.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code pneumoscope bench serve}: requests per second and latency of {@code POST /api/predict} with and without
 * Grad-CAM, against the server running in this process on a free loopback port. Bounded in requests and time.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Throughput and latency of the REST API (with and without Grad-CAM) on a loopback server in this process.")
public class BenchServeCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "RUN", description = "A finished run folder.")
    Path run;

    @Option(names = "--requests", paramLabel = "N", description = "Requests per measurement (default ${DEFAULT-VALUE}).")
    int requests = 200;

    @Option(names = "--concurrency", paramLabel = "N", description = "Clients sending at the same time (default ${DEFAULT-VALUE}).")
    int concurrency = 4;

    @Option(names = "--seconds", paramLabel = "S", description = "Time limit for the whole benchmark (warm-up, then half of what is left per "
            + "measurement); a measurement stops there even if not all requests were sent (default ${DEFAULT-VALUE}).")
    double seconds = 60;

    @Option(names = "--workers", paramLabel = "N", description = "Server workers (default: the number of cores).")
    Integer workers;

    @Option(names = "--image", paramLabel = "FILE", description = "The X-ray to send (default: one from ../shared/data/kermany224, else a phantom).")
    Path image;

    /** Latencies and outcomes of one measurement. */
    public record Result(String name, int sent, int ok, int refused, int failed, double seconds, double[] latencyMs) {
        public double perSecond() { return ok / seconds; }
        public double percentile(double q) { return BenchServeCommand.percentile(latencyMs, q); }
    }

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || concurrency < 1 || !(seconds > 0))
            throw new UserException("--requests, --concurrency and --seconds must be positive", 2);
        if (concurrency > 64) throw new UserException("--concurrency is limited to 64 (loopback benchmark)", 2);
        Sample s = sample();
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        try (TrainedModel m = TrainedModel.load(run)) {
            ServerConfig.Builder b = ServerConfig.builder(run).host("127.0.0.1").port(0);
            if (workers != null) b.workers(workers);
            // room for every client, so the figures measure speed, not refusals
            ServerConfig cfg = b.build();
            if (cfg.capacity() < concurrency) cfg = b.queue(concurrency).build();
            try (PneumoscopeServer server = PneumoscopeServer.start(cfg, m)) {
                System.out.printf(Locale.ROOT, "Serving %s on %s: %d worker(s) x %d PyTorch thread(s), queue %d%n",
                        server.modelInfo().summary().get("name"), server.url(), cfg.workers(), server.torchThreads(), cfg.queue());
                System.out.printf(Locale.ROOT, "Image: %s (%dx%d %s, %.1f KB); %d concurrent client(s); %d core(s), load average %.2f before start%n",
                        s.description(), s.width(), s.height(), s.format(), s.bytes().length / 1024.0, concurrency, cores, load);
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newFixedThreadPool(2, daemon())).build();
                URI base = URI.create(server.url());
                long deadline = System.nanoTime() + (long) (seconds * 1e9);
                // warm-up: JIT, PyTorch allocator, Grad-CAM hooks
                measure(client, base, s.bytes(), "warm-up", true, Math.min(requests, 2 * concurrency), concurrency, deadline);
                List<Result> results = new ArrayList<>();
                for (boolean cam : new boolean[] {false, true}) {
                    long now = System.nanoTime(); // the time left is shared: half for the first measurement, the rest for the second
                    long phaseEnd = cam ? deadline : now + Math.max(0, deadline - now) / 2;
                    results.add(measure(client, base, s.bytes(), cam ? "with Grad-CAM" : "without Grad-CAM", cam, requests, concurrency, phaseEnd));
                }
                print(results);
                double after = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
                System.out.printf(Locale.ROOT, "load average after: %.2f (%d cores; above %d means other processes competed for the CPU)%n",
                        after, cores, cores);
                return results.stream().allMatch(r -> r.failed() == 0) ? 0 : 1;
            }
        }
    }

    /** Sends up to {@code n} requests from {@code clients} threads until {@code endNanos}. */
    static Result measure(HttpClient client, URI base, byte[] image, String name, boolean cam, int n, int clients, long endNanos)
            throws Exception {
        MultipartBody body = MultipartBody.image(image);
        HttpRequest req = HttpRequest.newBuilder(base.resolve("api/predict?cam=" + cam))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", body.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build();
        AtomicInteger next = new AtomicInteger(), ok = new AtomicInteger(), refused = new AtomicInteger(), failed = new AtomicInteger();
        double[] lat = new double[n];
        AtomicLong lastEnd = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(clients, daemon());
        long t0 = System.nanoTime();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++)
                fs.add(pool.submit(() -> {
                    for (int i; System.nanoTime() < endNanos && (i = next.getAndIncrement()) < n; ) {
                        long s = System.nanoTime();
                        try {
                            HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                            long e = System.nanoTime();
                            lastEnd.accumulateAndGet(e, Math::max);
                            if (r.statusCode() == 200 && r.body().contains("\"probabilities\"")) {
                                lat[i] = (e - s) / 1e6;
                                ok.incrementAndGet();
                            } else {
                                lat[i] = Double.NaN;
                                (r.statusCode() == 503 ? refused : failed).incrementAndGet();
                            }
                        } catch (IOException ex) {
                            lat[i] = Double.NaN;
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
        int sent = Math.min(n, next.get());
        double[] good = Arrays.stream(lat, 0, sent).filter(v -> !Double.isNaN(v)).sorted().toArray();
        double secs = Math.max(1e-9, (Math.max(lastEnd.get(), t0) - t0) / 1e9);
        return new Result(name, sent, ok.get(), refused.get(), failed.get(), secs, good);
    }

    static void print(List<Result> results) {
        System.out.printf(Locale.ROOT, "%n%-18s%9s%6s%9s%8s%9s%9s%9s%9s%n", "", "requests", "ok", "refused", "failed",
                "req/s", "p50 ms", "p95 ms", "max ms");
        for (Result r : results)
            System.out.printf(Locale.ROOT, "%-18s%9d%6d%9d%8d%9.2f%9.0f%9.0f%9.0f%n", r.name(), r.sent(), r.ok(), r.refused(),
                    r.failed(), r.perSecond(), r.percentile(0.50), r.percentile(0.95), r.percentile(1.0));
    }

    /** Nearest-rank percentile of sorted values; NaN when empty. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        int k = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, k))];
    }

    record Sample(String description, byte[] bytes, int width, int height, String format) {}

    /** The --image file, else a real X-ray from the shared Kermany set, else a phantom made here. */
    Sample sample() throws IOException {
        if (image != null) {
            if (!Files.isRegularFile(image)) throw new UserException("--image " + image + ": no such file");
            return describe(image.toString(), Files.readAllBytes(image));
        }
        Path kermany = sharedData();
        if (kermany != null) {
            try (var files = Files.walk(kermany.resolve("train"), 3)) {
                Path f = files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jpeg")).sorted().findFirst().orElse(null);
                if (f != null) return describe("kermany224/" + kermany.relativize(f), Files.readAllBytes(f));
            }
        }
        return describe("a phantom X-ray (the shared Kermany data was not found)", Phantoms.png(Label.BACTERIA, 224, 7));
    }

    static Path sharedData() {
        List<Path> candidates = new ArrayList<>();
        String shared = System.getProperty("pneumoscope.shared");
        if (shared != null) candidates.add(Path.of(shared, "data", "kermany224"));
        String home = System.getProperty("pneumoscope.home");
        if (home != null) candidates.add(Path.of(home).resolve("../shared/data/kermany224"));
        candidates.add(Path.of("../shared/data/kermany224"));
        for (Path p : candidates) if (Files.isDirectory(p.resolve("train"))) return p.normalize();
        return null;
    }

    private static Sample describe(String name, byte[] bytes) {
        try {
            Film f = Film.of(bytes, name);
            return new Sample(name, bytes, f.width(), f.height(), Film.formatOf(bytes));
        } catch (org.pneumoscope.core.DecodeException e) {
            throw new UserException(e.getMessage());
        }
    }

    private static java.util.concurrent.ThreadFactory daemon() {
        return r -> {
            Thread t = new Thread(r, "bench-client");
            t.setDaemon(true);
            return t;
        };
    }
}
