package dev.fovea.ops.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

class KafkaBrokerTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    /** One broker for the tests that need no restart: every start costs about a second. */
    private static KafkaBroker shared;

    @BeforeAll
    static void startSharedBroker() {
        shared = KafkaBroker.start(BrokerSettings.defaults());
    }

    @AfterAll
    static void stopSharedBroker() {
        shared.close();
    }

    @Test
    void shouldProduceAndConsumeOnFreePorts() throws Exception {
        shared.createTopics(Map.of("images", 3));
        shared.createTopics(Map.of("images", 3, "predictions", 2));

        try (Admin admin = admin(shared)) {
            Map<String, Integer> partitions = new HashMap<>();
            admin.describeTopics(List.of("images", "predictions"))
                    .allTopicNames()
                    .get()
                    .forEach((name, topic) -> partitions.put(name, topic.partitions().size()));
            assertEquals(Map.of("images", 3, "predictions", 2), partitions);
        }
        send(shared, "images", "cat.jpg", "jpeg bytes");
        assertEquals(
                List.of("cat.jpg=jpeg bytes"), consume(shared, "images", 1, "read_uncommitted"));
    }

    @Test
    void shouldShowReadCommittedConsumersOnlyCommittedTransactions() {
        shared.createTopics(Map.of("transactions", 1));
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                shared.bootstrapServers(),
                                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                                "kafka-broker-test"),
                        new StringSerializer(),
                        new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("transactions", "a", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("transactions", "c", "committed"));
            producer.commitTransaction();
        }

        assertEquals(
                List.of("a=aborted", "c=committed"),
                consume(shared, "transactions", 2, "read_uncommitted"));
        assertEquals(List.of("c=committed"), consume(shared, "transactions", 1, "read_committed"));
    }

    @Test
    void shouldKeepTopicsRecordsAndCommittedOffsetsAcrossRestarts(@TempDir Path dataDir)
            throws Exception {
        TopicPartition frames = new TopicPartition("frames", 0);
        String clusterId;
        int brokerPort;
        try (KafkaBroker first =
                KafkaBroker.start(BrokerSettings.defaults().withDataDir(dataDir))) {
            first.createTopics(Map.of(frames.topic(), 1));
            send(first, frames.topic(), "frame-1", "kept");
            try (KafkaConsumer<String, String> consumer =
                    consumer(first, "restart-check", "read_uncommitted")) {
                consumer.assign(List.of(frames));
                pollUntil(consumer, 1);
                consumer.commitSync();
            }
            clusterId = clusterId(first);
            brokerPort = Integer.parseInt(first.bootstrapServers().split(":")[1]);
        }

        // The same broker port, as the local stack uses, and another free controller port.
        try (KafkaBroker second =
                        KafkaBroker.start(
                                BrokerSettings.defaults()
                                        .withDataDir(dataDir)
                                        .withBrokerPort(brokerPort));
                Admin admin = admin(second)) {
            assertEquals(
                    clusterId,
                    clusterId(second),
                    "the data dir must be reused, not formatted again");
            assertTrue(admin.listTopics().names().get().contains(frames.topic()));
            assertEquals(
                    List.of("frame-1=kept"),
                    consume(second, frames.topic(), 1, "read_uncommitted"));
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets("restart-check")
                            .partitionsToOffsetAndMetadata()
                            .get();
            assertEquals(1L, committed.get(frames).offset());
        }
    }

    @Test
    void shouldRefuseABrokerPortInUse() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();

            BrokerException refused =
                    assertThrows(
                            BrokerException.class,
                            () ->
                                    KafkaBroker.start(
                                            BrokerSettings.defaults().withBrokerPort(port)));

            assertEquals(
                    "port "
                            + port
                            + " on 127.0.0.1 is in use: is a local stack already running"
                            + " (./fovea local status)? choose another with --kafka-port",
                    refused.getMessage());
        }
    }

    @Test
    void shouldRefuseADataDirUsedByAnotherBroker() throws Exception {
        BrokerException refused =
                assertThrows(
                        BrokerException.class,
                        () ->
                                KafkaBroker.start(
                                        BrokerSettings.defaults().withDataDir(shared.dataDir())));

        assertTrue(
                refused.getMessage().contains("is used by another running broker"),
                refused.getMessage());
        assertFalse(clusterId(shared).isEmpty(), "the running broker must be unharmed");
    }

    @Test
    void shouldRefuseADataDirFormattedForAnotherNode(@TempDir Path dataDir) throws IOException {
        Files.writeString(
                dataDir.resolve("meta.properties"),
                "version=1\ncluster.id=" + UUID.randomUUID() + "\nnode.id=7\n");

        BrokerException refused =
                assertThrows(
                        BrokerException.class,
                        () -> KafkaBroker.start(BrokerSettings.defaults().withDataDir(dataDir)));

        assertTrue(
                refused.getMessage()
                        .startsWith(
                                "Kafka data dir "
                                        + dataDir.toRealPath()
                                        + " was formatted for another Kafka cluster or node"),
                refused.getMessage());
    }

    @Test
    void shouldRefuseToFormatADirectoryHoldingOtherFiles(@TempDir Path dataDir) throws IOException {
        Files.writeString(dataDir.resolve("notes.txt"), "not Kafka's");

        BrokerException refused =
                assertThrows(
                        BrokerException.class,
                        () -> KafkaBroker.start(BrokerSettings.defaults().withDataDir(dataDir)));

        assertTrue(
                refused.getMessage().contains("is not empty but holds no Kafka data"),
                refused.getMessage());
        assertTrue(Files.exists(dataDir.resolve("notes.txt")));
    }

    @Test
    void shouldDeleteItsTemporaryDataDirOnClose() {
        Path dataDir;
        try (KafkaBroker broker = KafkaBroker.start(BrokerSettings.defaults())) {
            dataDir = broker.dataDir();
            assertTrue(Files.exists(dataDir.resolve("meta.properties")));
        }
        assertFalse(Files.exists(dataDir));
    }

    @Test
    void shouldLetClientsInOnItsSaslListenerOnlyWithAConfiguredPassword() throws Exception {
        // Quotes and backslashes must survive the broker's JAAS config and the client's.
        String password = "s3cret \"quoted\" \\ pass";
        try (KafkaBroker broker =
                KafkaBroker.start(
                        BrokerSettings.defaults().withSaslPlain(Map.of("fovea", password)))) {
            String sasl = broker.saslBootstrapServers();

            assertEquals(clusterId(broker), clusterIdOverSasl(sasl, "fovea", password));
            ExecutionException refused =
                    assertThrows(
                            ExecutionException.class,
                            () -> clusterIdOverSasl(sasl, "fovea", "wrong"));
            assertInstanceOf(SaslAuthenticationException.class, refused.getCause());
        }
    }

    private static String clusterIdOverSasl(String servers, String user, String password)
            throws Exception {
        String jaas =
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + user
                        + "\" password=\""
                        + password.replace("\\", "\\\\").replace("\"", "\\\"")
                        + "\";";
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                servers,
                                AdminClientConfig.SECURITY_PROTOCOL_CONFIG,
                                "SASL_PLAINTEXT",
                                SaslConfigs.SASL_MECHANISM,
                                "PLAIN",
                                SaslConfigs.SASL_JAAS_CONFIG,
                                jaas))) {
            return admin.describeCluster().clusterId().get(20, TimeUnit.SECONDS);
        }
    }

    private static Admin admin(KafkaBroker broker) {
        return Admin.create(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    }

    private static String clusterId(KafkaBroker broker) throws Exception {
        try (Admin admin = admin(broker)) {
            return admin.describeCluster().clusterId().get();
        }
    }

    private static void send(KafkaBroker broker, String topic, String key, String value)
            throws Exception {
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                        new StringSerializer(),
                        new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    /**
     * The first {@code count} records of {@code topic} as key=value, read by a new consumer group.
     */
    private static List<String> consume(
            KafkaBroker broker, String topic, int count, String isolationLevel) {
        try (KafkaConsumer<String, String> consumer =
                consumer(broker, "reader-" + UUID.randomUUID(), isolationLevel)) {
            consumer.subscribe(List.of(topic));
            return pollUntil(consumer, count);
        }
    }

    private static KafkaConsumer<String, String> consumer(
            KafkaBroker broker, String groupId, String isolationLevel) {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG,
                        groupId,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        isolationLevel),
                new StringDeserializer(),
                new StringDeserializer());
    }

    private static List<String> pollUntil(KafkaConsumer<String, String> consumer, int count) {
        List<String> records = new ArrayList<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (records.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200))
                    .forEach(r -> records.add(r.key() + "=" + r.value()));
        }
        return records;
    }
}
