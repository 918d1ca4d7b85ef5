package dev.fovea.workers.runtime;

import dev.fovea.topology.InferenceException;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Rows are {@code [id, values...]}; a row's scores are {@code [id, mark + sum of its values]}, so
 * every thread can check it got its own, and from which model. Records the size of every batch it
 * runs.
 */
final class FakeModel implements BatchModel {
    static final int LENGTH = 4;

    /** An id that makes the model reject the whole batch, as TF does an invalid argument. */
    static final float POISON = -1f;

    final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    final AtomicInteger open = new AtomicInteger();
    final AtomicReference<Throwable> failNextRun = new AtomicReference<>();
    final AtomicReference<RuntimeException> failNextAllocate = new AtomicReference<>();
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch allocating = new CountDownLatch(1);
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile CountDownLatch allocateGate = new CountDownLatch(0);

    /** How long each batch takes to run, as a slow model's would. */
    volatile long runMillis;

    private final float mark;

    FakeModel() {
        this(0f);
    }

    FakeModel(float mark) {
        this.mark = mark;
    }

    @Override
    public int inputLength() {
        return LENGTH;
    }

    @Override
    public int classes() {
        return 2;
    }

    @Override
    public Batch allocate(int rows) {
        allocating.countDown();
        pass(allocateGate);
        RuntimeException failure = failNextAllocate.getAndSet(null);
        if (failure != null) {
            throw failure;
        }
        float[] in = new float[rows * LENGTH];
        float[] out = new float[rows * 2];
        open.incrementAndGet();
        return new Batch() {
            @Override
            public FloatBuffer input() {
                return FloatBuffer.wrap(in);
            }

            @Override
            public void run() throws InferenceException {
                batchSizes.add(rows);
                started.countDown();
                pass(gate);
                if (runMillis > 0) {
                    try {
                        Thread.sleep(runMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                Throwable failure = failNextRun.getAndSet(null);
                if (failure instanceof RuntimeException) {
                    throw (RuntimeException) failure;
                }
                if (failure instanceof Error) {
                    throw (Error) failure;
                }
                for (int r = 0; r < rows; r++) {
                    if (in[r * LENGTH] == POISON) {
                        throw new InferenceException("row " + r + " is poisoned", null);
                    }
                    float sum = mark;
                    for (int k = 1; k < LENGTH; k++) {
                        sum += in[r * LENGTH + k];
                    }
                    out[r * 2] = in[r * LENGTH];
                    out[r * 2 + 1] = sum;
                }
            }

            @Override
            public void scores(int row, float[] dst) {
                System.arraycopy(out, row * 2, dst, 0, 2);
            }

            @Override
            public void close() {
                open.decrementAndGet();
            }
        };
    }

    private static void pass(CountDownLatch gate) {
        try {
            if (!gate.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never opened the gate");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
