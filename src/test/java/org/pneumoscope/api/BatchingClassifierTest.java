package org.pneumoscope.api;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.Label;
import org.pneumoscope.synth.PhantomGenerator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Dynamic batching: concurrent callers share forward passes and still get exactly their own answers, Grad-CAM of a
 * batch equals Grad-CAM of each film alone, a full queue refuses at once, and closing fails only the waiting calls.
 */
class BatchingClassifierTest {
    @TempDir static Path dir;
    static Classifier classifier;
    static List<Film> films;

    @BeforeAll
    static void setUp() throws Exception {
        Path run = TinyRun.make(dir.resolve("run"), Map.of("contrast", "equalize"), true);
        new PhantomGenerator().generate(dir.resolve("phantoms"), 12, 96, 3, 1);
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir.resolve("phantoms"))) {
            files = s.filter(p -> p.getFileName().toString().startsWith("phantom-") && p.toString().endsWith(".png"))
                    .filter(p -> !p.toString().contains("masks")).sorted().limit(12).toList();
        }
        films = new ArrayList<>();
        for (Path f : files) films.add(Film.read(f));
        assertEquals(12, films.size(), "phantom films");
        classifier = Classifier.load(run);
    }

    @AfterAll
    static void tearDown() {
        if (classifier != null) classifier.close();
    }

    /** A policy that holds films back long enough for every caller of a test to join one pass. */
    static BatchPolicy gathering(int maxBatch) {
        return new BatchPolicy(Duration.ofMillis(500), maxBatch, 64, 1, null);
    }

    /** Runs {@code call} for every index from its own thread, all released at once; results in index order. */
    static <T> List<T> concurrently(int n, Function<Integer, T> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(pool.submit(() -> {
                    go.await();
                    return call.apply(k);
                }));
            }
            go.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) out.add(f.get(120, TimeUnit.SECONDS));
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A runner hook that says it was reached, then holds the pass until released (or interrupted, as close() does). */
    static Runnable holding(CountDownLatch entered, CountDownLatch release) {
        return () -> {
            entered.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    static void assertClose(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], tol, what + " [" + i + "]");
    }

    @Test
    void concurrentCallersGetExactlyTheirOwnAnswers() throws Exception {
        int n = films.size();
        try (BatchingClassifier b = classifier.batching(gathering(n))) {
            b.predict(films.get(0)); // a call runs at once unless another came within the wait: the next ones will
            // half with mirror averaging: those never share a pass with the others
            List<Prediction> got = concurrently(n, i -> b.predict(films.get(i), i % 2 == 0));
            for (int i = 0; i < n; i++) {
                Prediction want = classifier.withTta(i % 2 == 0).predict(films.get(i));
                Prediction p = got.get(i);
                assertEquals(films.get(i).name(), p.film(), "each caller gets its own film's answer");
                assertEquals(i % 2 == 0, p.tta());
                assertClose(want.probabilities(), p.probabilities(), 1e-6, "probabilities of film " + i);
                assertClose(want.logits(), p.logits(), 1e-5, "logits of film " + i);
                assertClose(want.features(), p.features(), 1e-5, "features of film " + i);
                assertEquals(want.label(), p.label());
            }
            BatchStats s = b.stats();
            assertEquals(n + 1, s.films(), s.toMap().toString());
            assertTrue(s.maxSize() > 1, "a pass held several films: " + s.toMap());
            assertTrue(s.passes() < n, "fewer passes than films: " + s.toMap());
            assertTrue(s.maxSize() <= n / 2 + 1, "films with and without mirror averaging never share a pass: " + s.toMap());
        }
    }

    @Test
    void aBatchedGradCamEqualsEachFilmsOwn() {
        List<Film> six = films.subList(0, 6);
        int withEvidence = 0;
        for (String layer : new String[] {null, "layer3"}) {
            List<Label> targets = new ArrayList<>();
            for (int i = 0; i < six.size(); i++) targets.add(i % 3 == 0 ? null : Label.of(i % 3));
            List<Explanation> batch = classifier.explain(six, layer, targets);
            for (int i = 0; i < six.size(); i++) {
                Explanation alone = classifier.explain(six.get(i), layer, targets.get(i));
                Explanation e = batch.get(i);
                String what = "film " + i + " at " + (layer == null ? "the last layer" : layer);
                assertEquals(alone.explained(), e.explained(), what);
                assertEquals(alone.layer(), e.layer(), what);
                assertClose(alone.heatmap().map(), e.heatmap().map(), 1e-5, "heatmap of " + what);
                assertClose(alone.prediction().probabilities(), e.prediction().probabilities(), 1e-5, "probabilities of " + what);
                if (layer == null) assertClose(alone.prediction().features(), e.prediction().features(), 1e-5, "features of " + what);
                float max = 0;
                for (float v : e.heatmap().map()) max = Math.max(max, v);
                if (max == 1f) withEvidence++;
            }
        }
        // a map of a class the film shows no evidence for is all zeros; most maps here are not, so they compare something
        assertTrue(withEvidence >= 6, withEvidence + " of 12 maps hold evidence");
    }

    @Test
    void concurrentGradCamCallsShareAPass() throws Exception {
        int n = 6;
        try (BatchingClassifier b = classifier.batching(gathering(n))) {
            b.explain(films.get(0));
            List<Explanation> got = concurrently(n, i -> b.explain(films.get(i), null, i == 1 ? Label.VIRUS : null));
            for (int i = 0; i < n; i++) {
                Explanation alone = classifier.explain(films.get(i), null, i == 1 ? Label.VIRUS : null);
                assertEquals(alone.explained(), got.get(i).explained());
                assertClose(alone.heatmap().map(), got.get(i).heatmap().map(), 1e-5, "heatmap of film " + i);
            }
            assertEquals(Label.VIRUS, got.get(1).explained());
            assertTrue(b.stats().maxSize() > 1, b.stats().toMap().toString());
        }
    }

    @Test
    void aMirrorAveragedGradCamPassGivesPredictionsAnswerAndTheFilmsOwnHeatmap() throws Exception {
        int n = 6;
        try (BatchingClassifier b = classifier.batching(gathering(n))) {
            b.explain(films.get(0), null, null, true);
            List<Explanation> got = concurrently(n, i -> b.explain(films.get(i), null, i == 1 ? Label.VIRUS : null, true));
            int differs = 0;
            for (int i = 0; i < n; i++) {
                Prediction want = classifier.withTta(true).predict(films.get(i));
                Explanation e = got.get(i);
                String what = "film " + i;
                assertTrue(e.prediction().tta(), what);
                assertClose(want.probabilities(), e.prediction().probabilities(), 1e-5, "probabilities of " + what);
                assertClose(want.features(), e.prediction().features(), 1e-5, "features of " + what);
                assertEquals(want.label(), e.prediction().label(), what);
                Label explained = i == 1 ? Label.VIRUS : want.label();
                assertEquals(explained, e.explained(), what);
                // the map is the film's own (not its mirror's), of the class the averaged prediction chose
                Explanation own = classifier.explain(films.get(i), null, explained);
                assertClose(own.heatmap().map(), e.heatmap().map(), 1e-5, "heatmap of " + what);
                float[] plain = classifier.withTta(false).predict(films.get(i)).probabilities();
                for (int k = 0; k < plain.length; k++) if (Math.abs(plain[k] - want.probabilities()[k]) > 1e-4) { differs++; break; }
            }
            assertTrue(differs > 0, "mirror averaging changed some film's probabilities, so the comparison tells the two apart");
            BatchStats s = b.stats();
            assertTrue(s.maxSize() > 1 && s.passes() < n + 1, "the films shared passes: " + s.toMap());
        }
    }

    @Test
    void aFullQueueRefusesAtOnceAndTheOthersComplete() throws Exception {
        CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        Runnable hold = holding(entered, release);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (BatchingClassifier b = classifier.batching(new BatchPolicy(Duration.ZERO, 8, 1, 1, hold))) {
            Future<Prediction> first = pool.submit(() -> b.predict(films.get(0)));
            assertTrue(entered.await(60, TimeUnit.SECONDS), "the first call reached the runner");
            Future<Prediction> second = pool.submit(() -> b.predict(films.get(1)));
            for (int i = 0; i < 600 && b.waiting() < 1; i++) Thread.sleep(10);
            assertEquals(1, b.waiting());
            QueueFullException e = assertThrows(QueueFullException.class, () -> b.predict(films.get(2)));
            assertEquals(1, e.waiting());
            release.countDown();
            assertEquals(films.get(0).name(), first.get(60, TimeUnit.SECONDS).film());
            assertEquals(films.get(1).name(), second.get(60, TimeUnit.SECONDS).film());
            assertEquals(1, b.stats().rejected());
            assertEquals(2, b.stats().films());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void closingFailsTheWaitingCallsFinishesTheRunningPassAndStopsItsThreads() throws Exception {
        CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        Runnable hold = holding(entered, release);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        BatchingClassifier b = classifier.batching(new BatchPolicy(Duration.ZERO, 1, 8, 1, hold));
        try {
            Future<Prediction> running = pool.submit(() -> b.predict(films.get(0)));
            assertTrue(entered.await(60, TimeUnit.SECONDS));
            List<Future<Prediction>> waiting = List.of(pool.submit(() -> b.predict(films.get(1))),
                    pool.submit(() -> b.predict(films.get(2))));
            for (int i = 0; i < 600 && b.waiting() < 2; i++) Thread.sleep(10);
            assertEquals(2, b.waiting());
            b.close();
            assertEquals(films.get(0).name(), running.get(60, TimeUnit.SECONDS).film(), "the pass in flight finished");
            for (Future<Prediction> f : waiting) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
                assertInstanceOf(CancellationException.class, e.getCause());
            }
            assertThrows(RejectedExecutionException.class, () -> b.predict(films.get(3)));
            assertTrue(Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().startsWith("pneumoscope-batch") && t.isAlive()), "no runner thread left");
            assertNotNull(classifier.predict(films.get(3)), "the classifier underneath stays open");
        } finally {
            release.countDown();
            b.close();
            pool.shutdownNow();
        }
    }

    @Test
    void aPassThatFailsIsSplitSoThatOnlyTheBadInputFails() throws Exception {
        Batcher.Pass<String, Integer, Integer> square = (key, in) -> {
            for (int v : in) if (v < 0) throw new IllegalArgumentException("negative input " + v);
            return in.stream().map(v -> v * v).toList();
        };
        try (Batcher<String, Integer, Integer> b = new Batcher<>(gathering(5), square, "test-batcher")) {
            assertEquals(100, b.call("k", 10));
            List<Object> got = concurrently(5, i -> {
                try {
                    return (Object) b.call("k", i == 3 ? -3 : i);
                } catch (IllegalArgumentException e) {
                    return e;
                }
            });
            for (int i = 0; i < 5; i++) {
                if (i == 3) assertEquals("negative input -3", ((Exception) got.get(i)).getMessage());
                else assertEquals(i * i, got.get(i), "input " + i);
            }
            BatchStats s = b.stats();
            assertTrue(s.split() >= 1, "the failed pass was retried film by film: " + s.toMap());
            assertTrue(s.maxSize() > 1, s.toMap().toString());
            // the retries are counted apart: every film once in the histogram, the failed pass's films again as retries
            assertEquals(6, s.films(), "each film counted once: " + s.toMap());
            assertTrue(s.retriedSingly() >= 2, "a failed pass of 2 or more films was retried film by film: " + s.toMap());
            assertEquals(s.retriedSingly(), s.toMap().get("retried_singly"));
        }
    }

    @Test
    void aRunnerTakesNoMoreThanItsShareSoThatPassesStayEven() throws Exception {
        // two runners, one film in each pass, eight waiting: the first runner to finish takes 5 of the 9, not all 8
        assertEquals(List.of(5, 3), secondPassAndLeftBehind(2));
    }

    @Test
    void aLoneRunnerStillTakesEveryWaitingFilm() throws Exception {
        assertEquals(List.of(8, 0), secondPassAndLeftBehind(1));
    }

    /**
     * Holds each of {@code runners} runners in a pass of one film, queues eight more, lets the first runner go and
     * returns the size of its next pass and the films it left waiting; then checks that every caller got its answer.
     */
    static List<Integer> secondPassAndLeftBehind(int runners) throws Exception {
        Semaphore permits = new Semaphore(0, true); // each pass waits for one permit, handed out in arrival order
        AtomicInteger entered = new AtomicInteger();
        Runnable gate = () -> {
            entered.incrementAndGet();
            try {
                permits.acquire();
            } catch (InterruptedException e) { // close() interrupts a held runner
                Thread.currentThread().interrupt();
            }
        };
        Batcher.Pass<String, Integer, Integer> twice = (key, in) -> in.stream().map(v -> 2 * v).toList();
        ExecutorService pool = Executors.newFixedThreadPool(runners + 8);
        BatchPolicy policy = new BatchPolicy(Duration.ZERO, 16, 64, runners, gate);
        try (Batcher<String, Integer, Integer> b = new Batcher<>(policy, twice, "test-batcher")) {
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < runners + 8; i++) {
                int v = i;
                calls.add(pool.submit(() -> b.call("k", v)));
                if (i < runners) awaitTrue(() -> entered.get() == v + 1, "runner " + (v + 1) + " started its pass");
            }
            awaitTrue(() -> b.waiting() == 8, "eight films wait");
            permits.release();
            awaitTrue(() -> entered.get() == runners + 1, "the first runner started its second pass");
            List<Integer> seen = List.of(b.stats().maxSize(), b.waiting());
            permits.release(100);
            for (int i = 0; i < calls.size(); i++)
                assertEquals(2 * i, calls.get(i).get(60, TimeUnit.SECONDS), "input " + i);
            assertEquals(seen.get(0), b.stats().maxSize(), "no later pass was larger: " + b.stats().toMap());
            return seen;
        } finally {
            permits.release(100);
            pool.shutdownNow();
        }
    }

    static void awaitTrue(BooleanSupplier done, String what) throws InterruptedException {
        for (int i = 0; i < 6000 && !done.getAsBoolean(); i++) Thread.sleep(10);
        assertTrue(done.getAsBoolean(), what);
    }

    @Test
    void aLoneCallerIsNotHeldBack() {
        try (BatchingClassifier b = classifier.batching(new BatchPolicy(Duration.ofMillis(800), 16, 8, 1, null))) {
            b.predict(films.get(0)); // warm-up, and the first call
            long t0 = System.nanoTime();
            try {
                Thread.sleep(900); // longer than the wait: the next call is not under load
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            long t1 = System.nanoTime();
            b.predict(films.get(1));
            double ms = (System.nanoTime() - t1) / 1e6;
            assertTrue(ms < 700, "a call that came alone ran at once, not after the 800 ms wait: " + ms + " ms");
            assertTrue(t1 > t0);
        }
    }
}
