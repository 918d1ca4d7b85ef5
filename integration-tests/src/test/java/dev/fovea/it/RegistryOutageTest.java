package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.avro.ImageEvent;
import dev.fovea.avro.Prediction;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.ops.tools.TopicReader;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.server.LocalSchemaRegistry;
import dev.fovea.workers.FoveaWorker;
import dev.fovea.workers.config.WorkerConfig;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The registry away at startup and in mid-run, on a real broker with a real model: the worker waits
 * for it instead of crashing, answers from its cache what it can, and loses no record.
 */
class RegistryOutageTest {
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    @Test
    void shouldWaitForTheRegistryAtStartupAndForANewSchemaIdWithoutLosingARecord(
            @TempDir Path registryData) throws Exception {
        Fixture.Topics topics = Fixture.Topics.create("outage", 1);
        // Startup against a port where something hangs up on every connection, so that the test
        // can count the worker's attempts; a port with nothing is PreflightTest's case.
        HangingUp hangingUp = new HangingUp();
        String url = "http://127.0.0.1:" + hangingUp.port();
        WorkerConfig config =
                Fixture.workerConfig(
                        "outage",
                        topics,
                        Map.of(
                                WorkerConfig.SCHEMA_REGISTRY_URL,
                                url,
                                WorkerConfig.STARTUP_TIMEOUT_MS,
                                "60000"));

        CompletableFuture<FoveaWorker> starting =
                CompletableFuture.supplyAsync(() -> FoveaWorker.start(config));
        hangingUp.awaitConnections(3, PATIENCE);
        assertFalse(starting.isDone(), "the worker must wait for the registry, not fail");
        hangingUp.close();
        LocalSchemaRegistry registry = startRegistry(hangingUp.port(), registryData);
        FoveaWorker worker = starting.get(2, TimeUnit.MINUTES);
        try {
            assertTrue(worker.awaitRunning(Duration.ofMinutes(1)), "worker did not reach RUNNING");
            SchemaRegistryClient client = new HttpSchemaRegistryClient(url);
            List<ImageProducer.Item> images =
                    ImageProducer.items(Fixture.photographs(), 2, "outage-");
            send(client, topics, images.get(0));
            awaitPredictions(client, topics, Set.of(images.get(0).id()));

            // A second version of ImageEvent, registered while the registry is up, as a producer
            // upgraded during the outage would have done before it.
            Schema newer = withField(ImageEvent.getClassSchema(), "source");
            int newerId = client.register(topics.images() + "-value", newer);
            registry.close();

            // Down: the worker already has ImageEvent's first version.
            send(client, topics, images.get(1));
            awaitPredictions(client, topics, Set.of(images.get(1).id()));

            // Down: a record of the second version waits for the registry...
            sendRaw(topics, "outage-newer", framed(newerId, newer, images.get(1).file()));
            assertFalse(
                    predictions(client, topics, Duration.ofMillis(1_500)).contains("outage-newer"),
                    "it cannot be answered before the registry is back");
            assertEquals(KafkaStreams.State.RUNNING, worker.state(), "waiting, not failed");

            // ...and is answered once the registry is back.
            registry = startRegistry(hangingUp.port(), registryData);
            awaitPredictions(client, topics, Set.of("outage-newer"));
            assertEquals(0, endOffset(topics.deadLetters()), "no image was dead-lettered");
        } finally {
            worker.close();
            registry.close();
        }
    }

    private static void send(
            SchemaRegistryClient registry, Fixture.Topics topics, ImageProducer.Item image)
            throws IOException {
        try (ImageProducer producer =
                new ImageProducer(
                        Fixture.stack().bootstrapServers(), registry, topics.images(), Map.of())) {
            producer.send(List.of(image), 0, null);
        }
    }

