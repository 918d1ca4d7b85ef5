package dev.fovea.workers;

import dev.fovea.schemas.registry.RegistryUnavailableException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Calls the schema registry again while it is unavailable (connection refused, timeout, 5xx), with
 * exponential backoff, for up to a time limit; each failed attempt is logged. Other registry errors
 * (401, 404, an untrusted certificate...) are not retried: waiting does not fix them.
 */
final class RegistryRetry {
    private static final Logger log = LoggerFactory.getLogger(RegistryRetry.class);

    static final Duration FIRST_DELAY = Duration.ofMillis(100);
    static final Duration MAX_DELAY = Duration.ofSeconds(5);

    private final Duration limit;
    private final String limitSetting;
    private final String onGiveUp;
    private final CountDownLatch cancelled = new CountDownLatch(1);

    /**
     * @param limit how long one call may keep retrying; zero tries once
     * @param limitSetting the setting that sets {@code limit}, named when giving up
     * @param onGiveUp appended to the message when giving up: what happens next
     */
    RegistryRetry(Duration limit, String limitSetting, String onGiveUp) {
        this.limit = limit;
        this.limitSetting = limitSetting;
        this.onGiveUp = onGiveUp;
    }

    /**
     * The request's answer, once the registry gives one.
     *
     * @param what the request, for the log: "fetch schema id 7"
     * @throws RegistryUnavailableException when the registry was still unavailable at the limit, or
     *     {@link #cancel} was called; its message is the last failure's, the number of attempts and
     *     the time they took
     */
    <T> T call(String what, Supplier<T> request) {
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        long delayMs = FIRST_DELAY.toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                return request.get();
            } catch (RegistryUnavailableException e) {
                long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (leftMs <= 0 || cancelled.getCount() == 0) {
                    throw gaveUp(e, attempt, start);
                }
                long waitMs = Math.min(delayMs, leftMs);
                log.warn(
                        "schema registry unavailable, attempt {} to {} failed: {}; retrying in {}"
                                + " ms (giving up in {} ms)",
                        attempt,
                        what,
                        e.getMessage(),
                        waitMs,
                        leftMs);
                if (pause(waitMs)) {
                    throw gaveUp(e, attempt, start);
                }
                delayMs = Math.min(delayMs * 2, MAX_DELAY.toMillis());
            }
        }
    }

    /** Wakes every call waiting to retry; they give up at once, as do later ones after a try. */
    void cancel() {
        cancelled.countDown();
    }

    /** Whether the wait was cut short by {@link #cancel} or an interrupt. */
    private boolean pause(long millis) {
        try {
            return cancelled.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private RegistryUnavailableException gaveUp(
            RegistryUnavailableException last, int attempts, long startNanos) {
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        String why =
                cancelled.getCount() == 0 || Thread.currentThread().isInterrupted()
                        ? "; the worker is stopping"
                        : " (" + limitSetting + " sets how long to wait)";
        return new RegistryUnavailableException(
                last.getMessage()
                        + " ["
                        + attempts
                        + (attempts == 1 ? " attempt" : " attempts")
                        + " over "
                        + elapsedMs
                        + " ms"
                        + why
                        + "]"
                        + onGiveUp,
                last.status(),
                last.errorCode(),
                last);
    }
}
