package org.pneumoscope.bench;

import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.ImageDecoder;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;

/**
 * Runs {@link ImageDecoder#decode(byte[], String)} on mutated seeds and checks its contract: every input either
 * decodes to a consistent {@link GreyImage} or is refused with a {@link DecodeException}. Anything else is a
 * failure: another exception or error, no answer within the time limit (a hang), an {@link OutOfMemoryError}, a
 * decoder that reports running out of memory, or a single case allocating more than the memory limit (a
 * decompression bomb the heap happened to survive). Failing inputs are saved with a note of what was done.
 *
 * <p>Case {@code i} of seed {@code s} is always the same input: its random stream is derived from (s, i) alone,
 * and the seeds are used round-robin, so a failure is replayed with {@link #mutant}.
 */
public final class FuzzRunner {

    /** An input to mutate, with a short name for reports. */
    public record Seed(String name, byte[] bytes) {}

    /**
     * @param seed          random seed of the whole run
     * @param maxCases      stop after this many cases
     * @param maxSeconds    or after this long (0: no time limit)
     * @param caseTimeoutMs a case without an answer after this long is a hang
     * @param maxCaseBytes  heap a single case may allocate (the seeds are small images; more means a bomb)
     * @param failureDir    where failing inputs are saved (null: not saved)
     * @param secrets       texts planted in the seeds (patient names) that no message may contain; case-insensitive
     */
    public record Options(long seed, int maxCases, double maxSeconds, long caseTimeoutMs, long maxCaseBytes, Path failureDir,
                          List<String> secrets) {
        public Options {
            secrets = secrets == null ? List.of(CANARY) : List.copyOf(secrets);
        }

        public static Options of(long seed, int cases) {
            return new Options(seed, cases, 0, 5000, 512L << 20, null, List.of(CANARY));
        }

        public Options withSeconds(double s) { return new Options(seed, maxCases, s, caseTimeoutMs, maxCaseBytes, failureDir, secrets); }

        public Options withFailureDir(Path d) { return new Options(seed, maxCases, maxSeconds, caseTimeoutMs, maxCaseBytes, d, secrets); }

        public Options withSecrets(List<String> s) { return new Options(seed, maxCases, maxSeconds, caseTimeoutMs, maxCaseBytes, failureDir, s); }
    }

    /** What went wrong with one input. {@code saved} is the file the input was written to, or null. */
    public record Failure(int caseIndex, String seed, String mutation, String problem, Path saved) {
        @Override
        public String toString() {
            return "case " + caseIndex + " (" + seed + ", " + mutation + "): " + problem + (saved == null ? "" : " [saved as " + saved + "]");
        }
    }

    /** The outcome of one input. */
    public record Verdict(boolean ok, GreyImage image, DecodeException refusal, String problem, double millis, long allocatedBytes) {}

    /** Totals of a run. */
    public record Report(int cases, int decoded, Map<DecodeException.Kind, Integer> refused, Map<Mutator.Op, Integer> ops,
                         List<Failure> failures, double seconds, double slowestMillis, String slowestCase, long maxAllocatedBytes,
                         Map<String, Integer> javaErrorsInReasons, List<Failure> masked) {
        public int refusedTotal() { return refused.values().stream().mapToInt(Integer::intValue).sum(); }
    }

