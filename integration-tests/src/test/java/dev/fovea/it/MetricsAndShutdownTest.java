package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.fovea.avro.ImageEvent;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.workers.config.WorkerConfig;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code fovea worker} process seen from outside, the way Kubernetes and Prometheus see it: its
 * probes over a start and a SIGTERM, its counters against what was produced, and a SIGTERM in the
 * middle of a backlog, after which a restarted worker answers every image.
 */
@Timeout(300)
class MetricsAndShutdownTest {
    private static final int GOOD = 12;
    private static final int TRUNCATED = 3;
    private static final int JUNK = 3;
    private static final int BACKLOG = 60;
    private static final Duration GRACE = Duration.ofSeconds(20);

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void shouldCountEveryRecordAndGoReadyThenNotReadyAndLoseNothingOnSigterm() throws Exception {
        Fixture.Topics topics = Fixture.Topics.create("metrics-shutdown", 2);
        int port = freePort();
        Map<String, String> extra = new HashMap<>();
        extra.put(WorkerConfig.METRICS_PORT, Integer.toString(port));
        extra.put(WorkerConfig.SHUTDOWN_GRACE_MS, Long.toString(GRACE.toMillis()));
        extra.put(WorkerConfig.STREAM_THREADS, "2");
        extra.put(WorkerConfig.LOG_FORMAT, "json");
        Map<String, String> settings = Fixture.workerSettings("metrics-shutdown", topics, extra);

        Set<String> expected = new HashSet<>();
        WorkerProcess worker = WorkerProcess.start("metrics-shutdown-1", settings);
        ReadyPoller ready = new ReadyPoller(port);
        try (worker;
                ready;
                KafkaProducer<String, ImageEvent> producer =
                        ImageProducer.kafkaProducer(
                                Fixture.stack().bootstrapServers(), Fixture.registry(), Map.of());
                KafkaProducer<byte[], byte[]> raw =
                        ImageProducer.rawProducer(Fixture.stack().bootstrapServers(), Map.of())) {
            await(() -> ready.last() == 200, "/ready 200", worker);

            // Good images, truncated JPEGs (UNDECODABLE_IMAGE) and values that are not Avro
            // (INVALID_RECORD): in = predictions + dead letters, by reason.
            List<byte[]> photos = new ArrayList<>();
            for (Path p : Fixture.photographs()) {
                photos.add(Files.readAllBytes(p));
            }
            byte[] truncated = Files.readAllBytes(Fixture.truncatedJpeg());
            for (int i = 0; i < GOOD; i++) {
                send(producer, topics, "good-" + i, photos.get(i % photos.size()), expected);
            }
            for (int i = 0; i < TRUNCATED; i++) {
                send(producer, topics, "truncated-" + i, truncated, expected);
            }
            for (int i = 0; i < JUNK; i++) {
                String id = "junk-" + i;
                raw.send(
                        new ProducerRecord<>(
                                topics.images(),
                                id.getBytes(StandardCharsets.UTF_8),
                                "not an image event".getBytes(StandardCharsets.UTF_8)));
                expected.add(id);
            }
            producer.flush();
            raw.flush();
            int first = GOOD + TRUNCATED + JUNK;
            await(
                    () -> answered(scrape(port)) >= first,
                    first + " records answered in /metrics",
                    worker);
            String page = scrape(port);
            assertEquals(first, value(page, "fovea_images_in_total"), page);
            assertEquals(GOOD, value(page, "fovea_predictions_total"), page);
            assertEquals(
                    TRUNCATED,
                    value(page, "fovea_dead_letters_total{reason=\"UNDECODABLE_IMAGE\"}"),
                    page);
            assertEquals(
                    JUNK, value(page, "fovea_dead_letters_total{reason=\"INVALID_RECORD\"}"), page);
            assertEquals(0, value(page, "fovea_records_in_flight"), page);
            assertEquals(GOOD, value(page, "fovea_decode_seconds_count") - TRUNCATED, page);
            assertTrue(page.contains("fovea_batch_size_count{model=\""), page);
            assertTrue(page.contains("fovea_inference_seconds_bucket{model=\""), page);
            assertTrue(page.contains("fovea_queue_wait_seconds_sum{model=\""), page);
            assertTrue(page.contains("process_resident_memory_bytes "), page);
            await(
                    () -> scrape(port).contains("fovea_consumer_lag{topic=\"" + topics.images()),
                    "the consumer lag of " + topics.images(),
                    worker);
            assertEquals(200, get(port, "/live"));
            assertEquals(200, get(port, "/startup"));
            assertServesEveryListedMetric(scrape(port));

            // A backlog, and SIGTERM while the worker is in the middle of it.
            for (int i = 0; i < BACKLOG; i++) {
                send(producer, topics, "backlog-" + i, photos.get(i % photos.size()), expected);
            }
            producer.flush();
            await(() -> answered(scrape(port)) >= first + 5, "the backlog under way", worker);
            long start = System.nanoTime();
            int status = worker.stop(GRACE.plusSeconds(30));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertEquals(
                    WorkerProcess.STOPPED, status, "exit status after SIGTERM" + worker.tail());
            assertTrue(took.compareTo(GRACE) < 0, "took " + took + worker.tail());
            assertTrue(worker.closedCleanly(), worker.tail());
            ready.close();
            List<Integer> seen = ready.statuses();
            List<Integer> answers = seen.stream().filter(s -> s > 0).toList();
            assertEquals(503, answers.get(0), "not ready while the model loads: " + seen);
            assertTrue(answers.contains(200), "ready once running: " + seen);
            assertEquals(
                    503,
                    answers.get(answers.size() - 1),
                    "not ready as soon as SIGTERM arrives: " + seen);
            assertEveryLineIsJsonWithTheDeadLettersFields(worker.log());
        }

        // Whatever the stopped worker had not answered, the next one does: nothing was lost.
        Set<String> before = answeredIds(topics, Set.of(), Duration.ZERO);
        assertFalse(before.containsAll(expected), "the SIGTERM came after the whole backlog");
        Map<String, String> next = new HashMap<>(settings);
        next.put(WorkerConfig.METRICS_PORT, "0");
        next.put(WorkerConfig.LOG_FORMAT, "text");
        try (WorkerProcess second = WorkerProcess.start("metrics-shutdown-2", next)) {
            Set<String> after = answeredIds(topics, expected, Duration.ofSeconds(120));
            assertTrue(
                    after.containsAll(expected),
                    "unanswered: " + missing(expected, after) + second.tail());
            second.stop(GRACE.plusSeconds(30));
            String log = second.log();
            assertTrue(log.contains("INFO FoveaWorker - worker "), second.tail());
            // Logged while TensorFlow's stderr is captured, into a log file the worker's
            // descriptor 2 writes too: it must not be overwritten.
            assertTrue(log.contains("INFO SavedModelClassifier - model "), second.tail());
            assertNoTensorFlowNotices(log);
        }
    }

