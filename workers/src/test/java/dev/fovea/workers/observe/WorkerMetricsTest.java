package dev.fovea.workers.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.topology.Reason;
import dev.fovea.workers.runtime.BatcherStats;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

class WorkerMetricsTest {
    private final AtomicLong now = new AtomicLong();
    private final WorkerMetrics metrics = new WorkerMetrics(now::get);

    @Test
    void shouldCountImagesInAsPredictionsPlusDeadLettersByReason() {
        for (int i = 0; i < 5; i++) {
            metrics.imageIn();
        }
        metrics.predicted("a");
        metrics.predicted("b");
        metrics.deadLettered(Reason.UNDECODABLE_IMAGE, "c", "truncated");
        metrics.deadLettered(Reason.INVALID_RECORD, "d", "not Avro");

        String page = metrics.render(Map.of(), Map.of());

        assertLine(page, "fovea_images_in_total 5");
        assertLine(page, "fovea_predictions_total 2");
        assertLine(page, "fovea_dead_letters_total{reason=\"UNDECODABLE_IMAGE\"} 1");
        assertLine(page, "fovea_dead_letters_total{reason=\"INVALID_RECORD\"} 1");
        assertLine(page, "fovea_dead_letters_total{reason=\"IMAGE_TOO_LARGE\"} 0");
        assertLine(page, "fovea_records_in_flight 1");
        assertLine(page, "# TYPE fovea_images_in_total counter");
    }

    @Test
    void shouldWriteDecodeTimesAsCumulativeBuckets() {
        metrics.decoded(2_000_000); // 2 ms
        metrics.decoded(30_000_000); // 30 ms
        String page = metrics.render(Map.of(), Map.of());
        assertLine(page, "fovea_decode_seconds_bucket{le=\"0.001\"} 0");
        assertLine(page, "fovea_decode_seconds_bucket{le=\"0.0025\"} 1");
        assertLine(page, "fovea_decode_seconds_bucket{le=\"0.05\"} 2");
        assertLine(page, "fovea_decode_seconds_bucket{le=\"+Inf\"} 2");
        assertLine(page, "fovea_decode_seconds_count 2");
        assertLine(page, "fovea_decode_seconds_sum 0.032");
    }

    @Test
    void shouldBridgeBatcherStatsIntoPerModelHistograms() {
        // Batches of sizes 1, 3 and 4 (max 4); queue waits in buckets 0 (<1 us) and 11
        // ([1024, 2048) us); two runs of about 3 ms (bucket 12).
        long[] sizes = {0, 1, 0, 1, 1};
        long[] waits = new long[40];
        waits[0] = 2;
        waits[11] = 6;
        long[] runs = new long[40];
        runs[12] = 3;
        BatcherStats stats =
                new BatcherStats(sizes, waits, 8, 9_000_000, 2_000_000, runs, 9_000_000);

        String page = metrics.render(Map.of("inception", stats), Map.of());

        assertLine(page, "fovea_batch_size_bucket{model=\"inception\",le=\"1\"} 1");
        assertLine(page, "fovea_batch_size_bucket{model=\"inception\",le=\"2\"} 1");
        assertLine(page, "fovea_batch_size_bucket{model=\"inception\",le=\"4\"} 3");
        assertLine(page, "fovea_batch_size_bucket{model=\"inception\",le=\"+Inf\"} 3");
        assertLine(page, "fovea_batch_size_sum{model=\"inception\"} 8");
        assertLine(page, "fovea_queue_wait_seconds_bucket{model=\"inception\",le=\"0.001024\"} 2");
        assertLine(page, "fovea_queue_wait_seconds_bucket{model=\"inception\",le=\"0.004096\"} 8");
        assertLine(page, "fovea_queue_wait_seconds_count{model=\"inception\"} 8");
        assertLine(page, "fovea_inference_seconds_bucket{model=\"inception\",le=\"0.004096\"} 3");
        assertLine(page, "fovea_inference_seconds_sum{model=\"inception\"} 0.009");
    }

    @Test
    void shouldBridgeKafkaRecordsLagPerPartitionLeavingOutUnknownLag() {
        Map<MetricName, Metric> kafka = new HashMap<>();
        kafka.put(lag("images", "0"), gauge(12.0));
        kafka.put(lag("images", "1"), gauge(Double.NaN));
        kafka.put(
                new MetricName("records-lag-max", "consumer-fetch-manager-metrics", "", Map.of()),
                gauge(99.0));

        String page = metrics.render(Map.of(), kafka);

        assertLine(page, "fovea_consumer_lag{topic=\"images\",partition=\"0\"} 12");
        assertTrue(!page.contains("partition=\"1\""), page);
        assertEquals(12.0, WorkerMetrics.totalLag(kafka));
    }

    @Test
    void shouldReportProcessMemory() {
        String page = metrics.render(Map.of(), Map.of());
        assertTrue(page.contains("jvm_memory_used_bytes{area=\"heap\"} "), page);
        if (WorkerMetrics.residentBytes() > 0) {
            assertTrue(page.contains("process_resident_memory_bytes "), page);
        }
    }

    @Test
    void shouldLimitDeadLetterLinesPerSecondAndCountTheRest() {
        for (int i = 0; i < WorkerMetrics.DEAD_LETTER_LINES_PER_SECOND + 5; i++) {
            metrics.deadLettered(Reason.INVALID_RECORD, "id" + i, "bad");
        }
        assertEquals(5, metrics.suppressedLines());
        now.addAndGet(1_000_000_000L);
        metrics.deadLettered(Reason.INVALID_RECORD, "next", "bad");
        // The line of the next second says how many were left out, and the count starts again.
        assertEquals(0, metrics.suppressedLines());
        assertEquals(
                WorkerMetrics.DEAD_LETTER_LINES_PER_SECOND + 6,
                metrics.deadLetters().get(Reason.INVALID_RECORD));
    }

    @Test
    void shouldEscapeLabelValuesAndWriteSpecialNumbersAsPrometheusDoes() {
        assertEquals("a\\\"b\\\\c\\nd", PrometheusText.escape("a\"b\\c\nd"));
        assertEquals("+Inf", PrometheusText.number(Double.POSITIVE_INFINITY));
        assertEquals("NaN", PrometheusText.number(Double.NaN));
        assertEquals("3", PrometheusText.number(3.0));
        assertEquals("0.25", PrometheusText.number(0.25));
    }

    private static MetricName lag(String topic, String partition) {
        return new MetricName(
                "records-lag",
                "consumer-fetch-manager-metrics",
                "",
                Map.of("topic", topic, "partition", partition, "client-id", "c"));
    }

    private static Metric gauge(double value) {
        return new Metric() {
            @Override
            public MetricName metricName() {
                return null;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        };
    }

    private static void assertLine(String page, String line) {
        List<String> lines = page.lines().toList();
        assertTrue(lines.contains(line), () -> "no line '" + line + "' in\n" + page);
    }
}
