package dev.fovea.workers.runtime;

import static dev.fovea.workers.runtime.BatcherFixtures.LONG;
import static dev.fovea.workers.runtime.BatcherFixtures.WELL_BEFORE_LONG_MS;
import static dev.fovea.workers.runtime.BatcherFixtures.batcher;
import static dev.fovea.workers.runtime.BatcherFixtures.call;
import static dev.fovea.workers.runtime.BatcherFixtures.millisSince;
import static dev.fovea.workers.runtime.BatcherFixtures.row;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.topology.InferenceException;
import dev.fovea.workers.runtime.BatcherFixtures.Call;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

@Timeout(30)
class InferenceRoundTest {
    /** Added to every score of model B, so a row's scores tell which model computed them. */
    private static final float B = 100_000f;

    @Test
    void shouldWriteEveryRowOfOneRoundIntoOneBatch() throws Exception {
        FakeModel model = new FakeModel();
        // Ten rows are every row that can be in flight: the batch runs without the delay.
        try (DynamicBatcher batcher = batcher(model, 16, LONG, 10, LONG);
                InferenceRound round = new InferenceRound()) {
            long start = System.nanoTime();
            List<InferenceRound.Ticket> tickets = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                tickets.add(round.submit(batcher, row(i, i, 1)));
            }
            round.await();

            for (int i = 0; i < 10; i++) {
                assertArrayEquals(new float[] {i, i + 1f}, tickets.get(i).scores());
                assertEquals(10, tickets.get(i).batchSize());
            }
            assertTrue(millisSince(start) < WELL_BEFORE_LONG_MS, "ran without the queue delay");
            assertEquals(List.of(10), model.batchSizes);
        }
    }

    @Test
    void shouldSplitTheRowsOfOneRoundOverSeveralBatchesAndCountEveryRow() throws Exception {
        FakeModel model = new FakeModel();
        // Twelve rows, batches of four and a long delay: exactly three full batches can run.
        try (DynamicBatcher batcher = batcher(model, 4, LONG, 12, LONG);
                InferenceRound round = new InferenceRound()) {
            List<InferenceRound.Ticket> tickets = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                tickets.add(round.submit(batcher, row(i, 2 * i)));
            }
            round.await();

            for (int i = 0; i < 12; i++) {
                assertArrayEquals(new float[] {i, 2f * i}, tickets.get(i).scores());
                assertEquals(4, tickets.get(i).batchSize());
            }
            assertEquals(List.of(4, 4, 4), model.batchSizes);
            BatcherStats stats = batcher.stats();
            assertEquals(12, stats.inputs());
            assertEquals(3, stats.batchSizes()[4]);
            assertEquals(4.0, stats.meanBatchSize());
        }
        assertEquals(0, model.open.get(), "every batch closed");
    }

    @Test
    void shouldFillOneBatchWithTheRowsOfSeveralRounds() throws Exception {
        FakeModel model = new FakeModel();
        try (DynamicBatcher batcher = batcher(model, 12, LONG, 12, LONG)) {
            List<Call<float[][]>> calls = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int thread = t;
                calls.add(
                        call(
                                () -> {
                                    float[][] expected = new float[4][];
                                    try (InferenceRound round = new InferenceRound()) {
                                        List<InferenceRound.Ticket> tickets = new ArrayList<>();
                                        for (int i = 0; i < 4; i++) {
                                            float id = thread * 10 + i;
                                            tickets.add(round.submit(batcher, row(id, i)));
                                            expected[i] = new float[] {id, i};
                                        }
                                        round.await();
                                        for (int i = 0; i < 4; i++) {
                                            assertEquals(12, tickets.get(i).batchSize());
                                            assertArrayEquals(expected[i], tickets.get(i).scores());
                                        }
                                    }
                                    return expected;
                                }));
            }
            for (Call<float[][]> call : calls) {
                call.get();
            }
            assertEquals(List.of(12), model.batchSizes);
        }
    }

    @Test
    void shouldNotDeadlockWhenTwoThreadsWaitOnBatchesOfTwoModelsThatHoldEachOthersRows() {
        // Batch A holds rows of both threads, and so does batch B. Thread 1 submits to A first,
        // thread 2 to B first; a thread that waited for one model's rows before writing the
        // other's would wait for a batch that waits for it.
        FakeModel modelA = new FakeModel();
        FakeModel modelB = new FakeModel(B);
        assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> {
                    try (DynamicBatcher a = batcher(modelA, 2, LONG, 2, LONG);
                            DynamicBatcher b = batcher(modelB, 2, LONG, 2, LONG)) {
                        CyclicBarrier bothSubmitted = new CyclicBarrier(2);
                        Call<Void> first = crossing(a, b, 1, bothSubmitted);
                        Call<Void> second = crossing(b, a, 2, bothSubmitted);
                        first.get();
                        second.get();
                    }
                });
        assertEquals(List.of(2), modelA.batchSizes);
        assertEquals(List.of(2), modelB.batchSizes);
    }

    /** Submits a row to {@code early}, then one to {@code late}, waits for the other thread. */
    private static Call<Void> crossing(
            DynamicBatcher early, DynamicBatcher late, int thread, CyclicBarrier bothSubmitted) {
        return call(
                () -> {
                    try (InferenceRound round = new InferenceRound()) {
                        InferenceRound.Ticket one = round.submit(early, row(thread, 1));
                        InferenceRound.Ticket two = round.submit(late, row(thread, 2));
                        bothSubmitted.await(10, TimeUnit.SECONDS);
                        round.await();
                        assertEquals(thread, one.scores()[0]);
                        assertEquals(thread, two.scores()[0]);
                    }
                    return null;
                });
    }

    @Test
    void shouldGiveEveryRowOfManyThreadsAndTwoModelsItsOwnScoresWithoutDeadlock() {
        int threads = 6;
        int rounds = 150;
        int crops = 5;
        FakeModel modelA = new FakeModel();
        FakeModel modelB = new FakeModel(B);
        assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> {
                    // Batch sizes that divide neither a record's rows nor all threads' rows, so
                    // records split over batches and batches mix records; a short delay for the
                    // leftovers.
                    try (DynamicBatcher a =
                                    batcher(
                                            modelA,
                                            4,
                                            Duration.ofMillis(1),
                                            threads * crops,
                                            LONG);
                            DynamicBatcher b =
                                    batcher(
                                            modelB,
                                            7,
                                            Duration.ofMillis(1),
                                            threads * crops,
                                            LONG)) {
                        List<Call<Void>> calls = new ArrayList<>();
                        for (int t = 0; t < threads; t++) {
                            int thread = t;
                            calls.add(call(() -> stream(a, b, thread, rounds, crops)));
                        }
                        for (Call<Void> call : calls) {
                            call.get();
                        }
                        assertEquals(threads * rounds * crops, a.stats().inputs());
                        assertEquals(threads * rounds * crops, b.stats().inputs());
                    }
                });
        assertEquals(threads * rounds * crops, modelA.batchSizes.stream().mapToInt(n -> n).sum());
        assertTrue(modelA.batchSizes.stream().allMatch(n -> n <= 4), modelA.batchSizes::toString);
        assertTrue(modelB.batchSizes.stream().allMatch(n -> n <= 7), modelB.batchSizes::toString);
        assertEquals(0, modelA.open.get() + modelB.open.get(), "every batch closed");
    }

    /** One stream thread: each record submits its crops to both models, shuffled. */
    private static Void stream(
            DynamicBatcher a, DynamicBatcher b, int thread, int rounds, int crops)
            throws Exception {
        Random random = new Random(thread);
        List<Boolean> models = new ArrayList<>();
        for (int i = 0; i < crops; i++) {
            models.add(false);
            models.add(true);
        }
        for (int r = 0; r < rounds; r++) {
            Collections.shuffle(models, random);
            try (InferenceRound round = new InferenceRound()) {
                List<InferenceRound.Ticket> tickets = new ArrayList<>();
                List<float[]> expected = new ArrayList<>();
                for (int i = 0; i < 2 * crops; i++) {
                    boolean toB = models.get(i);
                    float id = thread * 10_000 + r * 100 + i;
                    float value = random.nextInt(1000);
                    tickets.add(round.submit(toB ? b : a, row(id, value)));
                    expected.add(new float[] {id, (toB ? B : 0f) + value});
                }
                round.await();
                for (int i = 0; i < tickets.size(); i++) {
                    assertArrayEquals(expected.get(i), tickets.get(i).scores());
                }
            }
        }
        return null;
    }

    @Test
    void shouldRejectOnlyTheRowWhoseWriterThrowsOnceEveryOtherRowIsDone() throws Exception {
        FakeModel modelA = new FakeModel();
        FakeModel modelB = new FakeModel(B);
        modelB.gate = new CountDownLatch(1);
        IllegalArgumentException broken = new IllegalArgumentException("truncated JPEG");
        try (DynamicBatcher a = batcher(modelA, 3, LONG, 3, LONG);
                DynamicBatcher b = batcher(modelB, 1, LONG, 1, LONG)) {
            List<InferenceRound.Ticket> tickets = new ArrayList<>();
            Call<InferenceException> call =
                    call(
                            () -> {
                                try (InferenceRound round = new InferenceRound()) {
                                    tickets.add(round.submit(a, row(1, 1)));
                                    tickets.add(
                                            round.submit(
                                                    a,
                                                    dst -> {
                                                        throw broken;
                                                    }));
                                    tickets.add(round.submit(a, row(3, 3)));
                                    tickets.add(round.submit(b, row(4, 4)));
                                    return assertThrows(InferenceException.class, round::await);
                                }
                            });
            assertTrue(modelB.started.await(10, TimeUnit.SECONDS));
            Thread.sleep(50);
            assertFalse(call.task().isDone(), "waits for the row of model B");
            modelB.gate.countDown();

            InferenceException e = call.get();
            assertSame(broken, e.getCause());
            assertArrayEquals(new float[] {1, 1}, tickets.get(0).scores());
            assertThrows(IllegalStateException.class, () -> tickets.get(1).scores());
            assertArrayEquals(new float[] {3, 3}, tickets.get(2).scores());
            assertArrayEquals(new float[] {4, B + 4}, tickets.get(3).scores());
            assertEquals(List.of(3), modelA.batchSizes, "the batch ran once, with the others");
        }
    }

    @Test
    void shouldLetABatchRunWhenARoundThatHasRowsInItClosesWithoutAwaiting() throws Exception {
        FakeModel model = new FakeModel();
        try (DynamicBatcher a = batcher(model, 3, LONG, 3, LONG)) {
            InferenceRound round = new InferenceRound();
            round.submit(a, row(1, 1));
            round.submit(a, row(2, 2));
            // Rows are handed out in batch order, so when the third row is being written the
            // round's two rows are assigned to the batch, which now waits for them.
            CountDownLatch writing = new CountDownLatch(1);
            Call<DynamicBatcher.Result> other =
                    call(
                            () ->
                                    a.infer(
                                            dst -> {
                                                writing.countDown();
                                                dst.put(3).put(3);
                                            }));
            assertTrue(writing.await(10, TimeUnit.SECONDS));
            round.close(); // as after an exception between submit and await

            DynamicBatcher.Result result = other.get();
            assertArrayEquals(new float[] {3, 3}, result.scores());
            assertEquals(3, result.batchSize());
            round.close(); // idempotent
            assertThrows(IllegalStateException.class, round::await);
            assertThrows(IllegalStateException.class, () -> round.submit(a, row(4, 4)));
        }
        assertEquals(List.of(3), model.batchSizes);
    }

    @Test
    void shouldGiveUpARowTakenIntoABatchStillBeingAllocatedWhenItsRoundCloses() throws Exception {
        FakeModel model = new FakeModel();
        model.allocateGate = new CountDownLatch(1);
        try (DynamicBatcher a = batcher(model, 1, Duration.ZERO, 1, LONG)) {
            InferenceRound round = new InferenceRound();
            round.submit(a, row(1, 1));
            assertTrue(model.allocating.await(10, TimeUnit.SECONDS));
            round.close();
            model.allocateGate.countDown();

            assertArrayEquals(new float[] {2, 2}, a.infer(row(2, 2)).scores());
        }
        assertEquals(List.of(1, 1), model.batchSizes);
        assertEquals(0, model.open.get());
    }

    @Test
    void shouldWithdrawQueuedRowsWhenARoundClosesWithoutAwaiting() throws Exception {
        FakeModel model = new FakeModel();
        try (DynamicBatcher a = batcher(model, 2, LONG, 2, LONG)) {
            InferenceRound round = new InferenceRound();
            round.submit(a, row(1, 1));
            round.close();

            try (InferenceRound next = new InferenceRound()) {
                InferenceRound.Ticket two = next.submit(a, row(2, 2));
                InferenceRound.Ticket three = next.submit(a, row(3, 3));
                next.await();
                assertArrayEquals(new float[] {2, 2}, two.scores());
                assertArrayEquals(new float[] {3, 3}, three.scores());
            }
            assertEquals(2, a.stats().inputs());
        }
        assertEquals(List.of(2), model.batchSizes);
    }

    @Test
    void shouldTimeOutARowNoBatchTakesAndWithdrawIt() throws Exception {
        Duration timeout = Duration.ofMillis(200);
        FakeModel modelA = new FakeModel();
        FakeModel modelB = new FakeModel(B);
        try (DynamicBatcher a = batcher(modelA, 2, LONG, 2, timeout);
                DynamicBatcher b = batcher(modelB, 1, LONG, 1, timeout)) {
            long start = System.nanoTime();
            try (InferenceRound round = new InferenceRound()) {
                round.submit(b, row(1, 1));
                round.submit(a, row(2, 2));
                IllegalStateException e = assertThrows(IllegalStateException.class, round::await);
                assertTrue(e.getMessage().contains("no batch took"), e.getMessage());
                assertTrue(e.getMessage().contains("inference.timeout.ms"), e.getMessage());
            }
            assertTrue(millisSince(start) >= timeout.toMillis());

            try (InferenceRound round = new InferenceRound()) {
                InferenceRound.Ticket three = round.submit(a, row(3, 3));
                InferenceRound.Ticket four = round.submit(a, row(4, 4));
                round.await();
                assertArrayEquals(new float[] {3, 3}, three.scores());
                assertArrayEquals(new float[] {4, 4}, four.scores());
            }
        }
        assertEquals(List.of(2), modelA.batchSizes, "the row that timed out never ran");
        assertEquals(List.of(1), modelB.batchSizes);
    }

    @Test
    void shouldWaitLongerThanTheTimeoutInAQueueThatMoves() throws Exception {
        // One row a batch, 40 ms a batch: the tenth row is queued for ~360 ms, over twice the
        // timeout, yet every batch finishes well within it.
        Duration timeout = Duration.ofMillis(150);
        FakeModel model = new FakeModel();
        model.runMillis = 40;
        try (DynamicBatcher a = batcher(model, 1, LONG, 1, timeout);
                InferenceRound round = new InferenceRound()) {
            long start = System.nanoTime();
            List<InferenceRound.Ticket> tickets = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                tickets.add(round.submit(a, row(i, i)));
            }
            round.await();
            assertTrue(millisSince(start) > 2 * timeout.toMillis(), "the queue outlasted it");
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(new float[] {i, i}, tickets.get(i).scores());
            }
        }
        assertEquals(Collections.nCopies(10, 1), model.batchSizes);
    }

    @Test
    void shouldRethrowAModelFailureAtOnceAndWithdrawTheRoundsOtherRows() throws Exception {
        FakeModel modelA = new FakeModel();
        FakeModel modelB = new FakeModel(B);
        RuntimeException gpuLost = new IllegalStateException("CUDA error: device lost");
        modelA.failNextRun.set(gpuLost);
        try (DynamicBatcher a = batcher(modelA, 2, LONG, 2, LONG);
                DynamicBatcher b = batcher(modelB, 2, LONG, 2, LONG)) {
            long start = System.nanoTime();
            try (InferenceRound round = new InferenceRound()) {
                round.submit(a, row(1, 1));
                round.submit(a, row(2, 2));
                round.submit(b, row(3, 3)); // never taken: B's batch needs two rows
                assertSame(gpuLost, assertThrows(IllegalStateException.class, round::await));
            }
            assertTrue(millisSince(start) < WELL_BEFORE_LONG_MS, "without waiting for B");

            try (InferenceRound round = new InferenceRound()) {
                InferenceRound.Ticket four = round.submit(b, row(4, 4));
                InferenceRound.Ticket five = round.submit(b, row(5, 5));
                round.await();
                assertArrayEquals(new float[] {4, B + 4}, four.scores());
                assertArrayEquals(new float[] {5, B + 5}, five.scores());
            }
        }
        assertEquals(List.of(2), modelA.batchSizes);
        assertEquals(List.of(2), modelB.batchSizes, "the withdrawn row never ran");
    }

    @Test
    void shouldRefuseScoresBeforeAwait() throws Exception {
        FakeModel model = new FakeModel();
        try (DynamicBatcher a = batcher(model, 2, LONG, 2, LONG);
                InferenceRound round = new InferenceRound()) {
            InferenceRound.Ticket ticket = round.submit(a, row(1, 1));
            assertThrows(IllegalStateException.class, ticket::scores);
        }
    }
}