    /**
     * log.format=json: every line the worker wrote, from its first setting to its exit after
     * SIGTERM, is one JSON object; dead letters carry their reason and image id as fields; and
     * TensorFlow's native notices did not slip past as raw text.
     */
    private static void assertEveryLineIsJsonWithTheDeadLettersFields(String log)
            throws IOException {
        ObjectMapper json = new ObjectMapper();
        Set<String> deadLettered = new HashSet<>();
        Set<String> loggers = new HashSet<>();
        List<String> lines = log.lines().filter(line -> !line.isBlank()).toList();
        assertTrue(lines.size() > 10, log);
        for (String line : lines) {
            JsonNode entry;
            try {
                entry = json.readTree(line);
            } catch (IOException e) {
                throw new AssertionError("not a JSON line: " + line, e);
            }
            for (String field : List.of("timestamp", "level", "logger", "thread", "message")) {
                assertTrue(entry.hasNonNull(field), field + " missing: " + line);
            }
            loggers.add(entry.get("logger").asText());
            if ("dead_letter".equals(entry.path("event").asText())) {
                deadLettered.add(
                        entry.get("reason").asText() + " " + entry.get("imageId").asText());
            }
        }
        for (int i = 0; i < TRUNCATED; i++) {
            assertTrue(
                    deadLettered.contains("UNDECODABLE_IMAGE truncated-" + i),
                    deadLettered.toString());
        }
        for (int i = 0; i < JUNK; i++) {
            assertTrue(deadLettered.contains("INVALID_RECORD junk-" + i), deadLettered.toString());
        }
        assertTrue(
                loggers.contains("dev.fovea.workers.runtime.SavedModelClassifier"),
                "the model's load line, logged while TensorFlow's stderr was captured: " + loggers);
        assertNoTensorFlowNotices(log);
    }

    /** What TensorFlow prints while a model loads is logged at debug, so not at all at info. */
    private static void assertNoTensorFlowNotices(String log) {
        for (String notice :
                List.of("mlir_graph_optimization_pass", "MLIR V1", "absl::InitializeLog")) {
            assertFalse(log.contains(notice), notice + " in the worker's log:\n" + log);
        }
    }

