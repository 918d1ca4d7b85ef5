package dev.fovea.workers.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicLong;

class HealthTest {
    private static final long STALL = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong();
    private final WorkerMetrics metrics = new WorkerMetrics(now::get);
    private final Health health = new Health(metrics, STALL, now::get);

    @Test
    void shouldBeReadyOnlyOnceStartedAndRunningAndUntilStopping() {
        assertFalse(health.isStarted());
        assertFalse(health.isReady());
        health.streamsRunning(true);
        assertFalse(health.isReady(), "models not loaded yet");
        health.started();
        assertTrue(health.isStarted());
        assertTrue(health.isReady());
        health.streamsRunning(false); // a rebalance
        assertFalse(health.isReady());
        health.streamsRunning(true);
        health.stopping();
        assertFalse(health.isReady());
        assertTrue(health.isStarted());
    }

    @Test
    void shouldBeLiveWhenIdleHoweverLong() {
        now.addAndGet(100 * STALL);
        assertTrue(health.isLive());
    }

    @Test
    void shouldBeWedgedWhenImagesAreInFlightAndNothingMovedForTheStallLimit() {
        metrics.imageIn();
        now.addAndGet(STALL);
        assertTrue(health.isLive());
        now.addAndGet(1);
        assertFalse(health.isLive());
        metrics.predicted("late");
        assertTrue(health.isLive());
    }

    @Test
    void shouldServeProbesAndMetricsOverHttp() throws Exception {
        try (ObservabilityServer server =
                ObservabilityServer.start(0, health, () -> "fovea_images_in_total 0\n")) {
            HttpClient http = HttpClient.newHttpClient();
            assertEquals(503, get(http, server, "/ready").statusCode());
            assertEquals(503, get(http, server, "/startup").statusCode());
            assertEquals(200, get(http, server, "/live").statusCode());
            health.started();
            health.streamsRunning(true);
            assertEquals(200, get(http, server, "/ready").statusCode());
            assertEquals(200, get(http, server, "/startup").statusCode());
            HttpResponse<String> page = get(http, server, "/metrics");
            assertEquals(200, page.statusCode());
            assertEquals("fovea_images_in_total 0\n", page.body());
            assertTrue(
                    page.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        }
    }

    @Test
    void shouldAnswer500WhenTheMetricsPageFailsAndKeepServingProbes() throws Exception {
        try (ObservabilityServer server =
                ObservabilityServer.start(
                        0,
                        health,
                        () -> {
                            throw new IllegalStateException("broken");
                        })) {
            HttpClient http = HttpClient.newHttpClient();
            assertEquals(500, get(http, server, "/metrics").statusCode());
            assertEquals(200, get(http, server, "/live").statusCode());
            server.close(); // and once more by try-with-resources: a worker may close twice
        }
    }

    private static HttpResponse<String> get(
            HttpClient http, ObservabilityServer server, String path)
            throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
