package org.pneumoscope.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.pneumoscope.api.BatchStats;
import org.pneumoscope.api.BatchingClassifier;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.QueueFullException;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.eval.DriftWindow;
import org.pneumoscope.pipeline.ModelInfo;
import org.pneumoscope.pipeline.TrainedModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The web page and REST API around one loaded model.
 *
 * <p>Admission happens at the door: a request takes one of {@code workers + queue} slots before its body is read,
 * or is turned away at once with 503 and Retry-After. So however many clients connect, at most that many uploads
 * are held in memory. Each request decodes its upload and draws its pictures on its own thread; the network runs in
 * a {@link BatchingClassifier}: concurrent requests are gathered for at most {@code batchWait} into forward passes of
 * up to {@code maxBatch} films, at most {@code workers} passes at a time (PyTorch's own thread count is set so that
 * workers × threads never exceeds the cores). An upload is read into memory up to the limit and parsed there
 * (Jetty's multipart parser over the bytes, never its disk-spilling servlet path); nothing reaches the disk unless
 * {@code keepUploads} is set.
 *
 * <pre>
 * POST /api/predict   multipart field "image"; ?cam=false skips Grad-CAM, ?tta=true averages with the mirror image,
 *                     ?image=true adds the decoded X-ray as PNG (for formats a browser cannot show, e.g. DICOM);
 *                     ?overlay=false leaves out the heatmap blended over the X-ray (the heatmap layer alone is sent);
 *                     ?format=dicom answers a DICOM film with its SR and Grad-CAM secondary capture instead of JSON
 * GET  /api/health    liveness, load, the forward passes by size ("batches") and the shift alarm over the last
 *                     {@link #SHIFT_WINDOW} films
 * GET  /api/model     the model card
 * GET  /api/openapi.json  the OpenAPI 3 description of these endpoints
 * GET  /              the page
 * </pre>
 */
public final class PneumoscopeServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PneumoscopeServer.class);

    /** Room for the multipart boundaries and part headers around the image itself. */
    static final long MULTIPART_SLACK = 64 * 1024;
    /** How much of a refused upload is read and discarded so the client can read the error (then the connection closes). */
    static final long DRAIN_LIMIT = 64L << 20;
    /** How long an upload may run below the minimum rate before it is cut off (a slow start is not yet a trickle). */
    static final long RATE_GRACE_MS = 1000;
    /** Where Jetty's servlet multipart path would spill parts; the server never takes that path, so it stays empty. */
    static final String SPILL_DIR = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
            "pneumoscope-multipart-unused").toAbsolutePath().toString();
    /** Films the shift alarm judges at a time: enough for a steady mean, few enough that a new scanner soon fills it. */
    public static final int SHIFT_WINDOW = 200;
    static final String CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerConfig cfg;
    private final TrainedModel model;
    private final Classifier classifier;
    private final BatchingClassifier batcher;
    private final boolean ownsModel;
    private final Predictor predictor;
    private final ModelInfo info;
    private final UploadStore store;
    private final Semaphore slots;
    private final Map<String, byte[]> assets;
    /** The OpenAPI 3 description of the REST API, served as written. */
    private final byte[] openApi;
    /** The last {@link #SHIFT_WINDOW} films served, for the shift alarm in /api/health. */
    private final DriftWindow shiftWindow;
    private final Instant started = Instant.now();
    private final AtomicLong served = new AtomicLong(), refusedBusy = new AtomicLong(), failed = new AtomicLong();
    private final AtomicInteger running = new AtomicInteger();
    private volatile double meanMs = 500; // running mean of prediction time, for Retry-After
    private final int previousTorchThreads;
    private final int torchThreads;
    private Javalin app;

    private PneumoscopeServer(ServerConfig cfg, TrainedModel model, boolean ownsModel) throws IOException {
        this.cfg = cfg;
        this.model = model;
        this.ownsModel = ownsModel;
        this.classifier = Classifier.of(model); // the server closes the model itself
        this.info = ModelInfo.of(model);
        this.shiftWindow = new DriftWindow(model.driftScore().orElse(null), SHIFT_WINDOW);
        this.store = cfg.keepUploads() == null ? null : new UploadStore(cfg.keepUploads());
        this.slots = new Semaphore(cfg.capacity());
        this.assets = Map.of(
                "/", resource("index.html"),
                "/app.js", resource("app.js"),
                "/app.css", resource("app.css"));
        this.openApi = resource("openapi.json");
        // last: its threads start here, and nothing after this line can fail and leave them running
        this.batcher = classifier.batching(cfg.batchPolicy());
        this.predictor = new Predictor(batcher);
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        this.torchThreads = Math.max(1, cores / cfg.workers());
        this.previousTorchThreads = setTorchThreads(torchThreads);
    }

    /** Loads the run's model and starts serving; {@link #close()} stops the server and frees the model. */
    public static PneumoscopeServer start(ServerConfig cfg) throws IOException {
        TrainedModel m = TrainedModel.load(cfg.run(), cfg.profile());
        try {
            return start(cfg, m, true);
        } catch (RuntimeException | IOException e) {
            m.close();
            throw e;
        }
    }

    /** Serves an already loaded model (benchmarks and tests share one); {@link #close()} leaves it open. */
    public static PneumoscopeServer start(ServerConfig cfg, TrainedModel model) throws IOException {
        return start(cfg, model, false);
    }

    private static PneumoscopeServer start(ServerConfig cfg, TrainedModel model, boolean owns) throws IOException {
        PneumoscopeServer s = new PneumoscopeServer(cfg, model, owns);
        try {
            s.app = s.createApp().start();
            // the connection-level timeout (headers, keep-alive); reads of a request body use the HTTP configuration's
            for (org.eclipse.jetty.server.Connector c : s.app.jettyServer().server().getConnectors())
                if (c instanceof org.eclipse.jetty.server.AbstractConnector ac) ac.setIdleTimeout(cfg.idleTimeoutMs());
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    public int port() { return app.port(); }

    /** The page's address, e.g. http://127.0.0.1:8080/ (an IPv6 host in brackets). */
    public String url() {
        String h = cfg.host();
        if (h.equals("0.0.0.0")) h = "127.0.0.1";
        if (h.contains(":") && !h.startsWith("[")) h = "[" + h + "]";
        return "http://" + h + ":" + port() + "/";
    }

    public ServerConfig config() { return cfg; }

    /** Whether the run has a shift reference, i.e. whether /api/health can raise the shift alarm. */
    public boolean hasShiftReference() throws IOException { return model.shiftReference().isPresent(); }

    /** The shift alarm's check of the films in the window now, as /api/health reports it. */
    public DriftScore.Result shiftCheck() { return shiftWindow.check(); }
    public ModelInfo modelInfo() { return info; }
    public int torchThreads() { return torchThreads; }

    /** The forward passes run so far by size, as /api/health reports them under "batches". */
    public BatchStats batchStats() { return batcher.stats(); }

    @Override
    public void close() {
        if (app != null) app.stop();
        batcher.close();
        setTorchThreads(previousTorchThreads);
        if (ownsModel) model.close();
    }

    private Javalin createApp() {
        long max = cfg.maxUploadBytes();
        int maxThreads = Math.max(16, cfg.capacity() + 16);
        return Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.startup.startupWatcherEnabled = false;
            c.jetty.host = cfg.host();
            c.jetty.port = cfg.port();
            c.http.maxRequestSize = max + MULTIPART_SLACK;
            c.jetty.multipartConfig.cacheDirectory(SPILL_DIR);
            c.jetty.multipartConfig.maxFileSize(max, SizeUnit.BYTES);
            c.jetty.multipartConfig.maxTotalRequestSize(max + MULTIPART_SLACK, SizeUnit.BYTES);
            c.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, max + MULTIPART_SLACK + 1), SizeUnit.BYTES);
            c.jetty.modifyHttpConfiguration(http -> {
                http.setIdleTimeout(cfg.idleTimeoutMs());
                http.setMinRequestDataRate(cfg.minUploadBytesPerSecond());
            });
            QueuedThreadPool threads = new QueuedThreadPool(maxThreads, 4, 60_000);
            threads.setName("pneumoscope-http");
            c.jetty.threadPool = threads;
            routes(c.routes);
        });
    }

    private void routes(RoutesConfig r) {
        r.before(ctx -> {
            ctx.header("X-Content-Type-Options", "nosniff");
            ctx.header("Referrer-Policy", "no-referrer");
            ctx.header("X-Frame-Options", "DENY");
            ctx.header("Content-Security-Policy", CSP);
            ctx.header("Cache-Control", "no-store");
        });
        r.get("/", ctx -> asset(ctx, "/", "text/html; charset=utf-8"));
        r.get("/app.js", ctx -> asset(ctx, "/app.js", "text/javascript; charset=utf-8"));
        r.get("/app.css", ctx -> asset(ctx, "/app.css", "text/css; charset=utf-8"));
        r.get("/api/health", ctx -> json(ctx, 200, health()));
        r.get("/api/model", ctx -> json(ctx, 200, modelCard()));
        r.get("/api/openapi.json", ctx -> ctx.contentType("application/json; charset=utf-8").result(openApi));
        r.post("/api/predict", this::predict);
        r.exception(ApiError.class, (e, ctx) -> error(ctx, e));
        r.exception(HttpResponseException.class, (e, ctx) -> error(ctx, new ApiError(e.getStatus(),
                e.getStatus() == 404 ? "not_found" : e.getStatus() == 405 ? "method_not_allowed" : "http_" + e.getStatus(),
                e.getStatus() == 404 ? "no such page or API endpoint: " + ctx.method() + " " + ctx.path() : String.valueOf(e.getMessage()))));
        r.exception(Exception.class, (e, ctx) -> {
            failed.incrementAndGet();
            // the stack trace is ours; decoder messages never hold DICOM contents
            LOG.error("internal error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, new ApiError(500, "internal", "the server failed on this request; the error is in the server's log"));
        });
    }

    /** The HTTP routes the server answers, as "METHOD /path" (the OpenAPI test checks the document lists each). */
    public java.util.List<String> routes() {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (io.javalin.router.ParsedEndpoint e : app.unsafe.internalRouter.allHttpHandlers())
            if (e.endpoint.method.isHttpMethod()) out.add(e.endpoint.method.name() + " " + e.endpoint.path);
        return out;
    }

    private void asset(Context ctx, String key, String type) {
        ctx.contentType(type).result(assets.get(key));
    }

    // ---------------------------------------------------------------- predict

    private void predict(Context ctx) throws Exception {
        long t0 = System.nanoTime();
        Predictor.Options opt;
        boolean dicom;
        try {
            opt = new Predictor.Options(flag(ctx, "cam", true), flag(ctx, "tta", classifier.tta()), flag(ctx, "image", false),
                    flag(ctx, "overlay", true));
            dicom = dicomFormat(ctx);
        } catch (ApiError e) {
            drain(ctx); // a bad query is answered after the body, so the client reads the answer, not a reset
            throw e;
        }
        long declared = ctx.req().getContentLengthLong();
        long limit = cfg.maxUploadBytes() + MULTIPART_SLACK;
        if (declared > limit) throw refuseTooLarge(ctx, declared);
        if (!slots.tryAcquire()) throw busy();
        byte[] bytes = null;
        try {
            bytes = readUpload(ctx);
            byte[] upload = bytes;
            if (dicom) {
                answerDicom(ctx, upload, opt.tta(), t0);
                return;
            }
            Predictor.Prediction p = inference(upload, opt);
            if (p.features() != null) shiftWindow.add(p.features(), p.probabilities(), p.tta());
            double ms = (System.nanoTime() - t0) / 1e6;
            Map<String, Object> body = answer(p, ms);
            keep(bytes, Map.of("status", 200, "label", Label.of(p.classIndex()).id(), "probabilities", body.get("probabilities"),
                    "cam", opt.cam(), "tta", opt.tta(), "received", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()));
            served.incrementAndGet();
            json(ctx, 200, body);
            log(ctx, 200, Label.of(p.classIndex()).id() + String.format(Locale.ROOT, " %.2f", p.probabilities()[p.classIndex()])
                    + (opt.cam() ? " cam" : "") + (opt.tta() ? " tta" : ""), t0, bytes.length);
        } catch (ApiError e) {
            if (bytes != null) keep(bytes, Map.of("status", e.status(), "error", e.code(), "detail", e.detail(),
                    "received", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()));
            throw e;
        } finally {
            slots.release();
        }
    }

    /**
     * Decode, the batched forward pass(es) and the pictures, on the request's own thread; the batcher's refusals
     * become the same answers as the door's.
     */
    private Predictor.Prediction inference(byte[] upload, Predictor.Options opt) {
        return onBatcher(() -> predictor.predict(upload, opt));
    }

    /** {@code work}, which goes through the batcher, timed for Retry-After; the batcher's refusals as HTTP answers. */
    private <T> T onBatcher(java.util.function.Supplier<T> work) {
        running.incrementAndGet();
        try {
            long s = System.nanoTime();
            T p = work.get();
            meanMs = 0.9 * meanMs + 0.1 * (System.nanoTime() - s) / 1e6;
            return p;
        } catch (QueueFullException e) {
            throw busy();
        } catch (CancellationException | RejectedExecutionException e) {
            throw new ApiError(503, "shutting_down", "the server is stopping");
        } finally {
            running.decrementAndGet();
        }
    }

    private ApiError busy() {
        refusedBusy.incrementAndGet();
        return new ApiError(503, "busy", String.format(Locale.ROOT,
                "all %d worker(s) are busy and %d request(s) are waiting; try again shortly", cfg.workers(), cfg.queue()),
                retryAfterSeconds());
    }

    /**
     * {@code ?format=dicom}: the film's SR and Grad-CAM secondary capture as a DICOMweb-style multipart/related
     * body of two application/dicom parts (the SR first). Its forward passes are shared with the other requests of
     * the moment, as JSON answers' are.
     */
    private void answerDicom(Context ctx, byte[] upload, boolean tta, long t0) {
        org.pneumoscope.dicom.DicomAnswer.Objects o = onBatcher(() -> predictor.dicom(upload, tta));
        org.pneumoscope.api.Prediction p = o.prediction();
        if (p.features() != null) shiftWindow.add(p.features(), p.probabilities(), p.tta());
        Map<String, Object> probs = new LinkedHashMap<>();
        for (Label k : Label.values()) probs.put(k.id(), p.probability(k));
        keep(upload, Map.of("status", 200, "label", p.label().id(), "probabilities", probs, "format", "dicom", "tta", tta,
                "received", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()));
        served.incrementAndGet();
        String boundary = "pneumoscope-" + java.util.UUID.randomUUID();
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream(o.sr().length + o.sc().length + 512);
        part(body, boundary, "structured report", o.sr());
        part(body, boundary, "Grad-CAM secondary capture", o.sc());
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        ctx.status(200).contentType("multipart/related; type=\"application/dicom\"; boundary=" + boundary)
                .result(body.toByteArray());
        log(ctx, 200, p.label().id() + String.format(Locale.ROOT, " %.2f dicom", p.confidence()) + (tta ? " tta" : ""),
                t0, upload.length);
    }

    private static void part(java.io.ByteArrayOutputStream out, String boundary, String what, byte[] dicom) {
        out.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\nContent-Description: " + what
                + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.writeBytes(dicom);
        out.writeBytes("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** Whether {@code ?format=} asks for DICOM (the other answer is the JSON one). */
    private static boolean dicomFormat(Context ctx) {
        String f = ctx.queryParam("format");
        if (f == null || f.isEmpty() || f.equalsIgnoreCase("json")) return false;
        if (f.equalsIgnoreCase("dicom")) return true;
        throw ApiError.badRequest("bad_parameter", "'format' must be json or dicom");
    }

    private Map<String, Object> answer(Predictor.Prediction p, double ms) {
        Map<String, Object> b = new LinkedHashMap<>();
        Label l = Label.of(p.classIndex());
        b.put("class", l.index());
        b.put("label", l.id());
        b.put("display_label", ModelInfo.DISPLAY.get(l.index()));
        Map<String, Object> probs = new LinkedHashMap<>();
        for (Label k : Label.values()) probs.put(k.id(), (double) p.probabilities()[k.index()]);
        b.put("probabilities", probs);
        b.put("calibrated", true);
        b.put("temperature", model.temperature());
        b.put("calibration_method", model.calibration().method().id());
        b.put("tta", p.tta());
        if (p.heatmapPng() != null) {
            if (p.camPng() != null) b.put("cam_png", dataUri(p.camPng()));
            b.put("heatmap_png", dataUri(p.heatmapPng()));
            b.put("cam_class", Label.of(p.camClass()).id());
        }
        if (p.imagePng() != null) b.put("image_png", dataUri(p.imagePng()));
        Map<String, Object> image = new LinkedHashMap<>();
        image.put("width", p.width());
        image.put("height", p.height());
        image.put("format", p.format().displayName());
        b.put("image", image);
        b.put("model", info.summary());
        b.put("notice", ModelInfo.NOTICE);
        b.put("ms", Math.round(ms * 10) / 10.0);
        return b;
    }

    static String dataUri(byte[] png) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }

    /**
     * The image bytes of the multipart field "image". The body is read into memory up to the upload limit (plus room
     * for the form's boundaries) and parsed there, so nothing is ever written to disk.
     */
    private byte[] readUpload(Context ctx) {
        String type = ctx.header("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data"))
            throw ApiError.badRequest("missing_field",
                    "send the image as multipart/form-data in a field named 'image' (e.g. curl -F image=@xray.jpg)");
        String boundary = MultiPart.extractBoundary(type);
        if (boundary == null || boundary.isEmpty())
            throw ApiError.badRequest("bad_multipart", "the Content-Type multipart/form-data has no boundary");
        byte[] body = readBody(ctx);
        MultiPart.Part part;
        try (MultiPartFormData.Parts parts = parseForm(boundary, body)) {
            part = parts.getFirst("image");
            if (part == null) throw ApiError.badRequest("missing_field", "the form has no field named 'image'");
            if (part.getLength() > cfg.maxUploadBytes()) throw refuseTooLarge(ctx, part.getLength());
            if (part.getLength() == 0) throw ApiError.badRequest("empty_file", "the uploaded file is empty");
            ByteBuffer content = Content.Source.asByteBuffer(part.getContentSource());
            byte[] out = new byte[content.remaining()];
            content.get(out);
            return out;
        } catch (IOException e) {
            throw ApiError.badRequest("bad_multipart", "the uploaded file could not be read");
        }
    }

    private MultiPartFormData.Parts parseForm(String boundary, byte[] body) {
        MultiPartFormData.Parser parser = new MultiPartFormData.Parser(boundary);
        long limit = cfg.maxUploadBytes() + MULTIPART_SLACK;
        // the whole body is already in memory and within the limit, so every part stays there too
        parser.setMaxMemoryFileSize(limit + 1);
        parser.setMaxLength(limit);
        parser.setMaxParts(16);
        try {
            return parser.parse(Content.Source.from(ByteBuffer.wrap(body))).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "shutting_down", "the server is stopping");
        } catch (ExecutionException e) {
            // a file name in another encoding than UTF-8 is no failure: the name is never used
            throw ApiError.badRequest("bad_multipart", "the multipart/form-data body could not be parsed");
        }
    }

    /**
     * The request body, read within the upload limit and at no less than the minimum rate: a client that trickles
     * (slow-loris) is cut off with 408 once it has been slower than that for {@link #RATE_GRACE_MS}, as one that
     * goes silent is by the idle timeout.
     */
    private byte[] readBody(Context ctx) {
        long limit = cfg.maxUploadBytes() + MULTIPART_SLACK;
        long minRate = cfg.minUploadBytesPerSecond();
        long declared = ctx.req().getContentLengthLong();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(
                (int) Math.min(limit + 1, declared > 0 ? declared : 64 * 1024));
        long start = System.nanoTime();
        byte[] buf = new byte[64 * 1024];
        try {
            InputStream in = ctx.req().getInputStream();
            for (int r; (r = in.read(buf, 0, (int) Math.min(buf.length, limit + 1 - out.size()))) > 0; ) {
                out.write(buf, 0, r);
                if (out.size() > limit) throw refuseTooLarge(ctx, -1);
                long ms = (System.nanoTime() - start) / 1_000_000;
                if (minRate > 0 && ms > RATE_GRACE_MS && out.size() * 1000L < minRate * ms) {
                    ctx.header("Connection", "close");
                    throw tooSlow();
                }
            }
        } catch (ApiError e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Jetty enforces the minimum rate itself too, failing the read with a 408 BadMessageException
            ApiError slow = uploadTimeout(e);
            if (slow != null) throw slow;
            throw ApiError.badRequest("bad_multipart", "the multipart/form-data body could not be read");
        }
        return out.toByteArray();
    }

    private ApiError tooSlow() {
        return new ApiError(408, "upload_too_slow", String.format(Locale.ROOT, "the upload arrived slower than %d bytes "
                + "per second and was cut off; send it again over a faster connection", cfg.minUploadBytesPerSecond()));
    }

    /**
     * 408 when reading the upload ended because the client was too slow: it trickled below the minimum rate
     * (slow-loris) or went silent for the idle timeout. Null for any other failure.
     */
    private ApiError uploadTimeout(Throwable e) {
        for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
            String m = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("data rate")) return tooSlow();
            if (c instanceof java.util.concurrent.TimeoutException || m.contains("idle timeout"))
                return new ApiError(408, "upload_timeout", String.format(Locale.ROOT, "no data arrived for %.0f s during the "
                        + "upload, so it was cut off", cfg.idleTimeoutMs() / 1000.0));
        }
        return null;
    }

    /**
     * Reads and discards what the client is still sending (up to {@link #DRAIN_LIMIT}) before an early refusal, so
     * that it gets to read the answer instead of a reset connection; a larger body gets the answer and a closed
     * connection. Nothing read is kept.
     */
    private static void drain(Context ctx) {
        long rest = ctx.req().getContentLengthLong();
        if (rest < 0 || rest <= DRAIN_LIMIT) {
            try {
                InputStream in = ctx.req().getInputStream();
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                for (int r; total < DRAIN_LIMIT && (r = in.read(buf)) > 0; ) total += r;
            } catch (IOException | RuntimeException e) {
                // the client went away; nothing to drain
            }
        } else {
            ctx.header("Connection", "close");
        }
    }

    /**
     * 413, after draining what the client is still sending ({@link #drain}).
     */
    private ApiError refuseTooLarge(Context ctx, long size) {
        drain(ctx);
        String mb = String.format(Locale.ROOT, "%.1f MB", cfg.maxUploadBytes() / 1048576.0);
        return ApiError.tooLarge(size > 0
                ? String.format(Locale.ROOT, "the upload is %.1f MB; the limit is %s", size / 1048576.0, mb)
                : "the upload exceeds the limit of " + mb);
    }

    private int retryAfterSeconds() {
        double waitMs = meanMs * (cfg.capacity() / (double) cfg.workers());
        return (int) Math.max(1, Math.min(60, Math.ceil(waitMs / 1000)));
    }

    private static boolean flag(Context ctx, String name, boolean dflt) {
        String v = ctx.queryParam(name);
        if (v == null || v.isEmpty()) return dflt;
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true": case "1": case "yes": case "on": return true;
            case "false": case "0": case "no": case "off": return false;
            default: throw ApiError.badRequest("bad_parameter", "'" + name + "' must be true or false");
        }
    }

    private void keep(byte[] bytes, Map<String, Object> outcome) {
        if (store == null) return;
        try {
            store.save(bytes, outcome);
        } catch (IOException e) {
            LOG.warn("could not keep an upload in {}: {}", store.dir(), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- other endpoints

    private Map<String, Object> health() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("status", "ok");
        h.put("model", info.summary().get("name"));
        h.put("started", started.truncatedTo(ChronoUnit.SECONDS).toString());
        h.put("uptime_s", (System.currentTimeMillis() - started.toEpochMilli()) / 1000);
        h.put("workers", cfg.workers());
        h.put("queue", cfg.queue());
        h.put("in_flight", cfg.capacity() - slots.availablePermits());
        h.put("running", running.get());
        h.put("served", served.get());
        h.put("refused_busy", refusedBusy.get());
        h.put("internal_errors", failed.get());
        h.put("batches", batcher.stats().toMap());
        h.put("shift", shiftCheck().toMap());
        return h;
    }

    private Map<String, Object> modelCard() {
        Map<String, Object> m = new LinkedHashMap<>(info.card());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("workers", cfg.workers());
        s.put("queue", cfg.queue());
        s.put("torch_threads_per_worker", torchThreads);
        s.put("batch_wait_ms", cfg.batchWait().toNanos() / 1e6);
        s.put("max_batch", cfg.maxBatch());
        s.put("max_upload_mb", Math.round(cfg.maxUploadBytes() / 1048576.0 * 10) / 10.0);
        s.put("keeps_uploads", store != null);
        s.put("default_tta", classifier.tta());
        s.put("min_side_px", InputRecipe.MIN_SIDE);
        m.put("server", s);
        return m;
    }

    private static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json; charset=utf-8").result(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void error(Context ctx, ApiError e) {
        if (e.retryAfterSeconds() != null) ctx.header("Retry-After", String.valueOf(e.retryAfterSeconds()));
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("error", e.code());
        b.put("detail", e.detail());
        json(ctx, e.status(), b);
        if (ctx.path().startsWith("/api/predict")) log(ctx, e.status(), e.code(), -1, -1);
    }

    private void log(Context ctx, int status, String what, long t0, long bytes) {
        PrintStream out = cfg.log();
        if (out == null) return;
        String ms = t0 < 0 ? "" : String.format(Locale.ROOT, " %.0f ms", (System.nanoTime() - t0) / 1e6);
        String kb = bytes < 0 ? "" : String.format(Locale.ROOT, " %.0f KB", bytes / 1024.0);
        out.printf(Locale.ROOT, "%s %s %s %d %s%s%s%n", Instant.now().truncatedTo(ChronoUnit.SECONDS), ctx.method(),
                ctx.path(), status, what, ms, kb);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = PneumoscopeServer.class.getResourceAsStream("/web/" + name)) {
            if (in == null) throw new IOException("the web page asset /web/" + name + " is missing from the build");
            return in.readAllBytes();
        }
    }

    /** PyTorch's intra-op threads for this process; returns the previous count (or the new one if unknown). */
    private static int setTorchThreads(int n) {
        try {
            int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
            if (before != n) ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
            return before;
        } catch (RuntimeException | LinkageError e) {
            return n;
        }
    }
}
