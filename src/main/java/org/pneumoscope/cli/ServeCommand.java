package org.pneumoscope.cli;

import io.javalin.util.JavalinBindException;
import org.pneumoscope.core.UserException;
import org.pneumoscope.api.BatchPolicy;
import org.pneumoscope.api.ShiftCheck;
import org.pneumoscope.serve.PneumoscopeServer;
import org.pneumoscope.serve.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code pneumoscope serve}: the web page and REST API for one trained run, until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a web page and REST API that classify uploaded chest X-rays with a trained run.",
                "POST /api/predict (multipart field 'image'), GET /api/model, GET /api/health. Research use only.",
                "GET /api/health carries a shift alarm: it fires when the last " + PneumoscopeServer.SHIFT_WINDOW
                        + " films differ from the run's validation films (e.g. another scanner); the page shows it as a banner."})
public class ServeCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "RUN", description = "A finished run folder.")
    Path run;

    @Option(names = "--host", paramLabel = "ADDR", description = "Address to listen on (default ${DEFAULT-VALUE}: this machine only; "
            + "0.0.0.0 opens it to the network).")
    String host = ServerConfig.DEFAULT_HOST;

    @Option(names = "--port", paramLabel = "N", description = "TCP port (default ${DEFAULT-VALUE}; 0 = any free port).")
    int port = ServerConfig.DEFAULT_PORT;

    @Option(names = "--workers", paramLabel = "N", description = "Forward passes computed at once (default: the number of cores).")
    Integer workers;

    @Option(names = "--batch-wait-ms", paramLabel = "MS", description = "How long a request may wait for others to share "
            + "its forward pass, only while requests arrive that fast (default ${DEFAULT-VALUE}; 0 = never wait, batch what "
            + "is already waiting).")
    double batchWaitMs = BatchPolicy.DEFAULT_WAIT.toNanos() / 1e6;

    @Option(names = "--max-batch", paramLabel = "N", description = "Films per forward pass at most (default "
            + "${DEFAULT-VALUE}; 1 = every film alone).")
    int maxBatch = BatchPolicy.DEFAULT_MAX_BATCH;

    @Option(names = "--queue", paramLabel = "N", description = "Requests that may wait for a worker; more get 503 "
            + "(default: " + ServerConfig.DEFAULT_QUEUE_PER_WORKER + " per worker).")
    Integer queue;

    @Option(names = "--max-upload-mb", paramLabel = "MB", description = "Largest accepted upload (default ${DEFAULT-VALUE}).")
    int maxUploadMb = ServerConfig.DEFAULT_MAX_UPLOAD_MB;

    @Option(names = "--keep-uploads", paramLabel = "DIR", description = "Keep every upload and its outcome here "
            + "(default: nothing is written to disk).")
    Path keepUploads;

    @Option(names = "--idle-timeout", paramLabel = "S", description = "Close a connection on which nothing moves for this "
            + "many seconds (default ${DEFAULT-VALUE}).")
    double idleTimeoutSeconds = ServerConfig.DEFAULT_IDLE_TIMEOUT_MS / 1000.0;

    @Option(names = "--min-upload-rate", paramLabel = "B/S", description = "Cut off uploads arriving slower than this many "
            + "bytes per second on average, with 408 (default ${DEFAULT-VALUE}; 0 = no limit).")
    long minUploadRate = ServerConfig.DEFAULT_MIN_UPLOAD_BYTES_PER_SECOND;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Use the run's site profile NAME (made by adapt) instead of its own weights.") String profile;
    @Option(names = "--quiet", description = "Do not print a line per request.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        ServerConfig cfg = config();
        PneumoscopeServer server;
        try {
            server = PneumoscopeServer.start(cfg);
        } catch (JavalinBindException e) {
            throw new UserException("cannot listen on " + host + ":" + port + " (" + firstLine(e) + "); choose another --port");
        } catch (RuntimeException e) {
            if (e.getCause() instanceof java.net.BindException b)
                throw new UserException("cannot listen on " + host + ":" + port + " (" + b.getMessage() + "); choose another --port");
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            System.out.println("stopping...");
            server.close();
            stopped.countDown();
        }, "pneumoscope-serve-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("Pneumoscope is serving " + server.modelInfo().summary().get("name") + " from " + run);
        System.out.printf(Locale.ROOT, "  %d worker(s) x %d PyTorch thread(s), batches of up to %d films gathered for up to %s ms, "
                        + "queue %d, uploads up to %d MB%s%n",
                cfg.workers(), server.torchThreads(), cfg.maxBatch(), fmt(batchWaitMs), cfg.queue(), maxUploadMb,
                keepUploads != null ? ", kept in " + keepUploads.toAbsolutePath() : ", nothing written to disk");
        if (!isLoopback(cfg.host()))
            System.out.println("  WARNING: listening on " + cfg.host() + ": other machines can reach this server (no authentication, plain HTTP).");
        System.out.println(server.hasShiftReference()
                ? "  Shift alarm: the last " + PneumoscopeServer.SHIFT_WINDOW + " films are compared with the run's validation films (/api/health, the page)."
                : "  " + ShiftCheck.NO_REFERENCE + ": no shift alarm.");
        System.out.println("  Research use only, not a diagnosis.");
        System.out.println();
        System.out.println("  Open " + server.url() + "   (Ctrl-C to stop)");
        stopped.await();
        return 0;
    }

    ServerConfig config() {
        if (maxUploadMb < 1 || maxUploadMb > ServerConfig.MAX_UPLOAD_MB_LIMIT)
            throw new UserException("--max-upload-mb must be between 1 and " + ServerConfig.MAX_UPLOAD_MB_LIMIT, 2);
        int w = workers == null ? ServerConfig.defaultWorkers() : workers;
        if (w < 1) throw new UserException("--workers must be at least 1", 2);
        if (queue != null && queue < 0) throw new UserException("--queue must be 0 or more", 2);
        if (port < 0 || port > 65535) throw new UserException("--port must be within 0..65535", 2);
        if (!(idleTimeoutSeconds >= 0.1) || idleTimeoutSeconds > 86_400) throw new UserException("--idle-timeout must be between 0.1 and 86400 seconds", 2);
        if (minUploadRate < 0) throw new UserException("--min-upload-rate must be 0 or more", 2);
        if (!(batchWaitMs >= 0) || batchWaitMs > BatchPolicy.MAX_WAIT_LIMIT.toMillis())
            throw new UserException("--batch-wait-ms must be between 0 and " + BatchPolicy.MAX_WAIT_LIMIT.toMillis(), 2);
        if (maxBatch < 1 || maxBatch > BatchPolicy.MAX_BATCH_LIMIT)
            throw new UserException("--max-batch must be between 1 and " + BatchPolicy.MAX_BATCH_LIMIT, 2);
        ServerConfig.Builder b = ServerConfig.builder(run).profile(profile).host(host).port(port).workers(w).maxUploadMb(maxUploadMb)
                .keepUploads(keepUploads).log(quiet ? null : System.out)
                .idleTimeout(java.time.Duration.ofMillis(Math.round(idleTimeoutSeconds * 1000))).minUploadBytesPerSecond(minUploadRate)
                .batchWait(java.time.Duration.ofNanos(Math.round(batchWaitMs * 1e6))).maxBatch(maxBatch);
        if (queue != null) b.queue(queue);
        return b.build();
    }

    private static String fmt(double ms) {
        return ms == Math.rint(ms) ? String.valueOf((long) ms) : String.valueOf(ms);
    }

    static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
