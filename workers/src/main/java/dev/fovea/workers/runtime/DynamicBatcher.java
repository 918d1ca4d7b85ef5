package dev.fovea.workers.runtime;

import dev.fovea.topology.InferenceException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Batches the inputs of concurrent stream threads into one model run, the way a serving system's
 * dynamic batcher batches concurrent requests (Triton's {@code max_queue_delay}, TF Serving's
 * {@code batch_timeout_micros}).
 *
 * <p>A stream thread calls {@link #infer} from {@code process()} and blocks until its scores are
 * back, so no record is ever held across {@code process()} calls: a crash or a rebalance cannot
 * lose one (see the worker's design notes). A thread with many rows for one record (crops, or the
 * models of an ensemble, each with its own batcher) submits them all through one {@link
 * InferenceRound} and blocks until every one is back. Batching happens across threads and rows
 * instead: one batch runs when {@code maxBatchSize} rows are queued, when the oldest has waited
 * {@code maxQueueDelay}, or when {@code maxInFlight} rows are queued — every row that could be
 * submitted is waiting, so no more can come and waiting longer only adds latency. A batch may hold
 * rows of many records, and a record's rows may be split over many batches.
 *
 * <p>No input is copied: when a batch is formed the batcher allocates its input tensor and each
 * waiting thread writes its own rows into it, in parallel with the other threads, straight from its
 * decoded pixels; then the batcher runs the model once and each thread copies out only its own rows
 * of scores.
 *
 * <p>Errors: a row its thread cannot write, or a batch the model rejects as an invalid argument,
 * becomes an {@link InferenceException} for the rows at fault only (a rejected batch is rerun one
 * row at a time to find them), which the topology turns into dead letters. Any other exception from
 * the model is rethrown to every thread of that batch, and the batcher goes on with the next one. A
 * thread that waits longer than {@code timeout}, to be taken into a batch or for its batch to run,
 * gets an {@link IllegalStateException}: the worker stops and restarts from its last commit rather
 * than losing or stalling records.
 */
public final class DynamicBatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DynamicBatcher.class);

    /** What a thread gets back for its input. */
    public record Result(float[] scores, long queueNanos, long inferenceNanos, int batchSize) {}

    /** Writes one input row into {@code dst}, which has exactly one row remaining. */
    @FunctionalInterface
    public interface RowWriter {
        void write(FloatBuffer dst);
    }

    private final BatchModel model;
    private final int maxBatchSize;
    private final int maxInFlight;
    private final long maxQueueDelayNanos;
    private final long timeoutNanos;

    /**
     * When the last batch finished (or the batcher started): how a queued row tells a long queue
     * that moves from a model that stopped answering.
     */
    private volatile long lastBatchDoneNanos = System.nanoTime();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    private final Deque<InferenceRound.Ticket> queue = new ArrayDeque<>();
    private boolean closed;

    // Written by the batcher thread only; read under the lock by stats().
    private final long[] batchSizes;
    private final long[] queueWaitMicros = new long[40];
    private long inputs;
    private long totalQueueWaitNanos;
    private long maxQueueWaitNanos;
    private final long[] inferenceMicros = new long[40];
    private long totalInferenceNanos;

    private final Thread thread;

    /**
     * Starts the batcher's thread.
     *
     * @param maxBatchSize the most inputs per model run
     * @param maxQueueDelay the longest the oldest queued input waits for others to join its batch
     * @param maxInFlight the most inputs that can be waiting at once (stream threads x inputs per
     *     record); a batch runs as soon as that many are queued
     * @param timeout the longest a thread waits to be taken into a batch, and then for its result
     */
    public DynamicBatcher(
            String name,
            BatchModel model,
            int maxBatchSize,
            Duration maxQueueDelay,
            int maxInFlight,
            Duration timeout) {
        if (maxBatchSize < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("maxBatchSize and maxInFlight must be at least 1");
        }
        if (maxQueueDelay.isNegative() || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(
                    "maxQueueDelay must not be negative and timeout must be positive");
        }
        this.model = model;
        this.maxBatchSize = maxBatchSize;
        this.maxInFlight = maxInFlight;
        this.maxQueueDelayNanos = maxQueueDelay.toNanos();
        this.timeoutNanos = timeout.toNanos();
        this.batchSizes = new long[maxBatchSize + 1];
        this.thread = new Thread(this::loop, "fovea-batcher-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Runs one input through the model with whatever other inputs are waiting, and waits for its
     * scores: an {@link InferenceRound} of one row.
     *
     * @throws InferenceException when this input cannot be classified (it becomes a dead letter)
     * @throws IllegalStateException when no batch takes this input, or its batch does not finish,
     *     within the timeout, or the batcher is closed
     * @throws RuntimeException whatever else the model threw while running this input's batch
     */
    public Result infer(RowWriter writer) throws InferenceException {
        try (InferenceRound round = new InferenceRound()) {
            InferenceRound.Ticket ticket = round.submit(this, writer);
            round.await();
            return new Result(
                    ticket.scores(),
                    ticket.queueNanos(),
                    ticket.inferenceNanos(),
                    ticket.batchSize());
        }
    }

    /** Queues a round's row; called under that round's lock. */
    void enqueue(InferenceRound.Ticket ticket) {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the batcher is closed");
            }
            queue.addLast(ticket);
            queued.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes back a row no batch has taken; false if a batch took it (or {@link #close()} failed it)
     * meanwhile, in which case its round hears of it as usual.
     */
    boolean withdraw(InferenceRound.Ticket ticket) {
        lock.lock();
        try {
            return queue.remove(ticket);
        } finally {
            lock.unlock();
        }
    }

    /** The longest a row waits to be taken into a batch, and then for its batch to run. */
    long timeoutNanos() {
        return timeoutNanos;
    }

    long lastBatchDoneNanos() {
        return lastBatchDoneNanos;
    }

    /** A snapshot of what has run so far. */
    public BatcherStats stats() {
        lock.lock();
        try {
            return new BatcherStats(
                    batchSizes.clone(),
                    queueWaitMicros.clone(),
                    inputs,
                    totalQueueWaitNanos,
                    maxQueueWaitNanos,
                    inferenceMicros.clone(),
                    totalInferenceNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Stops the thread; inputs still queued fail with an {@link IllegalStateException}. */
    @Override
    public void close() {
        List<InferenceRound.Ticket> abandoned;
        lock.lock();
        try {
            closed = true;
            abandoned = new ArrayList<>(queue);
            queue.clear();
            queued.signalAll();
        } finally {
            lock.unlock();
        }
        // Outside the lock: a round calls into the batcher under its own lock.
        for (InferenceRound.Ticket t : abandoned) {
            t.failure = new IllegalStateException("the batcher was closed");
            t.round.completed(t);
        }
        // Not interrupted: a batch in progress finishes (its threads are writing into its memory),
        // then the loop sees the flag. The loop itself closes the batcher when it fails, and a
        // thread that joins itself would wait out the whole timeout.
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        try {
            List<InferenceRound.Ticket> batch;
            while ((batch = next()) != null) {
                run(batch);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            // An Error would end the thread anyway: closing makes later inputs fail at once
            // instead of each waiting out the timeout in a queue nobody serves.
            log.error("the batcher failed; closing it", e);
            close();
        }
    }

    /** Waits for a batch to be due and takes it; null once closed. */
    private List<InferenceRound.Ticket> next() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty() && !closed) {
                queued.await();
            }
            if (closed) {
                return null;
            }
            int due = Math.min(maxBatchSize, maxInFlight);
            long deadline = queue.peekFirst().submitted + maxQueueDelayNanos;
            long left;
            while (queue.size() < due && !closed && (left = deadline - System.nanoTime()) > 0) {
                queued.awaitNanos(left);
            }
            if (closed) {
                return null;
            }
            List<InferenceRound.Ticket> batch =
                    new ArrayList<>(Math.min(queue.size(), maxBatchSize));
            while (!queue.isEmpty() && batch.size() < maxBatchSize) {
                batch.add(queue.pollFirst());
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    private void run(List<InferenceRound.Ticket> requests) {
        int n = requests.size();
        long start = System.nanoTime();
        BatchModel.Batch batch;
        try {
            batch = model.allocate(n);
        } catch (RuntimeException e) {
            // Out of memory for this batch, say: fails it like a failed run; the next may fit.
            fail(requests, e);
            finish(requests);
            return;
        }
        try (batch) {
            FloatBuffer input = batch.input();
            int length = model.inputLength();
            CountDownLatch written = new CountDownLatch(n);
            for (int i = 0; i < n; i++) {
                InferenceRound.Ticket r = requests.get(i);
                r.row = input.duplicate().position(i * length).limit((i + 1) * length).slice();
                r.written = written;
                r.queueNanos = start - r.submitted;
                r.batchSize = n;
                r.round.assigned(r);
            }
            // No timeout and no interrupt: every round writes its rows (bounded CPU work) or gives
            // them up, counting each exactly once, and the batch's memory must not be freed while
            // one writes.
            awaitUninterruptibly(written);
            long inferenceStart = System.nanoTime();
            try {
                batch.run();
                for (int i = 0; i < n; i++) {
                    InferenceRound.Ticket r = requests.get(i);
                    if (r.rejected == null) {
                        r.scores = new float[model.classes()];
                        batch.scores(i, r.scores);
                    }
                }
            } catch (InferenceException e) {
                isolate(requests, input, e);
            } catch (RuntimeException e) {
                fail(requests, e);
            }
            long inference = System.nanoTime() - inferenceStart;
            for (InferenceRound.Ticket r : requests) {
                r.inferenceNanos = inference;
            }
            record(requests);
        } finally {
            lastBatchDoneNanos = System.nanoTime();
            finish(requests);
        }
    }

    /** Hands every request its outcome; one still without one gets a failure. */
    private static void finish(List<InferenceRound.Ticket> requests) {
        for (InferenceRound.Ticket r : requests) {
            if (r.scores == null && r.rejected == null && r.failure == null) {
                r.failure = new IllegalStateException("the batch failed; see the batcher's log");
            }
            r.round.completed(r);
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The model rejected a batch: runs each row alone, so only the inputs at fault become dead
     * letters. Rare, so the copy of one row into its own batch costs nothing in the common case.
     */
    private void isolate(
            List<InferenceRound.Ticket> requests, FloatBuffer input, InferenceException cause) {
        if (requests.size() == 1) {
            InferenceRound.Ticket only = requests.get(0);
            if (only.rejected == null) { // else its row was never written: keep that reason
                only.rejected = cause;
            }
            return;
        }
        int length = model.inputLength();
        for (int i = 0; i < requests.size(); i++) {
            InferenceRound.Ticket r = requests.get(i);
            if (r.rejected != null) {
                continue;
            }
            try (BatchModel.Batch single = model.allocate(1)) {
                single.input().put(input.duplicate().position(i * length).limit((i + 1) * length));
                single.run();
                r.scores = new float[model.classes()];
                single.scores(0, r.scores);
            } catch (InferenceException e) {
                r.rejected = e;
            } catch (RuntimeException e) {
                r.failure = e;
            }
        }
    }

    private static void fail(List<InferenceRound.Ticket> requests, RuntimeException e) {
        for (InferenceRound.Ticket r : requests) {
            r.failure = e;
        }
    }

    private void record(List<InferenceRound.Ticket> requests) {
        lock.lock();
        try {
            batchSizes[requests.size()]++;
            long inference = requests.get(0).inferenceNanos;
            totalInferenceNanos += inference;
            inferenceMicros[BatcherStats.microsBucket(inference, inferenceMicros.length)]++;
            for (InferenceRound.Ticket r : requests) {
                inputs++;
                totalQueueWaitNanos += r.queueNanos;
                maxQueueWaitNanos = Math.max(maxQueueWaitNanos, r.queueNanos);
                queueWaitMicros[BatcherStats.microsBucket(r.queueNanos, queueWaitMicros.length)]++;
            }
        } finally {
            lock.unlock();
        }
    }
}
