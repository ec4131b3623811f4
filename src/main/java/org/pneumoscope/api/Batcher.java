package org.pneumoscope.api;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The engine under {@link BatchingClassifier}: callers on any thread submit an input under a key; runner threads
 * take the oldest waiting input and every other waiting one with an equal key (up to the policy's largest batch),
 * run them as one pass, and hand each caller its own output. Inputs under different keys never share a pass. A runner
 * takes no more than its share of the inputs waiting or in passes ({@link #share()}).
 *
 * <p>A pass that fails as a whole is run again one input at a time, so an input the pass cannot take fails only
 * its own caller. {@link #close()} fails the inputs still waiting, lets passes in flight finish, and stops the runners.
 *
 * @param <K> what inputs must share to be run together (e.g. Grad-CAM or not, mirror averaging or not)
 */
final class Batcher<K, I, O> implements AutoCloseable {
    /** One forward pass: an output per input, in the inputs' order. */
    interface Pass<K, I, O> {
        List<O> run(K key, List<I> inputs);
    }

    private static final class Job<K, I, O> {
        final K key;
        final I input;
        final long arrived;
        /** Whether another input arrived within the wait before this one: only then is it held back for company. */
        final boolean underLoad;
        final CompletableFuture<O> result = new CompletableFuture<>();

        Job(K key, I input, long arrived, boolean underLoad) {
            this.key = key;
            this.input = input;
            this.arrived = arrived;
            this.underLoad = underLoad;
        }
    }

    private final BatchPolicy policy;
    private final Pass<K, I, O> pass;
    private final long waitNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Job<K, I, O>> waiting = new ArrayDeque<>();
    private final List<Thread> runners = new ArrayList<>();
    // guarded by lock
    private boolean closed;
    private long lastArrival;
    private boolean anyArrival;
    private final long[] sizes;
    private long rejected, split, retriedSingly;
    /** Films in the passes running now. */
    private int inPasses;

    Batcher(BatchPolicy policy, Pass<K, I, O> pass, String name) {
        this.policy = Objects.requireNonNull(policy);
        this.pass = Objects.requireNonNull(pass);
        this.waitNanos = policy.maxWait().toNanos();
        this.sizes = new long[policy.maxBatch() + 1];
        for (int i = 0; i < policy.runners(); i++) {
            Thread t = new Thread(this::runLoop, name + "-" + (i + 1));
            t.setDaemon(true);
            runners.add(t);
        }
        runners.forEach(Thread::start);
    }

    /** Queues an input; the future completes with its output, its own failure, or a CancellationException on close. */
    CompletableFuture<O> submit(K key, I input) {
        lock.lock();
        try {
            if (closed) throw new RejectedExecutionException("the batching classifier is closed");
            if (waiting.size() >= policy.queueLimit()) {
                rejected++;
                throw new QueueFullException(waiting.size());
            }
            long now = System.nanoTime();
            boolean underLoad = anyArrival && now - lastArrival < waitNanos;
            lastArrival = now;
            anyArrival = true;
            Job<K, I, O> job = new Job<>(key, input, now, underLoad);
            waiting.addLast(job);
            changed.signalAll();
            return job.result;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Submits and waits. The caller's own failure is thrown as it was (unchecked); an interrupted caller withdraws its
     * input if no pass has taken it yet and gets a CancellationException with its interrupt flag set.
     */
    O call(K key, I input) {
        CompletableFuture<O> f = submit(key, input);
        try {
            return f.get();
        } catch (InterruptedException e) {
            withdraw(f);
            Thread.currentThread().interrupt();
            CancellationException c = new CancellationException("interrupted while waiting for a forward pass");
            c.initCause(e);
            throw c;
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error err) throw err;
            throw new IllegalStateException(t);
        }
    }

    private void withdraw(CompletableFuture<O> f) {
        lock.lock();
        try {
            waiting.removeIf(j -> j.result == f);
        } finally {
            lock.unlock();
        }
        f.cancel(false);
    }

    BatchStats stats() {
        lock.lock();
        try {
            return new BatchStats(sizes, rejected, split, retriedSingly);
        } finally {
            lock.unlock();
        }
    }

    /** Films waiting for a pass now. */
    int waiting() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    private void runLoop() {
        List<Job<K, I, O>> batch;
        while ((batch = next()) != null) run(batch);
    }

    /** Blocks until a batch is due; null once closed. */
    private List<Job<K, I, O>> next() {
        lock.lock();
        try {
            while (true) {
                while (waiting.isEmpty() && !closed) changed.awaitUninterruptibly();
                if (closed) return null;
                Job<K, I, O> first = waiting.peekFirst();
                if (first.underLoad && !gatherFor(first)) continue; // another runner took it meanwhile
                if (closed) return null;
                List<Job<K, I, O>> batch = take(first.key);
                inPasses += batch.size();
                return batch;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until {@code first}'s pass is full or its wait is over; false if another runner took it meanwhile. */
    private boolean gatherFor(Job<K, I, O> first) {
        long deadline = first.arrived + waitNanos;
        while (!closed && waiting.peekFirst() == first && count(first.key) < policy.maxBatch()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) break;
            try {
                changed.awaitNanos(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // close() interrupts; the loop sees closed
                return true;
            }
        }
        return closed || waiting.peekFirst() == first;
    }

    private int count(K key) {
        int n = 0;
        for (Job<K, I, O> j : waiting) if (j.key.equals(key)) n++;
        return n;
    }

    private List<Job<K, I, O>> take(K key) {
        List<Job<K, I, O>> batch = new ArrayList<>();
        int cap = Math.min(policy.maxBatch(), share());
        for (Iterator<Job<K, I, O>> it = waiting.iterator(); it.hasNext() && batch.size() < cap; ) {
            Job<K, I, O> j = it.next();
            if (!j.key.equals(key)) continue;
            it.remove();
            if (!j.result.isDone()) batch.add(j);
        }
        return batch;
    }

    /**
     * A runner's share of the inputs in the batcher (waiting or in passes), rounded up. Why: when one runner takes every
     * waiting input while the other runs a small pass, its inputs wait out one long pass while the other's come back
     * quickly, and under steady load that unevenness is where the slowest answers come from. Taking no more than its
     * share keeps the passes of all runners about equal in size; the inputs left behind are taken by the next runner
     * to finish, which under load is soon.
     */
    private int share() {
        int n = policy.runners();
        return Math.max(1, (waiting.size() + inPasses + n - 1) / n);
    }

    /**
     * Runs a batch and completes its callers' futures. Its films leave {@link #inPasses} before any caller is answered:
     * a caller that sends its next film at once must not be counted twice in the other runners' shares.
     */
    private void run(List<Job<K, I, O>> batch) {
        if (batch.isEmpty()) return;
        List<O> out;
        try {
            out = attempt(batch, false);
        } catch (RuntimeException | Error e) {
            count(() -> inPasses -= batch.size());
            runAlone(batch, e);
            return;
        }
        count(() -> inPasses -= batch.size());
        for (int i = 0; i < batch.size(); i++) batch.get(i).result.complete(out.get(i));
    }

    /** A failed pass again film by film, so that only the films the network cannot take fail. */
    private void runAlone(List<Job<K, I, O>> batch, Throwable e) {
        if (batch.size() == 1) {
            batch.get(0).result.completeExceptionally(e);
            return;
        }
        count(() -> split++);
        for (Job<K, I, O> j : batch) {
            try {
                j.result.complete(attempt(List.of(j), true).get(0));
            } catch (RuntimeException | Error alone) {
                j.result.completeExceptionally(alone);
            }
        }
    }

    /** Runs one pass; a {@code retry} of a film whose pass failed counts apart from the passes films were gathered into. */
    private List<O> attempt(List<Job<K, I, O>> batch, boolean retry) {
        count(() -> {
            if (retry) retriedSingly++;
            else sizes[batch.size()]++;
        });
        if (policy.beforePass() != null) policy.beforePass().run();
        List<I> inputs = new ArrayList<>(batch.size());
        for (Job<K, I, O> j : batch) inputs.add(j.input);
        List<O> out = pass.run(batch.get(0).key, inputs);
        if (out.size() != batch.size()) throw new IllegalStateException(out.size() + " outputs for " + batch.size() + " inputs");
        return out;
    }

    private void count(Runnable r) {
        lock.lock();
        try {
            r.run();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Refuses new inputs, fails those still waiting with a CancellationException, lets passes in flight finish
     * (their callers get their outputs) and waits for the runner threads to end.
     */
    @Override
    public void close() {
        List<Job<K, I, O>> dropped;
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            dropped = new ArrayList<>(waiting);
            waiting.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        for (Job<K, I, O> j : dropped)
            j.result.completeExceptionally(new CancellationException("the batching classifier closed before this film's pass"));
        for (Thread t : runners) {
            if (t == Thread.currentThread()) continue;
            t.interrupt(); // a runner held in beforePass (tests) lets go
            try {
                t.join(TimeUnit.SECONDS.toMillis(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
