package dev.fovea.workers.runtime;

import dev.fovea.topology.InferenceException;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The rows one stream thread has in flight for one record, across any number of batchers: the crops
 * of a test-time augmentation, the inputs of every model of an ensemble. Used by the thread that
 * made it only.
 *
 * <p>The thread {@linkplain #submit submits} every row first, so that batches fill from its rows as
 * well as from other threads', then {@linkplain #await awaits} them all. While it waits it writes
 * each of its rows as soon as any batcher forms the batch that row is in, in whatever order the
 * batchers form them. That is what keeps crossed waits from deadlocking: a batch waits for every
 * one of its rows to be written, so a thread that waited on model A's rows only, while model B's
 * batcher held some of its B rows, would stall B's batch and with it every thread that has rows
 * there, which might be the very thread A's batch waits for.
 *
 * <p>Each row has its batcher's timeout to be taken into a batch, counted from when it was queued
 * or from the batcher's last finished batch, whichever is later, then the timeout again for its
 * batch to run. So a model that stops answering fails the worker within the timeout, while a long
 * queue that moves does not: 144 crops of three members from 16 threads are thousands of rows,
 * minutes of work on a CPU. Always close a round (try-with-resources): a round that ends before
 * {@link #await} finished, on an exception between submitting and awaiting say, withdraws its rows
 * still queued and gives up its rows already in a batch unwritten, so no batch waits for it.
 *
 * <pre>{@code
 * try (InferenceRound round = new InferenceRound()) {
 *     List<InferenceRound.Ticket> a = crops.stream().map(c -> round.submit(modelA, c)).toList();
 *     List<InferenceRound.Ticket> b = crops.stream().map(c -> round.submit(modelB, c)).toList();
 *     round.await();
 *     // a.get(i).scores(), b.get(i).scores()
 * }
 * }</pre>
 */
public final class InferenceRound implements AutoCloseable {

    // Lock order: a round's lock, then a batcher's, never the other way: a batcher calls back
    // into rounds (assigned, completed) only while it holds no lock of its own.
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Ticket> tickets = new ArrayList<>();
    private final Deque<Ticket> assigned = new ArrayDeque<>();
    private int pending;
    private RuntimeException failure;
    private boolean closed;

    /** What a ticket is waiting for; guarded by the round's lock. */
    enum State {
        /** In its batcher's queue. */
        QUEUED,
        /** Taken into a batch that is not yet allocated: no longer withdrawable. */
        TAKEN,
        /** Its batch is allocated and waits for this row. */
        ASSIGNED,
        /** Being written by the round's thread. */
        WRITING,
        /** Written (or given up) and counted; its batch may be running. */
        WRITTEN,
        /** Has its outcome. */
        DONE,
        /** Taken back from its batcher's queue; no batch will ever see it. */
        WITHDRAWN
    }

    /**
     * Queues one row on {@code batcher} and returns at once; {@code writer} runs later, on this
     * round's thread in {@link #await}, when the row's batch is formed.
     *
     * @throws IllegalStateException when the batcher or this round is closed
     */
    public Ticket submit(DynamicBatcher batcher, DynamicBatcher.RowWriter writer) {
        Objects.requireNonNull(batcher, "batcher");
        Objects.requireNonNull(writer, "writer");
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("this inference round is over");
            }
            Ticket ticket = new Ticket(this, batcher, writer);
            // Queued under the round's lock, so the batcher cannot hand the row out before the
            // round knows it.
            batcher.enqueue(ticket);
            tickets.add(ticket);
            pending++;
            return ticket;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes each row as its batch is formed and returns once every row has its scores. On any
     * exception the round is closed, as by {@link #close()}.
     *
     * @throws InferenceException the first row rejected (its writer threw, or the model rejected it
     *     alone), once every row has its outcome
     * @throws IllegalStateException when a row was not taken into a batch, or its batch did not
     *     finish, within its batcher's timeout (inference.timeout.ms), or a batcher was closed, or
     *     the thread was interrupted
     * @throws RuntimeException whatever else a model threw while running a batch of this round's
     *     rows; thrown as soon as it is known
     */
    public void await() throws InferenceException {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("this inference round is over");
            }
        } finally {
            lock.unlock();
        }
        try {
            awaitAll();
        } finally {
            close(); // after settling, only marks the round over
        }
        for (Ticket ticket : tickets) {
            if (ticket.rejected != null) {
                throw ticket.rejected;
            }
        }
    }

    private void awaitAll() {
        lock.lock();
        try {
            while (true) {
                Ticket next = assigned.pollFirst();
                if (next != null) {
                    write(next);
                    continue;
                }
                if (failure != null) {
                    throw failure; // the worker stops: the other rows need not finish
                }
                if (pending == 0) {
                    return;
                }
                long now = System.nanoTime();
                Ticket due = null;
                for (Ticket t : tickets) {
                    if ((t.state == State.QUEUED || t.state == State.WRITTEN)
                            && (due == null || t.deadline - due.deadline < 0)) {
                        due = t;
                    }
                }
                if (due != null && due.deadline - now <= 0) {
                    if (due.state == State.WRITTEN) {
                        throw timedOut(due.batcher, "the model did not answer");
                    }
                    long moving = due.batcher.lastBatchDoneNanos() + due.batcher.timeoutNanos();
                    if (moving - now > 0) {
                        due.deadline = moving; // queued behind batches that keep finishing
                        continue;
                    }
                    if (due.batcher.withdraw(due)) {
                        due.state = State.WITHDRAWN;
                        pending--;
                        throw timedOut(due.batcher, "no batch took this input");
                    }
                    // Taken just now: its batch is being allocated and will wait for this row,
                    // so it is written when handed out, however late.
                    due.state = State.TAKEN;
                    continue;
                }
                try {
                    if (due == null) {
                        changed.await();
                    } else {
                        changed.awaitNanos(due.deadline - now);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(
                            "interrupted while waiting: not every input has its scores yet", e);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Writes a row outside the lock; called and returns with the lock held. */
    private void write(Ticket ticket) {
        ticket.state = State.WRITING;
        lock.unlock();
        try {
            ticket.writer.write(ticket.row);
        } catch (RuntimeException e) {
            ticket.rejected = new InferenceException("could not prepare this image: " + e, e);
        } finally {
            lock.lock();
            ticket.state = State.WRITTEN;
            ticket.deadline = System.nanoTime() + ticket.batcher.timeoutNanos();
            // Always, and exactly once: the batch runs only when every row is counted. Under
            // the lock, so the batch cannot complete this row before it is marked written.
            ticket.written.countDown();
        }
    }

    /**
     * Ends the round. If {@link #await} did not finish, withdraws the rows still queued and gives
     * up the rows already in a batch without writing them (they count as written, and rejected), so
     * that no batch waits for this thread; rows whose batch is running run on, and their outcome is
     * dropped. Idempotent; after a finished {@link #await}, does nothing.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Ticket t : assigned) {
                giveUp(t);
            }
            assigned.clear();
            for (Ticket t : tickets) {
                if (t.state == State.QUEUED && t.batcher.withdraw(t)) {
                    t.state = State.WITHDRAWN;
                    pending--;
                }
            }
            // A row in TAKEN state is given up when its batch hands it out: see assigned().
        } finally {
            lock.unlock();
        }
    }

    private static void giveUp(Ticket ticket) {
        ticket.rejected =
                new InferenceException(
                        "not written: its round ended before its batch formed", null);
        ticket.state = State.WRITTEN;
        ticket.written.countDown();
    }

    /** Called by a batcher once {@code ticket}'s batch is allocated and its row set. */
    void assigned(Ticket ticket) {
        lock.lock();
        try {
            if (closed) {
                giveUp(ticket);
                return;
            }
            ticket.state = State.ASSIGNED;
            assigned.addLast(ticket);
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Called by a batcher once {@code ticket} has its scores, rejection or failure. */
    void completed(Ticket ticket) {
        lock.lock();
        try {
            if (ticket.state == State.DONE || ticket.state == State.WITHDRAWN) {
                return;
            }
            // Normally written by now; not when its batch could not be allocated, or its batcher
            // closed before taking it.
            assigned.remove(ticket);
            ticket.state = State.DONE;
            pending--;
            if (ticket.failure != null && failure == null) {
                failure = ticket.failure;
            }
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    static IllegalStateException timedOut(DynamicBatcher batcher, String what) {
        return new IllegalStateException(
                what
                        + " within "
                        + Duration.ofNanos(batcher.timeoutNanos())
                        + " (inference.timeout.ms): the model is stuck or far too slow");
    }

    /**
     * One row of a round, and after {@link #await} its outcome. Its batcher sets the row's slice
     * and timings before it calls {@link #assigned}, and the outcome before {@link #completed}; the
     * round's thread sets {@code rejected} before it counts the row written: the round's lock and
     * the batch's latch order those writes before the reads.
     */
    public static final class Ticket {
        final InferenceRound round;
        final DynamicBatcher batcher;
        final DynamicBatcher.RowWriter writer;
        final long submitted = System.nanoTime();
        long deadline;
        State state = State.QUEUED;

        FloatBuffer row;
        CountDownLatch written;
        long queueNanos;
        long inferenceNanos;
        int batchSize;
        float[] scores;
        InferenceException rejected;
        RuntimeException failure;

        private Ticket(
                InferenceRound round, DynamicBatcher batcher, DynamicBatcher.RowWriter writer) {
            this.round = round;
            this.batcher = batcher;
            this.writer = writer;
            this.deadline = submitted + batcher.timeoutNanos();
        }

        /**
         * This row's scores, after {@link #await} returned.
         *
         * @throws IllegalStateException when this row has none: the round did not finish, or this
         *     row was rejected
         */
        public float[] scores() {
            round.lock.lock();
            try {
                if (state != State.DONE || scores == null) {
                    throw new IllegalStateException(
                            "this input has no scores"
                                    + (rejected != null ? ": " + rejected.getMessage() : ""));
                }
                return scores;
            } finally {
                round.lock.unlock();
            }
        }

        /** How long this row waited to be taken into a batch. */
        public long queueNanos() {
            return queueNanos;
        }

        /** How long the model ran on this row's batch. */
        public long inferenceNanos() {
            return inferenceNanos;
        }

        /** The rows in this row's batch. */
        public int batchSize() {
            return batchSize;
        }
    }
}