    private static Set<String> missing(Set<String> expected, Set<String> got) {
        Set<String> missing = new HashSet<>(expected);
        missing.removeAll(got);
        return missing;
    }

    private static void send(
            KafkaProducer<String, ImageEvent> producer,
            Fixture.Topics topics,
            String id,
            byte[] image,
            Set<String> expected) {
        ImageEvent event =
                ImageEvent.newBuilder()
                        .setId(id)
                        .setData(ByteBuffer.wrap(image))
                        .setTimestamp(Instant.now())
                        .setAttributes(Map.of())
                        .build();
        producer.send(new ProducerRecord<>(topics.images(), id, event));
        expected.add(id);
    }

    /** Ids (record keys) on the predictions and dead-letter topics, read until {@code want}. */
    private static Set<String> answeredIds(
            Fixture.Topics topics, Set<String> want, Duration timeout) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Fixture.stack().bootstrapServers());
        Set<String> ids = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topics.predictions(), topics.deadLetters())) {
                for (PartitionInfo p : consumer.partitionsFor(topic)) {
                    partitions.add(new TopicPartition(topic, p.partition()));
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    ids.add(r.key());
                }
                boolean caughtUp =
                        partitions.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
                if (ids.containsAll(want) && caughtUp) {
                    return ids;
                }
                if (System.nanoTime() > deadline) {
                    if (caughtUp) {
                        return ids;
                    }
                    ends.putAll(consumer.endOffsets(partitions));
                }
            }
        }
    }

    private static final Pattern SAMPLE = Pattern.compile("^(\\S+) (\\S+)$", Pattern.MULTILINE);

    /** The value of one sample, by its name and labels as written; -1 when absent. */
    private static long value(String page, String sample) {
        Matcher m = SAMPLE.matcher(page);
        while (m.find()) {
            if (m.group(1).equals(sample)) {
                return (long) Double.parseDouble(m.group(2));
            }
        }
        return -1;
    }

    private static long answered(String page) {
        long total = Math.max(0, value(page, "fovea_predictions_total"));
        Matcher m = SAMPLE.matcher(page);
        while (m.find()) {
            if (m.group(1).startsWith("fovea_dead_letters_total{")) {
                total += (long) Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    /**
     * The dashboard and the deployment are checked against ops/deploy/worker-metrics.txt; this
     * checks the worker against it, so the three cannot drift apart.
     */
    private static void assertServesEveryListedMetric(String page) throws java.io.IOException {
        Path listed = Path.of("..", "ops", "deploy", "worker-metrics.txt");
        for (String line : java.nio.file.Files.readAllLines(listed)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.trim().split("\\s+");
            String name = fields[1].equals("histogram") ? fields[0] + "_bucket" : fields[0];
            assertTrue(
                    page.lines()
                            .anyMatch(l -> l.startsWith(name + "{") || l.startsWith(name + " ")),
                    name + " (listed in " + listed + ") missing from /metrics:\n" + page);
        }
    }

    private String scrape(int port) {
        try {
            return http.send(
                            HttpRequest.newBuilder(
                                            URI.create("http://localhost:" + port + "/metrics"))
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private int get(int port, String path) throws IOException, InterruptedException {
        return http.send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void await(BooleanSupplier condition, String what, WorkerProcess worker)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!condition.getAsBoolean()) {
            if (!worker.isAlive()) {
                throw new AssertionError(worker + " exited before " + what + worker.tail());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within 120 s" + worker.tail());
            }
            Thread.sleep(50);
        }
    }

    /**
     * Polls {@code /ready} every 10 ms from the worker's start to its exit, keeping each change:
     * 503 and 200, or -1 while nothing listens (before the JVM binds the port, after it exits).
     */
    private final class ReadyPoller implements AutoCloseable {
        private final List<Integer> statuses = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean stop;

        ReadyPoller(int port) {
            this.thread =
                    new Thread(
                            () -> {
                                while (!stop) {
                                    int status;
                                    try {
                                        status = get(port, "/ready");
                                    } catch (IOException e) {
                                        status = -1;
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                    if (statuses.isEmpty()
                                            || statuses.get(statuses.size() - 1) != status) {
                                        statuses.add(status);
                                    }
                                    try {
                                        Thread.sleep(10);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            },
                            "ready-poller");
            thread.setDaemon(true);
            thread.start();
        }

        int last() {
            return statuses.isEmpty() ? -1 : statuses.get(statuses.size() - 1);
        }

        List<Integer> statuses() {
            return List.copyOf(statuses);
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5_000);
        }
    }
}