    private static final int MAX_SAVED = 100;
    /** Planted as the patient name of the DICOM seeds ({@link FuzzSeeds}); must never reach a message. */
    public static final String CANARY = "CANARY";
    /**
     * A Java exception's name inside a refusal reason: the decoder's safety net caught a programming error (ours or
     * a library's) and reported it as corrupt data. Counted separately: the user got a clean message, but the cause
     * deserves a look.
     */
    static final java.util.regex.Pattern JAVA_ERROR = java.util.regex.Pattern.compile("\\b[A-Z]\\w*(Exception|Error)\\b");
    private ExecutorService worker = newWorker();

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-decode");
            t.setDaemon(true); // a hung decoder must not keep the JVM alive
            return t;
        });
    }

    /** The input of case {@code index}: the same for the same seeds, run seed and index. */
    public static Mutator.Mutant mutant(List<Seed> seeds, long runSeed, int index) {
        Seed s = seeds.get(index % seeds.size());
        return Mutator.mutate(s.bytes(), new Random(mix(runSeed, index)));
    }

    public Report run(List<Seed> seeds, Options o, IntConsumer progress) throws IOException {
        if (seeds.isEmpty()) throw new IllegalArgumentException("no seeds");
        if (o.failureDir() != null) Files.createDirectories(o.failureDir());
        long t0 = System.nanoTime();
        int cases = 0, decoded = 0;
        Map<DecodeException.Kind, Integer> refused = new EnumMap<>(DecodeException.Kind.class);
        Map<Mutator.Op, Integer> ops = new EnumMap<>(Mutator.Op.class);
        List<Failure> failures = new ArrayList<>();
        double slowest = 0;
        String slowestCase = "";
        long maxAlloc = 0;
        Map<String, Integer> javaErrors = new java.util.TreeMap<>();
        List<Failure> masked = new ArrayList<>();
        // the untouched seeds first: they must decode, or the mutations say nothing
        for (Seed s : seeds) {
            Verdict v = check(s.bytes(), s.name(), o);
            if (!v.ok() || v.image() == null)
                failures.add(save(o, -1, s, "unmodified seed", v.ok() ? "the seed itself does not decode: " + v.refusal().getMessage()
                        : v.problem(), s.bytes()));
        }
        while (cases < o.maxCases() && (o.maxSeconds() <= 0 || (System.nanoTime() - t0) / 1e9 < o.maxSeconds())) {
            int i = cases++;
            Seed s = seeds.get(i % seeds.size());
            Mutator.Mutant m = Mutator.mutate(s.bytes(), new Random(mix(o.seed(), i)));
            ops.merge(m.op(), 1, Integer::sum);
            Verdict v = check(m.bytes(), "fuzz-case-" + i, o);
            if (v.millis() > slowest) {
                slowest = v.millis();
                slowestCase = "case " + i + " (" + s.name() + ", " + m.description() + ")";
            }
            maxAlloc = Math.max(maxAlloc, v.allocatedBytes());
            if (!v.ok()) failures.add(save(o, i, s, m.description(), v.problem(), m.bytes()));
            else if (v.image() != null) decoded++;
            else {
                refused.merge(v.refusal().kind(), 1, Integer::sum);
                java.util.regex.Matcher jm = JAVA_ERROR.matcher(v.refusal().reason());
                boolean named = jm.find();
                Throwable bug = programmingError(v.refusal());
                String key = bug != null ? bug.getClass().getSimpleName() + " in " + where(bug) : named ? jm.group() + " (named in the reason)" : null;
                if (key != null) {
                    // Pneumoscope's own bugs caught by a safety net are failures (so is a Java exception's name shown
                    // to the user); a library's exception on damaged data, reported plainly, is counted for a look
                    boolean ours = named || where(bug).startsWith("org.pneumoscope");
                    if (javaErrors.merge(key, 1, Integer::sum) <= 3 && ours)
                        masked.add(save(o, i, s, m.description(), "refused, but a caught " + key + " decided it: "
                                + v.refusal().reason(), m.bytes()));
                }
            }
            if (progress != null) progress.accept(cases);
        }
        return new Report(cases, decoded, refused, ops, failures, (System.nanoTime() - t0) / 1e9, slowest, slowestCase, maxAlloc, javaErrors, masked);
    }

    /** Decodes one input on the worker thread and judges the outcome against the decoder's contract. */
    public Verdict check(byte[] bytes, String name, Options o) {
        long t0 = System.nanoTime();
        Future<Object[]> f = worker.submit(() -> {
            long a0 = allocatedBytes();
            Object result;
            try {
                result = ImageDecoder.decode(bytes, name);
            } catch (DecodeException e) {
                result = e;
            } catch (Throwable e) {
                result = e;
            }
            long a1 = allocatedBytes();
            return new Object[]{result, a0 < 0 || a1 < 0 ? -1L : a1 - a0};
        });
        Object[] r;
        try {
            r = f.get(o.caseTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            worker.shutdownNow();
            worker = newWorker(); // the hung thread is abandoned (daemon); later cases get a fresh one
            return new Verdict(false, null, null, "hang: no answer after " + o.caseTimeoutMs() + " ms", ms(t0), -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            return new Verdict(false, null, null, "interrupted", ms(t0), -1);
        } catch (ExecutionException e) {
            return new Verdict(false, null, null, "worker failed: " + describe(e.getCause()), ms(t0), -1);
        }
        double millis = ms(t0);
        long alloc = (Long) r[1];
        Object result = r[0];
        if (alloc > o.maxCaseBytes())
            return new Verdict(false, null, null, String.format(Locale.ROOT, "allocated %.0f MB for one input (limit %.0f MB)",
                    alloc / 1048576.0, o.maxCaseBytes() / 1048576.0), millis, alloc);
        if (result instanceof GreyImage g) {
            if (g.width() <= 0 || g.height() <= 0 || g.pixels() == null || g.pixels().length != (long) g.width() * g.height()
                    || g.width() > ImageDecoder.MAX_SIDE || g.height() > ImageDecoder.MAX_SIDE)
                return new Verdict(false, null, null, "inconsistent image: " + g.width() + "x" + g.height() + " with "
                        + (g.pixels() == null ? "no" : String.valueOf(g.pixels().length)) + " pixels", millis, alloc);
            return new Verdict(true, g, null, null, millis, alloc);
        }
        if (result instanceof DecodeException d) {
            // the decoders turn OutOfMemoryError into "not enough memory": for these small inputs that hides a bomb
            if (d.reason().contains("not enough memory"))
                return new Verdict(false, null, d, "ran out of memory: " + d.reason(), millis, alloc);
            if (!d.getMessage().startsWith(name + ": "))
                return new Verdict(false, null, d, "message does not start with the file name: " + d.getMessage(), millis, alloc);
            // reasons may be shown to anyone and logged: they must never carry what the file holds (DICOM: the patient)
            String upper = d.reason().toUpperCase(Locale.ROOT);
            for (String secret : o.secrets())
                if (upper.contains(secret.toUpperCase(Locale.ROOT)))
                    return new Verdict(false, null, d, "the reason quotes the patient's details from the file: " + d.reason(), millis, alloc);
            if (!printable(d.reason()))
                return new Verdict(false, null, d, "the reason quotes raw bytes from the file: " + d.reason(), millis, alloc);
            return new Verdict(true, null, d, null, millis, alloc);
        }
        return new Verdict(false, null, null, describe((Throwable) result), millis, alloc);
    }

    /** The first unchecked exception or error in the cause chain: a programming error a safety net turned into a refusal. */
    static Throwable programmingError(Throwable t) {
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause())
            if (c instanceof RuntimeException || c instanceof Error) return c;
        return null;
    }

    /**
     * The package whose code threw {@code t}: the first stack frame outside the JDK (an index error surfaces in
     * System.arraycopy, but the caller passed the index), e.g. com.twelvemonkeys.imageio.plugins.jpeg. "unknown code"
     * when the JIT dropped the stack trace of a frequently thrown exception.
     */
    static String where(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            String c = e.getClassName();
            if (c.startsWith("java.") || c.startsWith("javax.") || c.startsWith("jdk.") || c.startsWith("sun.") || c.startsWith("com.sun."))
                continue;
            int dot = c.lastIndexOf('.');
            return dot < 0 ? c : c.substring(0, dot);
        }
        return "unknown code";
    }

    /** Plain text only: a control character or a replacement character means raw file bytes were quoted. */
    static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || c == '\uFFFD' || (c >= 0x80 && c < 0xA0)) return false;
        }
        return true;
    }

    private static String describe(Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        String[] lines = sw.toString().split("\n");
        StringBuilder b = new StringBuilder(t.toString());
        for (int i = 1; i < Math.min(lines.length, 6); i++) b.append(" | ").append(lines[i].trim());
        return b.toString();
    }

    private Failure save(Options o, int index, Seed s, String mutation, String problem, byte[] bytes) {
        Path saved = null;
        if (o.failureDir() != null) {
            try (var existing = Files.list(o.failureDir())) {
                if (existing.count() < 2L * MAX_SAVED) {
                    String base = String.format(Locale.ROOT, "seed%d-case%05d-%s", o.seed(), index, s.name().replaceAll("[^A-Za-z0-9._-]", "_"));
                    saved = o.failureDir().resolve(base + ".bin");
                    AtomicFiles.write(saved, bytes);
                    AtomicFiles.writeString(o.failureDir().resolve(base + ".txt"), "seed file: " + s.name() + "\nrun seed: " + o.seed()
                            + "\ncase: " + index + "\nmutation: " + mutation + "\nproblem: " + problem + "\n");
                }
            } catch (IOException e) {
                saved = null;
            }
        }
        return new Failure(index, s.name(), mutation, problem, saved);
    }

    private static double ms(long t0) { return (System.nanoTime() - t0) / 1e6; }

    /** Heap bytes allocated so far by the calling thread, or -1 where the JVM cannot tell. */
    static long allocatedBytes() {
        try {
            java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            if (mx instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported())
                return sun.getCurrentThreadAllocatedBytes();
        } catch (RuntimeException | LinkageError e) {
            // not a HotSpot-like JVM
        }
        return -1;
    }

    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
