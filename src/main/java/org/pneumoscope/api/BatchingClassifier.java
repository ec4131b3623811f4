package org.pneumoscope.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A {@link Classifier} shared by many threads that each classify one film at a time: calls that arrive within
 * {@link Policy#maxWait} of each other are run as one forward pass of up to {@link Policy#maxBatch} films, which on a
 * CPU costs little more than a pass of one. Each caller gets its own answer, the same (to float rounding of the batched
 * kernels) as {@link Classifier#predict(Film)} gives it, or its own exception.
 *
 * <p>Thread-safe: any number of threads may call {@link #predict}. One thread of its own runs the passes; calls with
 * and without mirror averaging are never mixed in a pass. When {@link Policy#maxQueue} calls are already waiting, a
 * call is refused at once with {@link Full} (a server answers 503 and asks the client to retry), so memory stays
 * bounded however many callers there are. {@link #close()} stops the thread and fails the calls still waiting; the
 * classifier itself stays open (its owner closes it).
 */
public final class BatchingClassifier implements AutoCloseable {
    /**
     * How calls are gathered.
     *
     * @param maxWait  how long the first call of a pass waits for others to join it
     * @param maxBatch the most films in one pass
     * @param maxQueue the most calls waiting for a pass; more are refused with {@link Full}
     */
    public record Policy(Duration maxWait, int maxBatch, int maxQueue) {
        public Policy {
            if (maxWait.isNegative()) throw new IllegalArgumentException("maxWait must not be negative: " + maxWait);
            if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
            if (maxQueue < 1) throw new IllegalArgumentException("maxQueue must be at least 1, got " + maxQueue);
        }

        /** A few milliseconds' wait and {@link Classifier#BATCH} films: what the server uses unless told otherwise. */
        public static Policy standard() {
            return new Policy(Duration.ofMillis(5), Classifier.BATCH, 256);
        }
    }

    /** A call refused because {@link Policy#maxQueue} calls were already waiting. */
    public static final class Full extends RuntimeException {
        Full(int waiting) {
            super(waiting + " films are already waiting to be classified");
        }
    }

    private record Call(Film film, boolean tta, CompletableFuture<Prediction> answer) {}

    private static final Call STOP = new Call(null, false, null);

    private final Classifier classifier;
    private final Policy policy;
    private final BlockingQueue<Call> queue;
    private final Thread runner;
    /** passes[k]: passes that held k + 1 films. */
    private final AtomicLongArray passes;
    private volatile boolean closed;

    public BatchingClassifier(Classifier classifier, Policy policy) {
        this(classifier, policy, true);
    }

    /** With {@code start} false no pass ever runs: calls only wait (tests of the queue's bound and of close). */
    BatchingClassifier(Classifier classifier, Policy policy, boolean start) {
        this.classifier = classifier;
        this.policy = policy;
        this.queue = new ArrayBlockingQueue<>(policy.maxQueue() + 1); // + 1: room for the stop signal
        this.passes = new AtomicLongArray(policy.maxBatch());
        this.runner = new Thread(this::loop, "pneumoscope-batcher");
        runner.setDaemon(true);
        if (start) runner.start();
    }

    public Classifier classifier() { return classifier; }

    public Policy policy() { return policy; }

    /** Classifies one film, with or without mirror averaging, in a pass shared with concurrent calls. */
    public Prediction predict(Film film, boolean tta) {
        if (closed) throw new IllegalStateException("the batching classifier is closed");
        Call c = new Call(film, tta, new CompletableFuture<>());
        if (queue.size() >= policy.maxQueue() || !queue.offer(c)) throw new Full(queue.size());
        try {
            return c.answer().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a prediction", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** How many passes held 1, 2, ... {@link Policy#maxBatch} films since this classifier was made. */
    public long[] passSizes() {
        long[] out = new long[passes.length()];
        for (int i = 0; i < out.length; i++) out[i] = passes.get(i);
        return out;
    }

    /** Films per pass on average (NaN before the first pass). */
    public double meanPassSize() {
        long n = 0, films = 0;
        for (int i = 0; i < passes.length(); i++) {
            n += passes.get(i);
            films += (i + 1) * passes.get(i);
        }
        return n == 0 ? Double.NaN : films / (double) n;
    }

    private void loop() {
        try {
            while (true) {
                Call first = queue.take();
                if (first == STOP) return;
                List<Call> batch = gather(first);
                boolean stop = batch.remove(STOP);
                run(batch);
                if (stop) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            failWaiting();
        }
    }

    /** The first call and those that arrive before its wait is over, up to a full pass. */
    private List<Call> gather(Call first) throws InterruptedException {
        List<Call> batch = new ArrayList<>(policy.maxBatch());
        batch.add(first);
        long deadline = System.nanoTime() + policy.maxWait().toNanos();
        while (batch.size() < policy.maxBatch()) {
            long left = deadline - System.nanoTime();
            Call c = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
            if (c == null) break;
            batch.add(c);
            if (c == STOP) break;
        }
        return batch;
    }

    /** One pass per mirror-averaging setting present; each call gets its own answer or the pass's failure. */
    private void run(List<Call> batch) {
        for (boolean tta : new boolean[] {false, true}) {
            List<Call> part = batch.stream().filter(c -> c.tta() == tta).toList();
            if (part.isEmpty()) continue;
            try {
                List<Prediction> answers = classifier.withTta(tta).predict(part.stream().map(Call::film).toList());
                passes.incrementAndGet(part.size() - 1);
                for (int i = 0; i < part.size(); i++) part.get(i).answer().complete(answers.get(i));
            } catch (RuntimeException e) {
                for (Call c : part) c.answer().completeExceptionally(e);
            }
        }
    }

    private void failWaiting() {
        for (Call c; (c = queue.poll()) != null; )
            if (c != STOP) c.answer().completeExceptionally(new IllegalStateException("the batching classifier was closed"));
    }

    /** Stops the pass thread after the pass it is running; calls still waiting fail with IllegalStateException. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        while (!queue.offer(STOP)) { // the queue is full: make room, failing the call taken out
            Call c = queue.poll();
            if (c != null && c != STOP) c.answer().completeExceptionally(new IllegalStateException("the batching classifier was closed"));
        }
        try {
            runner.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failWaiting();
    }
}
