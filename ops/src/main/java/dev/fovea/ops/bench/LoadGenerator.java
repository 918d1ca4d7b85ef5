package dev.fovea.ops.bench;

import dev.fovea.avro.ImageEvent;
import dev.fovea.ops.tools.HostileCorpus;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.serde.ConfluentAvroSerializer;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Produces the workload's encoded images as {@code ImageEvent}s, as fast as possible or at a fixed
 * rate, and remembers when each was sent on this JVM's monotonic clock.
 *
 * <p>Image {@code i} of a run goes to partition {@code i % partitions}, so every partition (and
 * every stream thread) gets the same number of images, and partition {@code p} cycles through all
 * the photographs starting at the {@code p}-th, so every partition does the same mix of work and
 * the stream threads are not decoding the same photograph at the same moment. With keys hashed
 * instead, a short burst would end with some threads idle while others finish a longer partition.
 */
final class LoadGenerator implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final ConfluentAvroSerializer<ImageEvent> serializer;
    private final String topic;
    private final int partitions;
    private final Workload workload;
    private final Map<String, Long> sentNanos = new ConcurrentHashMap<>();
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    LoadGenerator(
            String bootstrapServers,
            SchemaRegistryClient registry,
            String topic,
            int partitions,
            Workload workload) {
        // A producer of bytes, each image serialized here on this thread as KafkaProducer would
        // have: records the Avro serializer refuses (hostile input) then go between the images
        // through the same producer, in order.
        this.producer =
                ImageProducer.rawProducer(
                        bootstrapServers,
                        Map.of(
                                // Each image is a batch of its own (they are larger than
                                // batch.size): waiting for more would only add latency.
                                ProducerConfig.LINGER_MS_CONFIG,
                                0,
                                ProducerConfig.BUFFER_MEMORY_CONFIG,
                                64L * 1024 * 1024));
        this.serializer = new ConfluentAvroSerializer<>(registry, true);
        this.topic = topic;
        this.partitions = partitions;
        this.workload = workload;
    }

    static String id(String run, int i) {
        return run + "-" + i;
    }

    /** Sends images {@code 0..count-1} of {@code run} as fast as the producer takes them. */
    void burst(String run, int count) {
        burst(run, count, List.of());
    }

    /**
     * As {@link #burst(String, int)}, with record {@code i % between.size()} of {@code between}
     * sent to image {@code i}'s partition right before it: every record between comes before an
     * image in its partition, so it has been answered once the last image is.
     */
    void burst(String run, int count, List<HostileCorpus.Entry> between) {
        for (int i = 0; i < count; i++) {
            if (!between.isEmpty()) {
                HostileCorpus.Entry e = between.get(i % between.size());
                producer.send(
                        new ProducerRecord<>(topic, i % partitions, e.key(), e.value()),
                        this::noteFailure);
            }
            send(run, i, System.nanoTime());
        }
        producer.flush();
        check();
    }

    /**
     * Sends images {@code 0..count-1} of {@code run}, image {@code i} due at {@code start + i /
     * rate}: an open loop, as independent producers behave, whether or not earlier images are done.
     * An image counts as sent when it was due, so a producer that falls behind does not hide the
     * wait from the latency (coordinated omission).
     */
    void paced(String run, int count, double ratePerSecond) {
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + (long) (i * 1e9 / ratePerSecond);
            LockSupport.parkNanos(due - System.nanoTime());
            send(run, i, due);
        }
        producer.flush();
        check();
    }

    /** When image {@code id} was sent (or due), in {@link System#nanoTime()} terms. */
    long sentNanos(String id) {
        Long sent = sentNanos.get(id);
        if (sent == null) {
            throw new IllegalArgumentException("no image " + id + " was sent");
        }
        return sent;
    }

    private void send(String run, int i, long sentAt) {
        check();
        String id = id(run, i);
        Workload.Photo photo = workload.photo(i / partitions + i % partitions);
        ImageEvent event =
                ImageEvent.newBuilder()
                        .setId(id)
                        .setData(ByteBuffer.wrap(photo.data()))
                        .setTimestamp(Instant.now())
                        .setAttributes(Map.of("file", photo.name()))
                        .build();
        sentNanos.put(id, sentAt);
        producer.send(
                new ProducerRecord<>(
                        topic,
                        i % partitions,
                        id.getBytes(StandardCharsets.UTF_8),
                        serializer.serialize(topic, event)),
                this::noteFailure);
    }

    private void noteFailure(RecordMetadata metadata, Exception e) {
        if (e != null) {
            failure.compareAndSet(null, e);
        }
    }

    private void check() {
        Exception e = failure.get();
        if (e != null) {
            throw new IllegalStateException("the broker refused an image: " + e, e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
