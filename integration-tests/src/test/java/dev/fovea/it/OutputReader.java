package dev.fovea.it;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.Prediction;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.serde.ConfluentAvroDeserializer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * A run's answers: its predictions and dead letters, read from the start, {@code read_committed},
 * on a thread of its own that polls on through crashes, rebalances and broker outages, as a
 * downstream consumer would, until the run drains it.
 */
final class OutputReader implements AutoCloseable {

    /** A prediction or a dead letter, as read from the output topics. */
    record Answer(
            boolean deadLetter,
            String key,
            String imageId,
            String worker,
            int sourcePartition,
            long sourceOffset,
            long processedAtMillis,
            String reason,
            String at) {}

    private final String bootstrapServers;
    private final String predictionsTopic;
    private final String deadLettersTopic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final ConfluentAvroDeserializer<Prediction> predictions;
    private final ConfluentAvroDeserializer<DeadLetter> deadLetters;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final Map<String, List<Answer>> byId = new ConcurrentHashMap<>();
    private final List<Answer> all = new CopyOnWriteArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean reading = true;

    OutputReader(
            String name,
            String bootstrapServers,
            SchemaRegistryClient registry,
            String predictionsTopic,
            String deadLettersTopic) {
        this.bootstrapServers = bootstrapServers;
        this.predictionsTopic = predictionsTopic;
        this.deadLettersTopic = deadLettersTopic;
        this.predictions = new ConfluentAvroDeserializer<>(registry, Prediction.class);
        this.deadLetters = new ConfluentAvroDeserializer<>(registry, DeadLetter.class);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // Under exactly_once_v2, aborted attempts stay in the log; read_committed hides them.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        for (String topic : List.of(predictionsTopic, deadLettersTopic)) {
            for (PartitionInfo p : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        this.thread = new Thread(this::read, name + "-answers");
        thread.setDaemon(true);
        thread.start();
    }

    private void read() {
        try {
            while (reading) {
                pollOnce();
            }
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
        }
    }

    private void pollOnce() {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            String at = r.topic() + "-" + r.partition() + "@" + r.offset();
            Answer answer;
            if (r.topic().equals(predictionsTopic)) {
                Prediction p = predictions.deserialize(r.topic(), r.value());
                answer =
                        new Answer(
                                false,
                                r.key(),
                                p.getImageId(),
                                p.getWorker(),
                                -1,
                                -1,
                                p.getProcessedAt().toEpochMilli(),
                                null,
                                at);
            } else {
                DeadLetter d = deadLetters.deserialize(r.topic(), r.value());
                answer =
                        new Answer(
                                true,
                                r.key(),
                                d.getImageId(),
                                d.getWorker(),
                                d.getPartition(),
                                d.getOffset(),
                                d.getFailedAt().toEpochMilli(),
                                d.getReason() + ": " + d.getMessage(),
                                at);
            }
            byId.computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>()).add(answer);
            all.add(answer);
        }
    }

    /** Images (record keys) answered at least once. */
    int distinct() {
        return byId.size();
    }

    /** Answers read, duplicates included. */
    int total() {
        return all.size();
    }

    int byWorker(String worker) {
        return (int) all.stream().filter(a -> worker.equals(a.worker())).count();
    }

    /** The answers for image {@code id}, in the order read. */
    List<Answer> of(String id) {
        return byId.getOrDefault(id, List.of());
    }

    /** Every answer, in the order read. */
    List<Answer> all() {
        return all;
    }

    /** Image id (record key) to the reason and message of its dead letter. */
    Map<String, String> deadLetterReasons() {
        Map<String, String> reasons = new TreeMap<>();
        for (Answer a : all) {
            if (a.deadLetter()) {
                reasons.put(a.key(), a.reason());
            }
        }
        return reasons;
    }

    /** Image id to the number of answers read for it, for those answered more than once. */
    Map<String, Integer> duplicates() {
        Map<String, Integer> duplicates = new TreeMap<>();
        byId.forEach(
                (id, answers) -> {
                    if (answers.size() > 1) {
                        duplicates.put(id, answers.size());
                    }
                });
        return duplicates;
    }

    void rethrow() {
        Throwable e = failure.get();
        if (e != null) {
            throw new AssertionError("reading the answers failed: " + e, e);
        }
    }

    /**
     * Stops the reading thread and reads on until every output partition is read to its end,
     * aborted transactions of killed workers included (they end when the broker times them out), so
     * that a duplicate written last is counted too.
     *
     * @return the end offsets read to
     */
    Map<TopicPartition, Long> drain(Duration timeout) throws InterruptedException {
        reading = false;
        thread.join(30_000);
        rethrow();
        Map<TopicPartition, Long> ends = new HashMap<>();
        ends.putAll(highWatermarks(bootstrapServers, predictionsTopic));
        ends.putAll(highWatermarks(bootstrapServers, deadLettersTopic));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ends.entrySet().stream()
                .anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "outputs not readable to their end within "
                                + timeout.toSeconds()
                                + " s: ends "
                                + ends
                                + ", positions "
                                + ends.keySet().stream()
                                        .collect(Collectors.toMap(tp -> tp, consumer::position)));
            }
            pollOnce();
        }
        return ends;
    }

    /**
     * The end of each partition of {@code topic}, past records of open and aborted transactions
     * too, which a {@code read_committed} consumer's end offsets (the last stable offset) are not.
     */
    static Map<TopicPartition, Long> highWatermarks(String bootstrapServers, String topic) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(props)) {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get(topic)
                    .partitions()
                    .forEach(
                            p ->
                                    request.put(
                                            new TopicPartition(topic, p.partition()),
                                            OffsetSpec.latest()));
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .forEach((tp, info) -> ends.put(tp, info.offset()));
            return ends;
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("cannot list the offsets of " + topic + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    @Override
    public void close() {
        reading = false;
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(Duration.ofSeconds(5));
    }
}
