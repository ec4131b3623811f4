package org.pneumoscope.bench;

import org.pneumoscope.api.BatchStats;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.Film;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.pipeline.Phantoms;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Requests per second and latency of {@code POST /api/predict}, with and without Grad-CAM, at several numbers of
 * concurrent clients, against the rate at which the same films are scored offline in batches
 * ({@link Classifier#predict(List)} after decoding, measured first in the same process with all cores). The server is
 * started by the caller (this package does not reach into the server); its batch counts say how the passes formed.
 */
public final class ServeBenchmark {
    private ServeBenchmark() {}

    /** A server the caller started on a loopback port. */
    public interface Server extends AutoCloseable {
        URI url();

        /** One line: workers, threads, batching, queue. */
        String describe();

        /** Forward passes so far by size. */
        BatchStats batches();

        @Override
        void close();
    }

    /** What the caller starts once the offline rate is measured (the server changes PyTorch's thread count). */
    public interface ServerStarter {
        Server start() throws IOException;
    }

    /**
     * @param requests    requests per measurement
     * @param concurrency the numbers of concurrent clients, each measured with and without Grad-CAM
     * @param seconds     time limit for everything after the offline rate; shared evenly by the measurements
     */
    public record Settings(int requests, List<Integer> concurrency, double seconds) {
        public Settings {
            if (requests < 1 || !(seconds > 0) || concurrency.isEmpty())
                throw new UserException("--requests, --concurrency and --seconds must be positive", 2);
            for (int c : concurrency)
                if (c < 1 || c > MAX_CLIENTS) throw new UserException("--concurrency: each level must be 1.." + MAX_CLIENTS + ", got " + c, 2);
        }

        public int maxConcurrency() { return concurrency.stream().mapToInt(Integer::intValue).max().orElse(1); }
    }

    public static final int MAX_CLIENTS = 64;

    /** A film sent by the clients: its bytes, and a name for the report. */
    public record Upload(String name, byte[] bytes) {}

    /** Latencies and outcomes of one measurement; {@code meanBatch} is the server's films per forward pass meanwhile. */
    public record Result(int clients, boolean cam, int sent, int ok, int refused, int failed, double seconds,
                         double[] latencyMs, double meanBatch) {
        public double perSecond() { return ok / seconds; }
        public double percentile(double q) { return ServeBenchmark.percentile(latencyMs, q); }
        public String name() { return cam ? "with Grad-CAM" : "without Grad-CAM"; }
    }

    /** Measures the offline rate, starts the server, measures every level, prints; 0 when no request failed. */
    public static int run(Settings s, Classifier classifier, List<Upload> uploads, ServerStarter starter, PrintStream out)
            throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int n = Math.max(128, uploads.size());
        double ownThreads = offlineRate(classifier, uploads, n);
        out.printf(Locale.ROOT, "Films: %s%n", describe(uploads));
        try (Server server = starter.start()) {
            // the server sets PyTorch's threads per worker; on a busy machine fewer threads can be faster, so the
            // offline rate is the better of the two settings
            double serverThreads = offlineRate(classifier, uploads, n);
            double offline = Math.max(ownThreads, serverThreads);
            out.printf(Locale.ROOT, "Offline: %.1f films/s (decode + Classifier.predict in batches of %d, mirror averaging %s; "
                            + "%.1f with PyTorch's own thread count, %.1f with the server's)%n",
                    offline, Classifier.BATCH, classifier.tta() ? "on" : "off", ownThreads, serverThreads);
            out.println("Server: " + server.describe() + " on " + server.url());
            out.printf(Locale.ROOT, "load average before start %.2f%n", load);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newFixedThreadPool(4, daemon("bench-http"))).build();
            long start = System.nanoTime(), budget = (long) (s.seconds() * 1e9);
            int phases = 2 * s.concurrency().size(), done = 0;
            List<Result> results = new ArrayList<>();
            for (int c : s.concurrency()) {
                // warm-up at this level: JIT, PyTorch's allocator at this batch size, Grad-CAM
                measure(client, server, uploads, true, Math.min(s.requests(), 2 * c), c, System.nanoTime() + budget / phases);
                for (boolean cam : new boolean[] {false, true}) {
                    long left = Math.max(0, start + budget - System.nanoTime());
                    long end = System.nanoTime() + left / Math.max(1, phases - done);
                    results.add(measure(client, server, uploads, cam, s.requests(), c, end));
                    done++;
                }
            }
            print(results, offline, out);
            double after = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            out.printf(Locale.ROOT, "load average after: %.2f (%d cores; above %d means other processes competed for the CPU)%n",
                    after, cores, cores);
            return results.stream().allMatch(r -> r.failed() == 0) ? 0 : 1;
        }
    }

    /** Films per second of decode + {@link Classifier#predict(List)} over {@code n} films (the uploads in turn). */
    static double offlineRate(Classifier c, List<Upload> uploads, int n) throws DecodeException {
        List<Film> warm = new ArrayList<>();
        for (int i = 0; i < Math.min(n, Classifier.BATCH); i++) warm.add(decode(uploads.get(i % uploads.size())));
        c.predict(warm);
        double best = 0;
        for (int round = 0; round < 2; round++) { // the better of two: a neighbour's burst slows one of them
            long t0 = System.nanoTime();
            List<Film> films = new ArrayList<>(n);
            for (int i = 0; i < n; i++) films.add(decode(uploads.get(i % uploads.size())));
            c.predict(films);
            best = Math.max(best, n / ((System.nanoTime() - t0) / 1e9));
        }
        return best;
    }

    private static Film decode(Upload u) throws DecodeException {
        return Film.of(u.bytes(), u.name());
    }

    /** Sends up to {@code n} requests from {@code clients} threads until {@code endNanos}. */
    static Result measure(HttpClient client, Server server, List<Upload> uploads, boolean cam, int n, int clients, long endNanos)
            throws Exception {
        List<HttpRequest> reqs = new ArrayList<>();
        for (Upload u : uploads) reqs.add(request(server.url(), u.bytes(), cam));
        AtomicInteger next = new AtomicInteger(), ok = new AtomicInteger(), refused = new AtomicInteger(), failed = new AtomicInteger();
        double[] lat = new double[n];
        AtomicLong lastEnd = new AtomicLong();
        BatchStats before = server.batches();
        ExecutorService pool = Executors.newFixedThreadPool(clients, daemon("bench-client"));
        long t0 = System.nanoTime();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++)
                fs.add(pool.submit(() -> {
                    for (int i; System.nanoTime() < endNanos && (i = next.getAndIncrement()) < n; ) {
                        long s = System.nanoTime();
                        try {
                            HttpResponse<byte[]> r = client.send(reqs.get(i % reqs.size()), HttpResponse.BodyHandlers.ofByteArray());
                            long e = System.nanoTime();
                            lastEnd.accumulateAndGet(e, Math::max);
                            boolean good = r.statusCode() == 200 && isAnswer(r.body());
                            lat[i] = good ? (e - s) / 1e6 : Double.NaN;
                            (good ? ok : r.statusCode() == 503 ? refused : failed).incrementAndGet();
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
        return new Result(clients, cam, sent, ok.get(), refused.get(), failed.get(), secs, good,
                server.batches().since(before).meanSize());
    }

    private static HttpRequest request(URI base, byte[] image, boolean cam) {
        String boundary = "bench-" + UUID.randomUUID();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[head.length + image.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(image, 0, body, head.length, image.length);
        System.arraycopy(tail, 0, body, head.length + image.length, tail.length);
        return HttpRequest.newBuilder(base.resolve("api/predict?cam=" + cam))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    static void print(List<Result> results, double offline, PrintStream out) {
        out.printf(Locale.ROOT, "%n%8s %-18s%9s%6s%9s%8s%9s%9s%9s%9s%9s%7s%11s%n", "clients", "", "requests", "ok", "refused",
                "failed", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "batch", "x offline");
        for (Result r : results)
            out.printf(Locale.ROOT, "%8d %-18s%9d%6d%9d%8d%9.2f%9.0f%9.0f%9.0f%9.0f%7.1f%10.2fx%n", r.clients(), r.name(), r.sent(),
                    r.ok(), r.refused(), r.failed(), r.perSecond(), r.percentile(0.50), r.percentile(0.95), r.percentile(0.99),
                    r.percentile(1.0), r.meanBatch(), r.perSecond() / offline);
        out.println("(batch: films per forward pass on the server during the measurement; x offline: req/s over the offline rate)");
    }

    /** Nearest-rank percentile of sorted values; NaN when empty. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        int k = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, k))];
    }

    /**
     * The films to send: {@code image} alone when given, else up to {@code n} real X-rays from the shared Kermany set
     * (spread over its training folder), else {@code n} phantoms made here.
     */
    public static List<Upload> uploads(Path image, int n) throws IOException {
        if (n < 1) throw new UserException("--films must be positive", 2);
        if (image != null) {
            if (!Files.isRegularFile(image)) throw new UserException("--image " + image + ": no such file");
            return List.of(checked(image.toString(), Files.readAllBytes(image)));
        }
        Path kermany = sharedData();
        List<Upload> out = new ArrayList<>();
        if (kermany != null) {
            List<Path> all;
            try (var files = Files.walk(kermany.resolve("train"), 3)) {
                all = files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jpeg")).sorted().toList();
            }
            for (int i = 0; i < Math.min(n, all.size()); i++) {
                Path f = all.get((int) ((long) i * all.size() / Math.min(n, all.size())));
                out.add(checked("kermany224/" + kermany.relativize(f), Files.readAllBytes(f)));
            }
        }
        if (out.isEmpty())
            for (int i = 0; i < n; i++) out.add(checked("phantom " + i, Phantoms.png(Label.of(i % Label.COUNT), 224, 7 + i)));
        return out;
    }

    private static Upload checked(String name, byte[] bytes) {
        try {
            Film.of(bytes, name);
            return new Upload(name, bytes);
        } catch (DecodeException e) {
            throw new UserException(e.getMessage());
        }
    }

    private static String describe(List<Upload> uploads) {
        long bytes = uploads.stream().mapToLong(u -> u.bytes().length).sum();
        String first = uploads.get(0).name();
        return uploads.size() == 1 ? first + String.format(Locale.ROOT, " (%.1f KB)", bytes / 1024.0)
                : String.format(Locale.ROOT, "%d, from %s on (%.1f KB on average), sent in turn", uploads.size(), first,
                bytes / 1024.0 / uploads.size());
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

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private static final byte[] ANSWER_FIELD = "\"probabilities\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * Whether a body holds an answer's probabilities, checked on the bytes: the clients share the server's cores, and
     * decoding every answer with its pictures (about 100 KB) to a String cost them more than the check needs.
     */
    static boolean isAnswer(byte[] body) {
        outer:
        for (int i = 0; i + ANSWER_FIELD.length <= body.length; i++) {
            for (int k = 0; k < ANSWER_FIELD.length; k++) if (body[i + k] != ANSWER_FIELD[k]) continue outer;
            return true;
        }
        return false;
    }
}
