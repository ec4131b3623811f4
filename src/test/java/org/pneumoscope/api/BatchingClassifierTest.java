package org.pneumoscope.api;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.synth.PhantomGenerator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Concurrent single-film calls share forward passes, and each caller still gets exactly its own answer. */
class BatchingClassifierTest {
    @TempDir static Path dir;
    static List<Film> films = new ArrayList<>();
    static Classifier classifier;

    @BeforeAll
    static void setUp() throws Exception {
        Path run = TinyRun.make(dir.resolve("run"), Map.of(), true);
        new PhantomGenerator().generate(dir.resolve("phantoms"), 16, 96, 9, 1);
        try (Stream<Path> s = Files.walk(dir.resolve("phantoms"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("phantom-") && !p.toString().contains("masks"))
                    .sorted().toList()) films.add(Film.read(p));
        }
        assertEquals(16, films.size());
        classifier = Classifier.load(run);
    }

    @AfterAll
    static void tearDown() {
        if (classifier != null) classifier.close();
    }

    @Test
    void concurrentCallersGetTheirOwnAnswersFromSharedPasses() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (BatchingClassifier b = new BatchingClassifier(classifier, new BatchingClassifier.Policy(Duration.ofMillis(200), 32, 64))) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Prediction>> answers = new ArrayList<>();
            for (int i = 0; i < films.size(); i++) {
                Film f = films.get(i);
                boolean tta = i % 4 == 3; // a few with mirror averaging: they go in passes of their own
                answers.add(pool.submit(() -> {
                    go.await();
                    return b.predict(f, tta);
                }));
            }
            go.countDown();
            for (int i = 0; i < films.size(); i++) {
                Prediction got = answers.get(i).get();
                Prediction alone = classifier.withTta(i % 4 == 3).predict(films.get(i));
                assertEquals(films.get(i).name(), got.film(), "each caller gets its own film's answer");
                assertEquals(alone.label(), got.label());
                assertArrayEquals(alone.probabilities(), got.probabilities(), 1e-5f, got.film());
                assertEquals(i % 4 == 3, got.tta());
            }
            long[] sizes = b.passSizes();
            long passes = 0, scored = 0;
            for (int k = 0; k < sizes.length; k++) {
                passes += sizes[k];
                scored += (k + 1) * sizes[k];
            }
            assertEquals(films.size(), scored, "every film went through exactly one pass");
            assertTrue(passes < films.size(), "films shared passes: " + passes + " passes for " + scored + " films");
            assertTrue(b.meanPassSize() > 1, "mean pass size " + b.meanPassSize());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFullQueueRefusesAtOnceAndCloseFailsTheWaitingCalls() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        // no pass ever runs, so calls stay waiting: the bound and close can be watched without timing
        BatchingClassifier b = new BatchingClassifier(classifier, new BatchingClassifier.Policy(Duration.ZERO, 4, 2), false);
        try {
            Future<Prediction> w1 = pool.submit(() -> b.predict(films.get(0), false));
            Future<Prediction> w2 = pool.submit(() -> b.predict(films.get(1), false));
            long until = System.nanoTime() + 10_000_000_000L;
            while (b.queued() < 2 && System.nanoTime() < until) Thread.sleep(5);
            assertThrows(BatchingClassifier.Full.class, () -> b.predict(films.get(2), false), "a third call exceeds the bound");
            b.close();
            for (Future<Prediction> w : List.of(w1, w2)) {
                var e = assertThrows(java.util.concurrent.ExecutionException.class, w::get);
                assertTrue(e.getCause() instanceof IllegalStateException && e.getCause().getMessage().contains("closed"), e.toString());
            }
            assertThrows(IllegalStateException.class, () -> b.predict(films.get(0), false), "a closed classifier takes no calls");
        } finally {
            b.close();
            pool.shutdownNow();
        }
    }
}
