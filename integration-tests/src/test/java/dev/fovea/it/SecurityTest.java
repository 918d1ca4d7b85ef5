package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.avro.Prediction;
import dev.fovea.ops.local.BrokerSettings;
import dev.fovea.ops.local.KafkaBroker;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.ops.tools.TopicReader;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.server.LocalSchemaRegistry;
import dev.fovea.workers.FoveaWorker;
import dev.fovea.workers.StartupException;
import dev.fovea.workers.config.WorkerConfig;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A worker against a SASL_PLAINTEXT listener (PLAIN) of a broker of its own: refused at startup,
 * with one message, without the right credentials; classifying with them; and its secrets in
 * neither its log nor its printed settings. The shared fixture's broker has no SASL listener, and
 * giving it one would change what every other test runs against.
 */
class SecurityTest {
    private static final String USER = "fovea-worker";

    /** Distinctive, so that a search of a log cannot miss it nor find it by chance. */
    private static final String PASSWORD = "sasl-pw-7f3a9c";

    private static final String REGISTRY_PASSWORD = "registry-pw-51d2e8";
    private static final String IMAGES = "secure.images";
    private static final String PREDICTIONS = "secure.predictions";
    private static final String DEAD_LETTERS = "secure.dlq";

    private static KafkaBroker kafka;
    private static LocalSchemaRegistry registryServer;

    @BeforeAll
    static void startBrokerWithSasl() {
        kafka = KafkaBroker.start(BrokerSettings.defaults().withSaslPlain(Map.of(USER, PASSWORD)));
        kafka.createTopics(Map.of(IMAGES, 1, PREDICTIONS, 1, DEAD_LETTERS, 1));
        registryServer = LocalSchemaRegistry.start("127.0.0.1", 0, null);
    }

