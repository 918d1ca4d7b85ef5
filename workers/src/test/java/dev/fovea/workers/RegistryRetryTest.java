package dev.fovea.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.schemas.registry.RegistryUnavailableException;
import dev.fovea.schemas.registry.SchemaRegistryException;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

class RegistryRetryTest {
    private static final String DOWN = "cannot reach the schema registry at http://registry:8081";

    @Test
    void shouldRetryWithGrowingPausesUntilTheRegistryAnswers() {
        AtomicInteger attempts = new AtomicInteger();
        long start = System.nanoTime();

        String answer =
                retry(Duration.ofSeconds(10))
                        .call("fetch schema id 7", failing(attempts, 3, () -> "schema"));

        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("schema", answer);
        assertEquals(4, attempts.get());
        // Pauses of 100, 200 and 400 ms: exponential, not a busy loop and not one long wait.
        assertTrue(elapsedMs >= 700 && elapsedMs < 5_000, elapsedMs + " ms");
    }

    @Test
    void shouldGiveUpAtItsLimitSayingHowOftenAndHowLongItTried() {
        AtomicInteger attempts = new AtomicInteger();

        RegistryUnavailableException e =
                assertThrows(
                        RegistryUnavailableException.class,
                        () ->
                                retry(Duration.ofMillis(1_000))
                                        .call(
                                                "fetch schema id 7",
                                                failing(attempts, 100, () -> "never")));

        // 0, 100, 300, 700 ms, then the limit at 1000 ms.
        assertEquals(5, attempts.get());
        assertTrue(e.getMessage().startsWith(DOWN + " [5 attempts over "), e.getMessage());
        assertTrue(
                e.getMessage().endsWith(" ms (test.limit.ms sets how long to wait)]; next"),
                e.getMessage());
    }

    @Test
    void shouldNotRetryWhatWaitingCannotFix() {
        AtomicInteger attempts = new AtomicInteger();
        SchemaRegistryException refused = new SchemaRegistryException("HTTP 401", 401, 401);

        SchemaRegistryException e =
                assertThrows(
                        SchemaRegistryException.class,
                        () ->
                                retry(Duration.ofSeconds(10))
                                        .call(
                                                "list subjects",
                                                () -> {
                                                    attempts.incrementAndGet();
                                                    throw refused;
                                                }));

        assertSame(refused, e);
        assertEquals(1, attempts.get());
    }

    @Test
    void shouldStopWaitingAtOnceWhenCancelled() throws Exception {
        RegistryRetry retry = retry(Duration.ofMinutes(5));
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<String> waiting =
                CompletableFuture.supplyAsync(
                        () -> retry.call("fetch schema id 7", failing(attempts, 1000, () -> "")));
        while (attempts.get() < 2) {
            Thread.sleep(10);
        }

        retry.cancel();

        ExecutionException e =
                assertThrows(ExecutionException.class, () -> waiting.get(2, TimeUnit.SECONDS));
        assertTrue(
                e.getCause().getMessage().contains("; the worker is stopping]"),
                e.getCause().getMessage());
    }

    private static RegistryRetry retry(Duration limit) {
        return new RegistryRetry(limit, "test.limit.ms", "; next");
    }

    /** Unavailable for the first {@code failures} calls, then {@code answer}. */
    private static <T> Supplier<T> failing(
            AtomicInteger attempts, int failures, Supplier<T> answer) {
        return () -> {
            if (attempts.incrementAndGet() <= failures) {
                throw new RegistryUnavailableException(DOWN, 0, 0, null);
            }
            return answer.get();
        };
    }
}
