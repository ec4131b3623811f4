package org.pneumoscope.serve;

import org.pneumoscope.api.BatchPolicy;

import java.io.PrintStream;
import java.time.Duration;
import java.nio.file.Path;

/**
 * How a Pneumoscope server runs.
 *
 * @param run             a finished run folder (model.json + model.params)
 * @param host            address to bind; loopback unless the operator opens it up on purpose
 * @param port            TCP port; 0 picks a free one (tests, benchmarks)
 * @param workers         forward passes computed at the same time (each pass holds up to {@code maxBatch} films;
 *                        decoding and drawing the pictures run on the requests' own threads)
 * @param queue           requests allowed to wait beyond the workers; one more gets 503 with Retry-After
 * @param maxUploadBytes  largest accepted upload; bigger ones get 413 and are never held in memory as a whole
 * @param keepUploads     folder where every upload and its outcome are kept, or null to write nothing to disk
 * @param log             one line per request (no file names, no DICOM contents), or null for silence
 * @param beforeInference runs on the worker thread before each forward pass (JSON and DICOM answers alike); null normally
 *                        (tests use it to hold a worker busy deterministically)
 * @param idleTimeoutMs   a connection on which nothing arrives or leaves for this long is closed (a client that went
 *                        silent mid-upload, an idle keep-alive connection)
 * @param minUploadBytesPerSecond an upload arriving slower than this on average is cut off with 408 (slow-loris:
 *                        a client trickling a few bytes at a time is never idle, but would hold a slot and a thread
 *                        for hours); 0 disables the check
 * @param profile         the run's site profile to serve (see {@code adapt}), or null for the run's own weights
 * @param batchWait       how long a request may wait for others to share its forward pass (only while requests
 *                        arrive that fast; see {@link BatchPolicy#maxWait()})
 * @param maxBatch        films per forward pass at most; 1 runs every film alone
 */
public record ServerConfig(Path run, String host, int port, int workers, int queue, long maxUploadBytes,
                           Path keepUploads, PrintStream log, Runnable beforeInference, long idleTimeoutMs,
                           long minUploadBytesPerSecond, String profile, Duration batchWait, int maxBatch) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_UPLOAD_MB = 20;
    /** Waiting requests per worker by default: enough for a reading room, small enough to answer 503 quickly. */
    public static final int DEFAULT_QUEUE_PER_WORKER = 16;
    public static final int MAX_UPLOAD_MB_LIMIT = 1024;
    /** Jetty's own default, kept: long enough for a slow network's pauses, short enough to free a silent client's slot. */
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 30_000;
    /** Far below any real network (a 20 MB upload at this rate takes 5 hours), far above a slow-loris trickle. */
    public static final long DEFAULT_MIN_UPLOAD_BYTES_PER_SECOND = 1024;

    public ServerConfig {
        if (run == null) throw new IllegalArgumentException("a run folder is required");
        if (host == null || host.isBlank()) host = DEFAULT_HOST;
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be within 0..65535, got " + port);
        if (workers < 1) throw new IllegalArgumentException("workers must be at least 1, got " + workers);
        if (queue < 0) throw new IllegalArgumentException("queue must be 0 or more, got " + queue);
        if (maxUploadBytes < 1024 || maxUploadBytes > (long) MAX_UPLOAD_MB_LIMIT << 20)
            throw new IllegalArgumentException("the upload limit must be between 1 KB and " + MAX_UPLOAD_MB_LIMIT + " MB");
        if (idleTimeoutMs < 100) throw new IllegalArgumentException("the idle timeout must be at least 100 ms, got " + idleTimeoutMs);
        if (minUploadBytesPerSecond < 0) throw new IllegalArgumentException("the minimum upload rate must be 0 or more");
        if (batchWait == null) batchWait = BatchPolicy.DEFAULT_WAIT;
        policy(batchWait, maxBatch, queue, workers); // checks the batch settings
    }

    public static int defaultWorkers() { return Math.max(1, Runtime.getRuntime().availableProcessors()); }

    public static Builder builder(Path run) { return new Builder(run); }

    /** Requests admitted at once: those being computed plus those waiting. */
    public int capacity() { return workers + queue; }

    /**
     * How the server's batcher gathers films: {@code workers} passes at once, each of up to {@code maxBatch} films,
     * and as many films waiting as the server admits.
     */
    public BatchPolicy batchPolicy() {
        return policy(batchWait, maxBatch, queue, workers).withBeforePass(beforeInference);
    }

    private static BatchPolicy policy(Duration wait, int maxBatch, int queue, int workers) {
        return new BatchPolicy(wait, maxBatch, queue + workers, workers, null);
    }

    public static final class Builder {
        private final Path run;
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int workers = defaultWorkers();
        private Integer queue;
        private long maxUploadBytes = (long) DEFAULT_MAX_UPLOAD_MB << 20;
        private Path keepUploads;
        private PrintStream log;
        private Runnable beforeInference;
        private long idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
        private long minUploadBytesPerSecond = DEFAULT_MIN_UPLOAD_BYTES_PER_SECOND;
        private String profile;
        private Duration batchWait = BatchPolicy.DEFAULT_WAIT;
        private int maxBatch = BatchPolicy.DEFAULT_MAX_BATCH;

        private Builder(Path run) { this.run = run; }

        public Builder host(String h) { host = h; return this; }
        public Builder port(int p) { port = p; return this; }
        public Builder workers(int w) { workers = w; return this; }
        public Builder queue(int q) { queue = q; return this; }
        public Builder maxUploadMb(int mb) { maxUploadBytes = (long) mb << 20; return this; }
        public Builder maxUploadBytes(long b) { maxUploadBytes = b; return this; }
        public Builder keepUploads(Path dir) { keepUploads = dir; return this; }
        public Builder log(PrintStream out) { log = out; return this; }
        public Builder beforeInference(Runnable r) { beforeInference = r; return this; }
        public Builder idleTimeout(Duration d) { idleTimeoutMs = d.toMillis(); return this; }
        public Builder minUploadBytesPerSecond(long r) { minUploadBytesPerSecond = r; return this; }
        /** Serve the run's site profile {@code name} (made by adapt) instead of its own weights; null for those. */
        public Builder profile(String name) { profile = name; return this; }
        public Builder batchWait(Duration d) { batchWait = d; return this; }
        public Builder maxBatch(int n) { maxBatch = n; return this; }

        public ServerConfig build() {
            int q = queue != null ? queue : DEFAULT_QUEUE_PER_WORKER * Math.max(1, workers);
            return new ServerConfig(run, host, port, workers, q, maxUploadBytes, keepUploads, log, beforeInference,
                    idleTimeoutMs, minUploadBytesPerSecond, profile, batchWait, maxBatch);
        }
    }
}
