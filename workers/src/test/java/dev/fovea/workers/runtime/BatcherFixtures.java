package dev.fovea.workers.runtime;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** What the batcher and inference-round tests share: batchers, rows and stream threads. */
final class BatcherFixtures {
    /** A delay or timeout no test waits out. */
    static final Duration LONG = Duration.ofSeconds(10);

    /** Took well under {@link #LONG}: nothing waited it out. */
    static final long WELL_BEFORE_LONG_MS = 5_000;

    private BatcherFixtures() {}

    static DynamicBatcher batcher(
            FakeModel model, int maxBatchSize, Duration delay, int maxInFlight, Duration timeout) {
        return new DynamicBatcher("test", model, maxBatchSize, delay, maxInFlight, timeout);
    }

    /** Writes {@code id}, then {@code values}, then zeros to the end of the row. */
    static DynamicBatcher.RowWriter row(float id, float... values) {
        return dst -> {
            dst.put(id);
            dst.put(values);
        };
    }

    static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** Runs {@code body} on a thread of its own, as a stream thread calls the batcher. */
    static <T> Call<T> call(Callable<T> body) {
        FutureTask<T> task = new FutureTask<>(body);
        Thread thread = new Thread(task, "stream-thread");
        thread.setDaemon(true);
        thread.start();
        return new Call<>(thread, task);
    }

    /** A stream thread's call, and its outcome within 10 seconds. */
    record Call<T>(Thread thread, FutureTask<T> task) {
        T get() throws Exception {
            try {
                return task.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError("the call failed", e.getCause());
            } catch (TimeoutException e) {
                throw new AssertionError("the call did not return", e);
            }
        }

        <E extends Throwable> E failure(Class<E> type) throws Exception {
            try {
                T result = task.get(10, TimeUnit.SECONDS);
                throw new AssertionError("expected " + type.getSimpleName() + ", got " + result);
            } catch (ExecutionException e) {
                return assertInstanceOf(type, e.getCause());
            } catch (TimeoutException e) {
                throw new AssertionError("the call did not return", e);
            }
        }
    }
}
