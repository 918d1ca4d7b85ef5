package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.Prediction;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.ops.tools.TopicReader;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.workers.FoveaWorker;

import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * images.raw to predictions on real parts: a KRaft broker, the registry over HTTP, Avro in the
 * Confluent wire format, and Inception v3 run by TensorFlow.
 */
class EndToEndTest {
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    private static Fixture.Topics topics;
    private static FoveaWorker worker;
    private static SchemaRegistryClient registry;

    @BeforeAll
    static void startWorker() throws InterruptedException {
        topics = Fixture.Topics.create("e2e", 2);
        registry = Fixture.registry();
        worker = FoveaWorker.start(Fixture.workerConfig("e2e", topics, Map.of()));
        assertTrue(worker.awaitRunning(Duration.ofMinutes(1)), "worker did not reach RUNNING");
    }

    @AfterAll
    static void stopWorker() {
        worker.close();
    }

    @Test
    void shouldAnswerFiftyImagesAndDeadLetterTheBadOnesWithoutStopping() throws IOException {
        List<ImageProducer.Item> first = ImageProducer.items(Fixture.photographs(), 50, "e2e-a-");
        List<ImageProducer.Item> after = ImageProducer.items(Fixture.photographs(), 5, "e2e-b-");
        byte[] notAvro = "{\"id\":\"json-is-not-avro\"}".getBytes(StandardCharsets.UTF_8);
        try (ImageProducer producer = producer()) {
            producer.send(first, 0, null);
            producer.send(
                    List.of(new ImageProducer.Item("e2e-corrupt", Fixture.truncatedJpeg())),
                    0,
                    null);
            sendRaw("e2e-invalid", notAvro);
            producer.send(after, 0, null);
        }

        Set<String> expected = new TreeSet<>();
        first.forEach(i -> expected.add(i.id()));
        after.forEach(i -> expected.add(i.id()));
        Map<String, Prediction> predictions =
                read(Prediction.class, topics.predictions(), expected.size());
        assertEquals(
                expected, predictions.keySet(), "one prediction per image, with the right ids");
        Prediction p = predictions.get(first.get(0).id());
        assertEquals(5, p.getTop().size());
        assertTrue(p.getTop().get(0).getProbability() >= p.getTop().get(4).getProbability());
        List<String> labels = Files.readAllLines(Fixture.model().resolve("labels.txt"));
        p.getTop()
                .forEach(
                        c ->
                                assertEquals(
                                        labels.get(c.getIndex()),
                                        c.getLabel(),
                                        "label from labels.txt"));
        assertEquals("e2e-worker", p.getWorker());
        assertEquals("astronaut.png", p.getAttributes().get("file"));

        Map<String, DeadLetter> deadLetters = read(DeadLetter.class, topics.deadLetters(), 2);
        assertEquals(Set.of("e2e-corrupt", "e2e-invalid"), deadLetters.keySet());
        assertEquals("UNDECODABLE_IMAGE", deadLetters.get("e2e-corrupt").getReason());
        assertEquals("INVALID_RECORD", deadLetters.get("e2e-invalid").getReason());
        assertArrayEquals(notAvro, bytes(deadLetters.get("e2e-invalid").getValue()));
    }

    @Test
    void shouldFramePredictionsInTheConfluentWireFormatByteForByte() throws IOException {
        List<ImageProducer.Item> one = ImageProducer.items(Fixture.photographs(), 1, "e2e-frame-");
        String id = one.get(0).id();
        try (ImageProducer producer = producer()) {
            producer.send(one, 0, null);
        }
        Prediction decoded = read(Prediction.class, topics.predictions(), Set.of(id)).get(id);
        byte[] raw = rawValue(topics.predictions(), id);

        int registeredId = registry.latest(topics.predictions() + "-value").id();
        assertEquals(0, raw[0], "magic byte");
        assertEquals(
                registeredId,
                ByteBuffer.wrap(raw, 1, 4).getInt(),
                "big-endian schema id of predictions-value");
        ByteArrayOutputStream avro = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(avro, null);
        new SpecificDatumWriter<>(Prediction.class).write(decoded, encoder);
        encoder.flush();
        byte[] body = new byte[raw.length - 5];
        System.arraycopy(raw, 5, body, 0, body.length);
        assertArrayEquals(avro.toByteArray(), body, "the rest is plain Avro binary of the record");
        assertEquals(Prediction.getClassSchema(), registry.getById(registeredId));
    }

    private static ImageProducer producer() {
        return new ImageProducer(
                Fixture.stack().bootstrapServers(), registry, topics.images(), Map.of());
    }

    private static void sendRaw(String key, byte[] value) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, Fixture.stack().bootstrapServers());
        try (KafkaProducer<byte[], byte[]> raw =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            raw.send(
                    new ProducerRecord<>(
                            topics.images(), key.getBytes(StandardCharsets.UTF_8), value));
        }
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> Map<String, T> read(
            Class<T> type, String topic, int count) {
        return read(type, topic, null, count);
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> Map<String, T> read(
            Class<T> type, String topic, Set<String> keys) {
        return read(type, topic, keys, keys.size());
    }

    /**
     * Reads the topic until {@code count} distinct keys (of {@code keys}, if given) have a record.
     */
    private static <T extends org.apache.avro.specific.SpecificRecord> Map<String, T> read(
            Class<T> type, String topic, Set<String> keys, int count) {
        Map<String, T> byKey = new HashMap<>();
        List<String> duplicates = new ArrayList<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        try (TopicReader<T> reader =
                new TopicReader<>(
                        Fixture.stack().bootstrapServers(),
                        registry,
                        type,
                        topic,
                        true,
                        Map.of())) {
            while (byKey.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, T> record : reader.poll(Duration.ofMillis(500))) {
                    if ((keys == null || keys.contains(record.key()))
                            && byKey.put(record.key(), record.value()) != null) {
                        duplicates.add(record.key());
                    }
                }
            }
        }
        assertEquals(
                count,
                byKey.size(),
                "records on " + topic + " within " + PATIENCE + ": " + byKey.keySet());
        assertEquals(
                List.of(), duplicates, "a single, uninterrupted worker answers each image once");
        return byKey;
    }

    private static byte[] rawValue(String topic, String key) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Fixture.stack().bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-raw-" + System.nanoTime());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(500))) {
                    if (key.equals(new String(record.key(), StandardCharsets.UTF_8))) {
                        return record.value();
                    }
                }
            }
        }
        throw new AssertionError("no record with key " + key + " on " + topic);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
