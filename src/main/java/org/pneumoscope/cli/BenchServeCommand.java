package org.pneumoscope.cli;

import org.pneumoscope.api.BatchPolicy;
import org.pneumoscope.api.BatchStats;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.bench.ServeBenchmark;
import org.pneumoscope.core.UserException;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.serve.PneumoscopeServer;
import org.pneumoscope.serve.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code pneumoscope bench serve}: requests per second and latency of {@code POST /api/predict} with and without
 * Grad-CAM at several numbers of concurrent clients, against the server running in this process on a free loopback
 * port, and against the offline rate of the same films. Bounded in requests and time. The work is in
 * {@link ServeBenchmark}; this command parses the options and starts the server.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Throughput and latency (p50/p95/p99) of the REST API, with and without Grad-CAM, at each number of "
                + "concurrent clients, on a loopback server in this process; and the ratio to the offline rate of the same "
                + "films (decode + Classifier.predict in batches, measured first)."})
public class BenchServeCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "RUN", description = "A finished run folder.")
    Path run;

    @Option(names = "--requests", paramLabel = "N", description = "Requests per measurement (default ${DEFAULT-VALUE}).")
    int requests = 1000; // at 200 the 16-client rows moved by ±20 % from round to round

    @Option(names = "--concurrency", paramLabel = "N[,N...]", split = ",",
            description = "Clients sending at the same time; each level is measured (default 1,4,16,32).")
    List<Integer> concurrency = List.of(1, 4, 16, 32);

    @Option(names = "--seconds", paramLabel = "S", description = "Time limit for the measurements, shared evenly by them (a "
            + "measurement stops at its share even if not all requests were sent; default ${DEFAULT-VALUE}).")
    double seconds = 600;

    @Option(names = "--workers", paramLabel = "N", description = "Server workers: forward passes at once (default: the number of cores).")
    Integer workers;

    @Option(names = "--batch-wait-ms", paramLabel = "MS", description = "The server's --batch-wait-ms (default: the server's, ${DEFAULT-VALUE}).")
    double batchWaitMs = BatchPolicy.DEFAULT_WAIT.toNanos() / 1e6;

    @Option(names = "--max-batch", paramLabel = "N", description = "The server's --max-batch (default: the server's, "
            + "${DEFAULT-VALUE}; 1 = one film per forward pass).")
    int maxBatch = BatchPolicy.DEFAULT_MAX_BATCH;

    @Option(names = "--image", paramLabel = "FILE", description = "Send this X-ray only (default: --films films from ../shared/data/kermany224, else phantoms).")
    Path image;

    @Option(names = "--films", paramLabel = "N", description = "Different films sent in turn (default ${DEFAULT-VALUE}).")
    int films = 32;

    @Override
    public Integer call() throws Exception {
        ServeBenchmark.Settings settings = new ServeBenchmark.Settings(requests, concurrency, seconds);
        if (!(batchWaitMs >= 0) || batchWaitMs > BatchPolicy.MAX_WAIT_LIMIT.toMillis() || maxBatch < 1 || maxBatch > BatchPolicy.MAX_BATCH_LIMIT)
            throw new UserException("--batch-wait-ms must be 0.." + BatchPolicy.MAX_WAIT_LIMIT.toMillis() + " and --max-batch 1.."
                    + BatchPolicy.MAX_BATCH_LIMIT, 2);
        List<ServeBenchmark.Upload> uploads = ServeBenchmark.uploads(image, films);
        try (TrainedModel m = TrainedModel.load(run)) {
            ServerConfig.Builder b = ServerConfig.builder(run).host("127.0.0.1").port(0).maxBatch(maxBatch)
                    .batchWait(Duration.ofNanos(Math.round(batchWaitMs * 1e6)));
            if (workers != null) b.workers(workers);
            ServerConfig built = b.build();
            // room for every client, so the figures measure speed, not refusals
            ServerConfig cfg = built.capacity() < settings.maxConcurrency() ? b.queue(settings.maxConcurrency()).build() : built;
            // the classifier shares the model; the model is closed here, not by it
            return ServeBenchmark.run(settings, Classifier.of(m), uploads, () -> started(cfg, m), System.out);
        }
    }

    private static ServeBenchmark.Server started(ServerConfig cfg, TrainedModel m) throws java.io.IOException {
        PneumoscopeServer s = PneumoscopeServer.start(cfg, m);
        return new ServeBenchmark.Server() {
            public URI url() { return URI.create(s.url()); }
            public String describe() {
                return String.format(Locale.ROOT, "%s, %d worker(s) x %d PyTorch thread(s), batches of up to %d films gathered "
                                + "for up to %.1f ms, queue %d", s.modelInfo().summary().get("name"), cfg.workers(), s.torchThreads(),
                        cfg.maxBatch(), cfg.batchWait().toNanos() / 1e6, cfg.queue());
            }
            public BatchStats batches() { return s.batchStats(); }
            public void close() { s.close(); }
        };
    }
}
