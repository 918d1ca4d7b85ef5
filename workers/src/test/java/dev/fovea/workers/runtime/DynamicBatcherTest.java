package dev.fovea.workers.runtime;

import static dev.fovea.workers.runtime.BatcherFixtures.LONG;
import static dev.fovea.workers.runtime.BatcherFixtures.WELL_BEFORE_LONG_MS;
import static dev.fovea.workers.runtime.BatcherFixtures.batcher;
import static dev.fovea.workers.runtime.BatcherFixtures.call;
import static dev.fovea.workers.runtime.BatcherFixtures.millisSince;
import static dev.fovea.workers.runtime.BatcherFixtures.row;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fovea.topology.InferenceException;
import dev.fovea.workers.runtime.BatcherFixtures.Call;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Timeout(30)
class DynamicBatcherTest {
    @Test
    void shouldRunABatchAsSoonAsMaxBatchSizeInputsAreQueued() throws Exception {
        FakeModel model = new FakeModel();
        try (DynamicBatcher batcher = batcher(model, 4, LONG, 100, LONG)) {
            long start = System.nanoTime();
            List<Call<DynamicBatcher.Result>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(infer(batcher, row(i, i, 1, 2)));
            }
            for (int i = 0; i < 4; i++) {
                DynamicBatcher.Result result = calls.get(i).get();
                assertArrayEquals(new float[] {i, i + 3f}, result.scores());
                assertEquals(4, result.batchSize());
            }
            assertTrue(millisSince(start) < WELL_BEFORE_LONG_MS, "ran without the queue delay");
            assertEquals(List.of(4), model.batchSizes);
        }
    }

    @Test
    void shouldRunAPartialBatchOnceTheOldestInputHasWaitedMaxQueueDelay() throws Exception {
        Duration delay = Duration.ofMillis(200);
        FakeModel model = new FakeModel();
        try (DynamicBatcher batcher = batcher(model, 8, delay, 8, LONG)) {
            long start = System.nanoTime();
            DynamicBatcher.Result result = batcher.infer(row(7, 1, 2, 3));
            long elapsed = System.nanoTime() - start;

            assertArrayEquals(new float[] {7, 6}, result.scores());
            assertTrue(elapsed >= delay.toNanos(), "ran after " + elapsed + " ns");
            assertTrue(result.queueNanos() >= delay.toNanos(), "queued " + result.queueNanos());
            assertEquals(List.of(1), model.batchSizes);
        }
    }

    @Test
    void shouldRunAtOnceWhenMaxInFlightInputsAreQueuedEvenBelowMaxBatchSize() throws Exception {
        FakeModel model = new FakeModel();
        try (DynamicBatcher batcher = batcher(model, 16, LONG, 3, LONG)) {
            long start = System.nanoTime();
            List<Call<DynamicBatcher.Result>> calls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                calls.add(infer(batcher, row(i, 5, 5, 5)));
            }
            for (Call<DynamicBatcher.Result> call : calls) {
                assertEquals(3, call.get().batchSize());
            }
            assertTrue(millisSince(start) < WELL_BEFORE_LONG_MS, "every thread was waiting");
            assertEquals(List.of(3), model.batchSizes);
        }
    }

    @Test
    void shouldGiveEachThreadTheScoresOfItsOwnRow() throws Exception {
        int threads = 8;
        int rounds = 100;
        FakeModel model = new FakeModel();
        // 5 does not divide 8: batches are split and leftovers wait for the next one.
        try (DynamicBatcher batcher = batcher(model, 5, Duration.ofMillis(20), threads, LONG)) {
            List<Call<DynamicBatcher.Result>> calls = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                calls.add(
                        call(
                                () -> {
                                    Random random = new Random(thread);
                                    for (int round = 0; round < rounds; round++) {
                                        float id = thread * 1000 + round;
                                        float a = random.nextFloat();
                                        float b = random.nextFloat() * 100;
                                        float c = -random.nextFloat();
                                        DynamicBatcher.Result result =
                                                batcher.infer(row(id, a, b, c));
                                        float sum = 0f;
                                        sum += a;
                                        sum += b;
                                        sum += c;
                                        assertArrayEquals(new float[] {id, sum}, result.scores());
                                        assertTrue(result.batchSize() >= 1);
                                        assertTrue(result.batchSize() <= 5);
                                    }
                                    return null;
                                }));
            }
            for (Call<DynamicBatcher.Result> call : calls) {
                call.get();
            }
            assertEquals(threads * rounds, model.batchSizes.stream().mapToInt(n -> n).sum());
            assertTrue(model.batchSizes.stream().allMatch(n -> n <= 5), model.batchSizes::toString);
            assertTrue(model.batchSizes.stream().anyMatch(n -> n > 1), "some rows were batched");
            assertEquals(threads * rounds, batcher.stats().inputs());
        }
        assertEquals(0, model.open.get(), "every batch closed");
    }

    @Test
    void shouldRerunARejectedBatchRowByRowSoOnlyThePoisonedRowFails() throws Exception {
        FakeModel model = new FakeModel();
        try (DynamicBatcher batcher = batcher(model, 4, LONG, 4, LONG)) {
            List<Call<DynamicBatcher.Result>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(infer(batcher, row(i == 2 ? FakeModel.POISON : i, i, i)));
            }
            for (int i = 0; i < 4; i++) {
                if (i == 2) {
                    InferenceException e = calls.get(i).failure(InferenceException.class);
                    assertTrue(e.getMessage().contains("poisoned"), e.getMessage());
                } else {
                    assertArrayEquals(new float[] {i, 2f * i}, calls.get(i).get().scores());
                }
            }
            assertEquals(List.of(4, 1, 1, 1, 1), model.batchSizes);
        }
        assertEquals(0, model.open.get(), "every batch closed, the reruns too");
    }

    @Test
    void shouldRejectOnlyTheRowWhoseWriterThrows() throws Exception {
        FakeModel model = new FakeModel();
        IllegalArgumentException broken = new IllegalArgumentException("truncated JPEG");
        try (DynamicBatcher batcher = batcher(model, 3, LONG, 3, LONG)) {
            Call<DynamicBatcher.Result> good = infer(batcher, row(1, 1, 1, 1));
            Call<DynamicBatcher.Result> bad =
                    infer(
                            batcher,
                            dst -> {
                                throw broken;
                            });
            Call<DynamicBatcher.Result> alsoGood = infer(batcher, row(2, 2, 2, 2));

            InferenceException e = bad.failure(InferenceException.class);
            assertSame(broken, e.getCause());
            assertArrayEquals(new float[] {1, 3}, good.get().scores());
            assertArrayEquals(new float[] {2, 6}, alsoGood.get().scores());
            assertEquals(List.of(3), model.batchSizes, "the batch ran once, with the others");
        }
    }

    @Test
    void shouldFailEveryWaiterOfABatchWithTheModelsExceptionAndServeTheNextBatch()
            throws Exception {
        FakeModel model = new FakeModel();
        RuntimeException gpuLost = new IllegalStateException("CUDA error: device lost");
        model.failNextRun.set(gpuLost);
        try (DynamicBatcher batcher = batcher(model, 3, LONG, 3, LONG)) {
            List<Call<DynamicBatcher.Result>> calls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                calls.add(infer(batcher, row(i, 1, 1, 1)));
            }
            for (Call<DynamicBatcher.Result> call : calls) {
                assertSame(gpuLost, call.failure(IllegalStateException.class));
            }

            calls.clear();
            for (int i = 0; i < 3; i++) {
                calls.add(infer(batcher, row(i, 1, 1, 1)));
            }
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(new float[] {i, 3}, calls.get(i).get().scores());
            }
            assertEquals(List.of(3, 3), model.batchSizes);
        }
    }

    @Test
    void shouldFailTheWaitersOfABatchThatCannotBeAllocatedAtOnceAndServeTheNext() throws Exception {
        FakeModel model = new FakeModel();
        RuntimeException outOfMemory = new IllegalStateException("OOM when allocating tensor");
        model.failNextAllocate.set(outOfMemory);
        try (DynamicBatcher batcher = batcher(model, 2, LONG, 2, LONG)) {
            long start = System.nanoTime();
            Call<DynamicBatcher.Result> first = infer(batcher, row(1, 1, 1, 1));
            Call<DynamicBatcher.Result> second = infer(batcher, row(2, 1, 1, 1));
            assertSame(outOfMemory, first.failure(IllegalStateException.class));
            assertSame(outOfMemory, second.failure(IllegalStateException.class));
            assertTrue(millisSince(start) < WELL_BEFORE_LONG_MS, "failed without the timeout");

            Call<DynamicBatcher.Result> third = infer(batcher, row(3, 1, 1, 1));
            Call<DynamicBatcher.Result> fourth = infer(batcher, row(4, 1, 1, 1));
            assertArrayEquals(new float[] {3, 3}, third.get().scores());
            assertArrayEquals(new float[] {4, 3}, fourth.get().scores());
        }
    }

    @Test
    void shouldFailAThreadWhoseModelIsStuckAfterTheTimeoutAndRecoverOnceItAnswers()
            throws Exception {
        Duration timeout = Duration.ofMillis(300);
        FakeModel model = new FakeModel();
        model.gate = new CountDownLatch(1);
        try (DynamicBatcher batcher = batcher(model, 4, Duration.ZERO, 4, timeout)) {
            long start = System.nanoTime();
            Call<DynamicBatcher.Result> running = infer(batcher, row(1, 1, 1, 1));
            assertTrue(model.started.await(10, TimeUnit.SECONDS));
            Call<DynamicBatcher.Result> queued = infer(batcher, row(2, 1, 1, 1));

            IllegalStateException noAnswer = running.failure(IllegalStateException.class);
            assertTrue(noAnswer.getMessage().contains("did not answer"), noAnswer.getMessage());
            assertTrue(millisSince(start) >= timeout.toMillis());
            IllegalStateException notTaken = queued.failure(IllegalStateException.class);
            assertTrue(notTaken.getMessage().contains("no batch took"), notTaken.getMessage());

            model.gate.countDown();
            assertArrayEquals(new float[] {3, 6}, batcher.infer(row(3, 1, 2, 3)).scores());
            assertEquals(List.of(1, 1), model.batchSizes, "the input that timed out never ran");
        }
        assertEquals(0, model.open.get());
    }

    @Test
    void shouldStillWriteItsRowWhenABatchTakesItJustAsItsWaitTimesOut() throws Exception {
        // The batcher takes the input from the queue, then allocates the batch and hands out the
        // rows: a thread whose wait ends in between must wait for its row, not give up on it,
        // since the batch waits for every row it took.
        Duration timeout = Duration.ofMillis(250);
        FakeModel model = new FakeModel();
        model.allocateGate = new CountDownLatch(1);
        try (DynamicBatcher batcher = batcher(model, 4, Duration.ZERO, 4, timeout)) {
            Call<DynamicBatcher.Result> call = infer(batcher, row(1, 2, 3, 4));
            assertTrue(model.allocating.await(10, TimeUnit.SECONDS));
            Thread.sleep(2 * timeout.toMillis());
            model.allocateGate.countDown();

            assertArrayEquals(new float[] {1, 9}, call.get().scores());
            assertArrayEquals(new float[] {2, 1}, batcher.infer(row(2, 1)).scores());
        }
    }

    @Test
    void shouldFailQueuedInputsOnCloseAndRefuseNewOnes() throws Exception {
        FakeModel model = new FakeModel();
        DynamicBatcher batcher = batcher(model, 4, LONG, 4, LONG);
        Call<DynamicBatcher.Result> first = infer(batcher, row(1, 1));
        Call<DynamicBatcher.Result> second = infer(batcher, row(2, 2));
        awaitWaiting(first.thread());
        awaitWaiting(second.thread());

        long start = System.nanoTime();
        batcher.close();
        assertTrue(millisSince(start) < WELL_BEFORE_LONG_MS, "closed without a delay");
        for (Call<DynamicBatcher.Result> call : List.of(first, second)) {
            IllegalStateException e = call.failure(IllegalStateException.class);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
        IllegalStateException refused =
                assertThrows(IllegalStateException.class, () -> batcher.infer(row(3, 3)));
        assertTrue(refused.getMessage().contains("closed"), refused.getMessage());
        assertEquals(List.of(), model.batchSizes);
    }

    @Test
    void shouldCloseWhenTheModelThrowsAnErrorSoLaterInputsFailAtOnce() throws Exception {
        FakeModel model = new FakeModel();
        model.failNextRun.set(new AssertionError("a bug in the model runtime"));
        try (DynamicBatcher batcher = batcher(model, 1, Duration.ZERO, 1, LONG)) {
            long start = System.nanoTime();
            infer(batcher, row(1, 1)).failure(IllegalStateException.class);
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> closedSoon(batcher));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertTrue(millisSince(start) < WELL_BEFORE_LONG_MS, "failed without the timeout");
        }
    }

    @Test
    void shouldCountBatchSizesInputsAndQueueWaits() throws Exception {
        int threads = 4;
        FakeModel model = new FakeModel();
        try (DynamicBatcher batcher = batcher(model, 8, LONG, threads, LONG)) {
            List<Call<DynamicBatcher.Result>> calls = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                // Only 4 threads and a long delay: every batch waits for all 4 to queue.
                calls.add(
                        call(
                                () -> {
                                    for (int round = 0; round < 3; round++) {
                                        batcher.infer(row(thread, round));
                                    }
                                    return null;
                                }));
            }
            for (Call<DynamicBatcher.Result> call : calls) {
                call.get();
            }
            BatcherStats stats = batcher.stats();
            long[] expected = new long[9];
            expected[4] = 3;
            assertArrayEquals(expected, stats.batchSizes());
            assertEquals(12, stats.inputs());
            assertEquals(4.0, stats.meanBatchSize());
            assertEquals(12, Arrays.stream(stats.queueWaitMicros()).sum());
            assertTrue(stats.maxQueueWaitNanos() > 0);
            assertTrue(stats.totalQueueWaitNanos() >= stats.maxQueueWaitNanos());
        }
    }

    @Test
    void shouldRefuseSettingsThatCannotWork() {
        FakeModel model = new FakeModel();
        assertThrows(IllegalArgumentException.class, () -> batcher(model, 0, LONG, 4, LONG));
        assertThrows(IllegalArgumentException.class, () -> batcher(model, 4, LONG, 0, LONG));
        assertThrows(
                IllegalArgumentException.class,
                () -> batcher(model, 4, Duration.ofMillis(-1), 4, LONG));
        assertThrows(
                IllegalArgumentException.class, () -> batcher(model, 4, LONG, 4, Duration.ZERO));
    }

    /** Tries inputs until the batcher, closing on its own thread, refuses one. */
    private static void closedSoon(DynamicBatcher batcher) throws InferenceException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            batcher.infer(row(0, 0));
        }
    }

    /** Until {@code thread} is parked with a timeout: in {@link DynamicBatcher#infer}'s queue. */
    private static void awaitWaiting(Thread thread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.getState() != Thread.State.TIMED_WAITING) {
            if (System.nanoTime() > deadline) {
                fail(thread.getName() + " never waited: " + thread.getState());
            }
            Thread.sleep(1);
        }
    }

    private static Call<DynamicBatcher.Result> infer(
            DynamicBatcher batcher, DynamicBatcher.RowWriter writer) {
        return call(() -> batcher.infer(writer));
    }
}