    private static void sendRaw(Fixture.Topics topics, String key, byte[] value) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, Fixture.stack().bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topics.images(), key, value)).get();
        }
    }

    /** An image as the newer schema's record, in the Confluent wire format. */
    private static byte[] framed(int schemaId, Schema schema, Path image) throws IOException {
        GenericRecord event = new GenericData.Record(schema);
        event.put("id", "outage-newer");
        event.put("data", ByteBuffer.wrap(Files.readAllBytes(image)));
        event.put("contentType", null);
        event.put("timestamp", System.currentTimeMillis());
        event.put("attributes", Map.of());
        event.put("source", "camera");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream header = new DataOutputStream(bytes);
        header.writeByte(0);
        header.writeInt(schemaId);
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new GenericDatumWriter<GenericRecord>(schema).write(event, encoder);
        encoder.flush();
        return bytes.toByteArray();
    }

    /** The schema with one more string field, with a default: a compatible new version. */
    private static Schema withField(Schema schema, String name) {
        List<Schema.Field> fields = new ArrayList<>();
        schema.getFields().forEach(field -> fields.add(new Schema.Field(field, field.schema())));
        fields.add(new Schema.Field(name, Schema.create(Schema.Type.STRING), null, "camera"));
        return Schema.createRecord(
                schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    private static void awaitPredictions(
            SchemaRegistryClient registry, Fixture.Topics topics, Set<String> ids) {
        Map<String, Prediction> seen = new HashMap<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        try (TopicReader<Prediction> reader = reader(registry, topics)) {
            while (!seen.keySet().containsAll(ids) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, Prediction> record :
                        reader.poll(Duration.ofMillis(500))) {
                    seen.put(record.key(), record.value());
                }
            }
        }
        assertTrue(seen.keySet().containsAll(ids), "predictions for " + ids + ": " + seen.keySet());
    }

    /** The keys of the predictions a reader from the beginning finds within {@code wait}. */
    private static List<String> predictions(
            SchemaRegistryClient registry, Fixture.Topics topics, Duration wait) {
        List<String> keys = new ArrayList<>();
        long deadline = System.nanoTime() + wait.toNanos();
        try (TopicReader<Prediction> reader = reader(registry, topics)) {
            while (System.nanoTime() < deadline) {
                reader.poll(Duration.ofMillis(200)).forEach(record -> keys.add(record.key()));
            }
        }
        return keys;
    }

    private static TopicReader<Prediction> reader(
            SchemaRegistryClient registry, Fixture.Topics topics) {
        return new TopicReader<>(
                Fixture.stack().bootstrapServers(),
                registry,
                Prediction.class,
                topics.predictions(),
                true,
                Map.of());
    }

    private static long endOffset(String topic) throws Exception {
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                Fixture.stack().bootstrapServers()))) {
            TopicPartition partition = new TopicPartition(topic, 0);
            return admin.listOffsets(Map.of(partition, OffsetSpec.latest()))
                    .partitionResult(partition)
                    .get()
                    .offset();
        }
    }

    /**
     * The registry on the port the worker was told about. Once in CI, on a loaded machine, binding
     * it right after the hanging-up listener closed failed with "Address already in use" (the
     * worker's connections were still being torn down): retry for a while rather than flake.
     */
    private static LocalSchemaRegistry startRegistry(int port, Path data)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                return LocalSchemaRegistry.start("127.0.0.1", port, data);
            } catch (java.io.UncheckedIOException e) {
                if (!(e.getCause() instanceof java.net.BindException)
                        || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    /** A listening port that accepts each connection and closes it at once, counting them. */
    private static final class HangingUp implements AutoCloseable {
        private final ServerSocket socket;
        private final AtomicInteger connections = new AtomicInteger();

        HangingUp() throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            Thread acceptor =
                    new Thread(
                            () -> {
                                while (!socket.isClosed()) {
                                    try (Socket connection = socket.accept()) {
                                        connections.incrementAndGet();
                                    } catch (IOException closed) {
                                        // closed by the test
                                    }
                                }
                            },
                            "hanging-up");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        void awaitConnections(int count, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (connections.get() < count) {
                assertTrue(System.nanoTime() < deadline, connections + " connections");
                Thread.sleep(20);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