    @AfterAll
    static void stopBroker() {
        if (registryServer != null) {
            registryServer.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void shouldRefuseAWrongPasswordAtStartupWithOneMessageNamingTheSettings() {
        Map<String, String> settings = settings("secure-wrong");
        settings.putAll(sasl("not-" + PASSWORD));
        long start = System.nanoTime();

        StartupException e =
                assertThrows(
                        StartupException.class,
                        () -> FoveaWorker.start(WorkerConfig.of(settings)).close());

        assertEquals(
                "authentication with Kafka at "
                        + kafka.saslBootstrapServers()
                        + " failed (Authentication failed: Invalid username or password): check"
                        + " the user name and password in kafka.sasl.jaas.config"
                        + " (KAFKA_SASL_JAAS_CONFIG), kafka.sasl.mechanism (KAFKA_SASL_MECHANISM)"
                        + " and kafka.security.protocol (KAFKA_SECURITY_PROTOCOL)",
                e.getMessage());
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(elapsedMs < 10_000, "refused at once, not at a timeout: " + elapsedMs + " ms");
    }

    @Test
    void shouldRefuseAWorkerWithoutCredentialsWithOneMessageNamingTheSettings() {
        // SASL asked for, no JAAS config: the client cannot even be built.
        Map<String, String> noJaas = settings("secure-no-jaas");
        noJaas.put("kafka.security.protocol", "SASL_PLAINTEXT");
        noJaas.put("kafka.sasl.mechanism", "PLAIN");

        StartupException e =
                assertThrows(
                        StartupException.class,
                        () -> FoveaWorker.start(WorkerConfig.of(noJaas)).close());

        assertTrue(
                e.getMessage()
                        .startsWith(
                                "the Kafka client settings are not usable (Could not find a"
                                        + " 'KafkaClient' entry in the JAAS configuration."),
                e.getMessage());
        assertTrue(
                e.getMessage()
                        .endsWith(
                                "kafka.sasl.jaas.config (KAFKA_SASL_JAAS_CONFIG), or for"
                                        + " SSL the kafka.ssl.* settings"),
                e.getMessage());

        // No security settings at all: the listener never answers a plaintext client, which can
        // only time out; the message says that this is what a missing login looks like.
        Map<String, String> plaintext = settings("secure-plaintext");
        plaintext.put(WorkerConfig.STARTUP_TIMEOUT_MS, "2000");

        StartupException timedOut =
                assertThrows(
                        StartupException.class,
                        () -> FoveaWorker.start(WorkerConfig.of(plaintext)).close());

        assertEquals(
                "cannot reach Kafka at "
                        + kafka.saslBootstrapServers()
                        + " within 2000 ms: check bootstrap.servers (FOVEA_BOOTSTRAP_SERVERS); if"
                        + " the broker's listener requires authentication, kafka.security.protocol"
                        + " (KAFKA_SECURITY_PROTOCOL), kafka.sasl.mechanism (KAFKA_SASL_MECHANISM)"
                        + " and kafka.sasl.jaas.config (KAFKA_SASL_JAAS_CONFIG), or for SSL the"
                        + " kafka.ssl.* settings (a PLAINTEXT client gets no answer from a SASL or"
                        + " SSL listener, only this timeout); or start the local stack with"
                        + " ./fovea local up",
                timedOut.getMessage());
    }

    @Test
    void shouldClassifyWithSaslCredentialsAndKeepEverySecretOutOfTheLog() throws Exception {
        Map<String, String> settings = settings("secure-ok");
        settings.put("kafka.security.protocol", "SASL_PLAINTEXT");
        settings.put("kafka.sasl.mechanism", "PLAIN");
        String jaas = sasl(PASSWORD).get("kafka.sasl.jaas.config");
        // The secrets come as an operator passes them to a container: in the environment.
        Map<String, String> env =
                Map.of(
                        "KAFKA_SASL_JAAS_CONFIG",
                        jaas,
                        "FOVEA_BASIC_AUTH_USER_INFO",
                        "fovea:" + REGISTRY_PASSWORD,
                        // Kafka's clients log their whole configuration at info: let them.
                        "FOVEA_LOG_LEVEL",
                        "info,org.apache.kafka=info");
        SchemaRegistryClient registry = new HttpSchemaRegistryClient(registryServer.url());
        List<ImageProducer.Item> image = ImageProducer.items(Fixture.photographs(), 1, "secure-");

        String log;
        try (WorkerProcess worker = WorkerProcess.start("secure-ok", settings, env)) {
            worker.awaitRunning(Duration.ofMinutes(2));
            try (ImageProducer producer =
                    new ImageProducer(kafka.bootstrapServers(), registry, IMAGES, Map.of())) {
                producer.send(image, 0, null);
            }
            Prediction prediction = readPrediction(registry, image.get(0).id());
            assertEquals("secure-ok-worker", prediction.getWorker());
            worker.stop(Duration.ofSeconds(30));
            log = worker.log();
        }

        assertTrue(log.contains("kafka.sasl.jaas.config=[hidden]"), "the settings are logged");
        assertTrue(log.contains("basic.auth.user.info=[hidden]"), "the settings are logged");
        assertTrue(log.contains("sasl.jaas.config = [hidden]"), "Kafka's own config dump ran");
        for (String secret : List.of(PASSWORD, REGISTRY_PASSWORD, jaas, "PlainLoginModule")) {
            assertFalse(log.contains(secret), secret + " is in the worker's log");
        }
        Map<String, String> shown = WorkerConfig.load(null, env, settings).describe();
        assertFalse(shown.toString().contains(PASSWORD), shown.toString());
        assertFalse(shown.toString().contains(REGISTRY_PASSWORD), shown.toString());
    }

    /** A worker's settings against the SASL listener, without any security setting yet. */
    private static Map<String, String> settings(String applicationId) {
        Map<String, String> values = new HashMap<>();
        values.put(WorkerConfig.BOOTSTRAP_SERVERS, kafka.saslBootstrapServers());
        values.put(WorkerConfig.SCHEMA_REGISTRY_URL, registryServer.url());
        values.put(WorkerConfig.APPLICATION_ID, applicationId);
        values.put(WorkerConfig.MODEL_PATH, Fixture.model().toString());
        values.put(WorkerConfig.TOPIC_IMAGES, IMAGES);
        values.put(WorkerConfig.TOPIC_PREDICTIONS, PREDICTIONS);
        values.put(WorkerConfig.TOPIC_DEAD_LETTERS, DEAD_LETTERS);
        values.put(WorkerConfig.WORKER_ID, applicationId + "-worker");
        values.put("kafka.commit.interval.ms", "200");
        return values;
    }

    private static Map<String, String> sasl(String password) {
        return Map.of(
                "kafka.security.protocol",
                "SASL_PLAINTEXT",
                "kafka.sasl.mechanism",
                "PLAIN",
                "kafka.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + USER
                        + "\" password=\""
                        + password
                        + "\";");
    }

    private static Prediction readPrediction(SchemaRegistryClient registry, String id)
            throws IOException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        try (TopicReader<Prediction> reader =
                new TopicReader<>(
                        kafka.bootstrapServers(),
                        registry,
                        Prediction.class,
                        PREDICTIONS,
                        true,
                        Map.of())) {
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, Prediction> record :
                        reader.poll(Duration.ofMillis(500))) {
                    if (id.equals(record.key())) {
                        return record.value();
                    }
                }
            }
        }
        throw new AssertionError("no prediction for " + id + " on " + PREDICTIONS);
    }
}
