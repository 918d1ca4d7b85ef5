package dev.fovea.ops.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;

class LiveStatsTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldReportRatesAndPercentilesOfEachIntervalAndStartAnewAfterIt() {
        LiveStats stats = new LiveStats(0);
        for (int i = 1; i <= 100; i++) {
            stats.prediction(i, i / 10.0);
        }
        stats.deadLetter("UNDECODABLE_IMAGE");
        stats.deadLetter("INVALID_RECORD");

        String first = stats.line(2 * SECOND);
        // 100 predictions and 2 dead letters in 2 s; latency p50 50, p99 99; worker 5 / 10.
        assertEquals(
                String.format(
                        "%8s %8s %8s %6s %17s %17s %10s %10s",
                        "2.0", "50.0", "1.0", "2.0", "50 / 99", "5 / 10", "100", "2"),
                first);
        String second = stats.line(3 * SECOND);
        assertTrue(second.contains(" - / - "), "an empty interval has no percentiles: " + second);
        assertTrue(second.trim().endsWith("100          2"), second);
    }

    @Test
    void shouldSummariseTheWholeWatchWithDeadLettersByReason() {
        LiveStats stats = new LiveStats(SECOND);
        stats.prediction(10, 1);
        stats.prediction(30, 1);
        stats.deadLetter("IMAGE_TOO_LARGE");
        stats.deadLetter("IMAGE_TOO_LARGE");
        stats.line(2 * SECOND);

        assertEquals(
                "2 predictions and 2 dead letters in 4.0 s: 0.5 predictions/s, 50.0% dead"
                        + " letters {IMAGE_TOO_LARGE=2}; latency p50 10 ms, p99 30 ms",
                stats.summary(5 * SECOND));
    }

    @Test
    void shouldTakeTheNearestRankPercentile() {
        assertEquals(1.0, LiveStats.percentile(List.of(3.0, 1.0, 2.0), 1));
        assertEquals(2.0, LiveStats.percentile(List.of(3.0, 1.0, 2.0), 50));
        assertEquals(3.0, LiveStats.percentile(List.of(3.0, 1.0, 2.0), 99));
        assertTrue(Double.isNaN(LiveStats.percentile(List.of(), 50)));
    }
}
