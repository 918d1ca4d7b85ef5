package dev.fovea.workers.observe;

import dev.fovea.topology.Reason;
import dev.fovea.topology.Telemetry;
import dev.fovea.workers.runtime.BatcherStats;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A worker's counts, fed by the topology through {@link Telemetry}, and its whole {@code /metrics}
 * page: those counts, the batchers' histograms and Kafka's consumer lag (both read when scraped),
 * and the process's memory.
 *
 * <p>Each dead letter is logged at INFO with its reason and image id, at most {@link
 * #DEAD_LETTER_LINES_PER_SECOND} lines a second: a producer sending garbage must not turn the log
 * into a copy of the dead-letter topic. Lines left out are counted in the next line and in the
 * per-minute summary; the counter counts every one.
 */
public final class WorkerMetrics implements Telemetry {
    private static final Logger log = LoggerFactory.getLogger(WorkerMetrics.class);

    static final int DEAD_LETTER_LINES_PER_SECOND = 10;

    private final LongAdder imagesIn = new LongAdder();
    private final LongAdder predictions = new LongAdder();
    private final Map<Reason, LongAdder> deadLetters = new EnumMap<>(Reason.class);
    private final Histogram decodeSeconds = new Histogram(Histogram.SECONDS);
    private final LongSupplier nanoTime;
    private final AtomicLong lastProgressNanos;

    // Rate limit of the dead-letter lines: the second they fall in and how many it had.
    private long logSecond = Long.MIN_VALUE;
    private int linesThisSecond;
    private long suppressed;

    public WorkerMetrics() {
        this(System::nanoTime);
    }

    WorkerMetrics(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.lastProgressNanos = new AtomicLong(nanoTime.getAsLong());
        for (Reason reason : Reason.values()) {
            deadLetters.put(reason, new LongAdder());
        }
    }

    @Override
    public void imageIn() {
        imagesIn.increment();
        lastProgressNanos.set(nanoTime.getAsLong());
    }

    @Override
    public void decoded(long nanos) {
        decodeSeconds.observe(nanos / 1e9);
    }

    @Override
    public void predicted(String imageId) {
        predictions.increment();
        lastProgressNanos.set(nanoTime.getAsLong());
    }

    @Override
    public void deadLettered(Reason reason, String imageId, String message) {
        deadLetters.get(reason).increment();
        lastProgressNanos.set(nanoTime.getAsLong());
        long skipped = admitLine();
        if (skipped >= 0) {
            // The pairs are fields of the line in log.format=json.
            log.atInfo()
                    .addKeyValue("event", "dead_letter")
                    .addKeyValue("reason", reason.name())
                    .addKeyValue("imageId", imageId)
                    .addKeyValue("skipped", skipped)
                    .log(
                            "dead letter {} for image {}: {}{}",
                            reason,
                            imageId,
                            message,
                            skipped > 0
                                    ? " (" + skipped + " earlier dead letters not logged)"
                                    : "");
        }
    }

    /** -1 to leave this line out, else how many were left out before it. */
    private synchronized long admitLine() {
        long second = nanoTime.getAsLong() / 1_000_000_000L;
        if (second != logSecond) {
            logSecond = second;
            linesThisSecond = 0;
        }
        if (linesThisSecond >= DEAD_LETTER_LINES_PER_SECOND) {
            suppressed++;
            return -1;
        }
        linesThisSecond++;
        long skipped = suppressed;
        suppressed = 0;
        return skipped;
    }

    public long imagesIn() {
        return imagesIn.sum();
    }

    public long predictions() {
        return predictions.sum();
    }

    public Map<Reason, Long> deadLetters() {
        Map<Reason, Long> counts = new EnumMap<>(Reason.class);
        deadLetters.forEach((reason, count) -> counts.put(reason, count.sum()));
        return counts;
    }

    /**
     * Images read but not yet answered. Read without a lock, so a scrape may see an answer before
     * its image; never below 0.
     */
    public long inFlight() {
        long answered = predictions.sum();
        for (LongAdder count : deadLetters.values()) {
            answered += count.sum();
        }
        return Math.max(0, imagesIn.sum() - answered);
    }

    /** When an image was last read or answered ({@link System#nanoTime()}), for liveness. */
    public long lastProgressNanos() {
        return lastProgressNanos.get();
    }

    /**
     * The {@code /metrics} page.
     *
     * @param batchers each model's batcher stats, by model name
     * @param kafka the Kafka Streams client's metrics, for the consumers' lag
     */
    public String render(
            Map<String, BatcherStats> batchers, Map<MetricName, ? extends Metric> kafka) {
        PrometheusText text = new PrometheusText();
        text.family("fovea_images_in_total", "counter", "Records read from the images topic.")
                .sample("fovea_images_in_total", Map.of(), imagesIn.sum());
        text.family(
                        "fovea_predictions_total",
                        "counter",
                        "Images answered with predictions (one per image, whatever the records).")
                .sample("fovea_predictions_total", Map.of(), predictions.sum());
        text.family("fovea_dead_letters_total", "counter", "Records answered with a dead letter.");
        deadLetters.forEach(
                (reason, count) ->
                        text.sample(
                                "fovea_dead_letters_total",
                                Map.of("reason", reason.name()),
                                count.sum()));
        text.family("fovea_records_in_flight", "gauge", "Images read and not yet answered.")
                .sample("fovea_records_in_flight", Map.of(), inFlight());
        text.family(
                "fovea_decode_seconds",
                "histogram",
                "Time to decode an image's bytes to pixels, rejections included.");
        decodeSeconds.writeTo(text, "fovea_decode_seconds", Map.of());
        writeBatchers(text, batchers);
        writeLag(text, kafka);
        writeMemory(text);
        return text.toString();
    }

    /** Powers of 4 in microseconds, from 1 us to 67 s: every other bucket of the batchers'. */
    private static final int[] MICROS_BUCKETS = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26};

    private static void writeBatchers(PrometheusText text, Map<String, BatcherStats> batchers) {
        text.family(
                "fovea_queue_wait_seconds",
                "histogram",
                "Time an input waited in a model's queue before its batch ran.");
        batchers.forEach(
                (model, s) ->
                        writeMicros(
                                text,
                                "fovea_queue_wait_seconds",
                                model,
                                s.queueWaitMicros(),
                                s.totalQueueWaitNanos()));
        text.family("fovea_inference_seconds", "histogram", "Time a model took to run one batch.");
        batchers.forEach(
                (model, s) ->
                        writeMicros(
                                text,
                                "fovea_inference_seconds",
                                model,
                                s.inferenceMicros(),
                                s.totalInferenceNanos()));
        text.family("fovea_batch_size", "histogram", "Inputs per batch a model ran.");
        batchers.forEach((model, s) -> writeBatchSizes(text, model, s));
    }

    /** The batchers count in power-of-2 microsecond buckets: bucket i holds [2^(i-1), 2^i) us. */
    private static void writeMicros(
            PrometheusText text, String name, String model, long[] buckets, long totalNanos) {
        double[] bounds = new double[MICROS_BUCKETS.length];
        long[] cumulative = new long[MICROS_BUCKETS.length];
        long count = 0;
        for (long c : buckets) {
            count += c;
        }
        for (int b = 0; b < MICROS_BUCKETS.length; b++) {
            int upTo = MICROS_BUCKETS[b];
            bounds[b] = Math.pow(2, upTo) / 1e6;
            long running = 0;
            for (int i = 0; i <= upTo && i < buckets.length; i++) {
                running += buckets[i];
            }
            cumulative[b] = running;
        }
        text.histogram(name, Map.of("model", model), bounds, cumulative, count, totalNanos / 1e9);
    }

    private static void writeBatchSizes(PrometheusText text, String model, BatcherStats s) {
        int max = s.batchSizes().length - 1;
        int n = 0;
        while ((1 << n) < max) {
            n++;
        }
        double[] bounds = new double[n + 1];
        long[] cumulative = new long[n + 1];
        long count = 0;
        for (long c : s.batchSizes()) {
            count += c;
        }
        for (int b = 0; b <= n; b++) {
            int upTo = Math.min(1 << b, max);
            bounds[b] = 1 << b;
            long running = 0;
            for (int size = 0; size <= upTo; size++) {
                running += s.batchSizes()[size];
            }
            cumulative[b] = running;
        }
        text.histogram(
                "fovea_batch_size", Map.of("model", model), bounds, cumulative, count, s.inputs());
    }

    /**
     * Kafka's consumers measure their lag per partition they fetch ({@code records-lag} in {@code
     * consumer-fetch-manager-metrics}); it is NaN until a partition's first fetch, and such
     * partitions are left out.
     */
    private static void writeLag(PrometheusText text, Map<MetricName, ? extends Metric> kafka) {
        text.family(
                "fovea_consumer_lag",
                "gauge",
                "Records of a partition not read yet, as this worker's consumer last saw it.");
        Map<String, Double> lags = new TreeMap<>();
        Map<String, Map<String, String>> labels = new TreeMap<>();
        kafka.forEach(
                (name, metric) -> {
                    if (name.name().equals("records-lag")
                            && name.group().equals("consumer-fetch-manager-metrics")
                            && name.tags().containsKey("partition")) {
                        Object value = metric.metricValue();
                        if (value instanceof Number number && !Double.isNaN(number.doubleValue())) {
                            String topic = name.tags().get("topic");
                            String partition = name.tags().get("partition");
                            String key = topic + "\u0000" + partition;
                            lags.merge(key, number.doubleValue(), Math::max);
                            Map<String, String> l = new LinkedHashMap<>();
                            l.put("topic", topic);
                            l.put("partition", partition);
                            labels.put(key, l);
                        }
                    }
                });
        lags.forEach((key, lag) -> text.sample("fovea_consumer_lag", labels.get(key), lag));
    }

    /** The total lag over every partition, as {@link #render} shows it; 0 when none is known. */
    public static double totalLag(Map<MetricName, ? extends Metric> kafka) {
        double total = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : kafka.entrySet()) {
            MetricName name = e.getKey();
            if (name.name().equals("records-lag")
                    && name.group().equals("consumer-fetch-manager-metrics")
                    && name.tags().containsKey("partition")
                    && e.getValue().metricValue() instanceof Number number
                    && !Double.isNaN(number.doubleValue())) {
                total += number.doubleValue();
            }
        }
        return total;
    }

    private static void writeMemory(PrometheusText text) {
        long rss = residentBytes();
        if (rss >= 0) {
            text.family(
                            "process_resident_memory_bytes",
                            "gauge",
                            "Resident memory of the process, native (TensorFlow) included.")
                    .sample("process_resident_memory_bytes", Map.of(), rss);
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        text.family("jvm_memory_used_bytes", "gauge", "JVM memory in use.")
                .sample("jvm_memory_used_bytes", Map.of("area", "heap"), heap.getUsed());
        text.family("jvm_memory_max_bytes", "gauge", "Most JVM memory that can be used.")
                .sample("jvm_memory_max_bytes", Map.of("area", "heap"), heap.getMax());
    }

    /** VmRSS of {@code /proc/self/status}, or -1 where there is no such file (not Linux). */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the metric is left out
        }
        return -1;
    }

    /** How many dead-letter lines were left out and not yet reported by a later one. */
    synchronized long suppressedLines() {
        return suppressed;
    }
}
