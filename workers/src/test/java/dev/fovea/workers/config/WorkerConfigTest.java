package dev.fovea.workers.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.topology.image.DecoderLimits;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

class WorkerConfigTest {
    @TempDir Path dir;

    @Test
    void shouldApplyDefaultsWhenOnlyTheModelIsGiven() {
        WorkerConfig config = WorkerConfig.of(Map.of(WorkerConfig.MODEL_PATH, "/models/a"));
        assertEquals("localhost:9092", config.getString(WorkerConfig.BOOTSTRAP_SERVERS));
        assertEquals("images.raw", config.getString(WorkerConfig.TOPIC_IMAGES));
        assertEquals("at_least_once", config.getString(WorkerConfig.PROCESSING_GUARANTEE));
        assertEquals(5, config.getInt(WorkerConfig.TOP_K));
        assertNull(
                config.stringOrNull(WorkerConfig.MODEL_PREPROCESSING),
                "unset means: from the model's metadata");
    }

    @Test
    void shouldLayerFileThenEnvironmentThenOverrides() throws IOException {
        Path file = dir.resolve("worker.properties");
        Files.writeString(file, "model.path=/from/file\ntop.k=2\nnum.stream.threads=3\n");
        Map<String, String> env =
                Map.of("FOVEA_TOP_K", "4", "FOVEA_NUM_STREAM_THREADS", "6", "HOME", "/root");
        WorkerConfig config =
                WorkerConfig.load(file, env, Map.of(WorkerConfig.STREAM_THREADS, "8"));
        assertEquals("/from/file", config.getString(WorkerConfig.MODEL_PATH));
        assertEquals(4, config.getInt(WorkerConfig.TOP_K), "the environment beats the file");
        assertEquals(
                8,
                config.getInt(WorkerConfig.STREAM_THREADS),
                "an explicit override beats the environment");
    }

    @Test
    void shouldPassKafkaSettingsThroughWithoutTheirPrefix() {
        Map<String, String> env =
                Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "PLAIN");
        WorkerConfig config =
                WorkerConfig.load(
                        null,
                        env,
                        Map.of(WorkerConfig.MODEL_PATH, "/m", "kafka.max.poll.records", "10"));
        assertEquals(
                Map.of(
                        "security.protocol",
                        "SASL_SSL",
                        "sasl.mechanism",
                        "PLAIN",
                        "max.poll.records",
                        "10"),
                config.kafkaOverrides());
    }

    @Test
    void shouldNameTheMissingModelPath() {
        assertRejected(() -> WorkerConfig.of(Map.of()), "model.path");
    }

    @Test
    void shouldRejectAnInvalidGuaranteeListingTheValidOnes() {
        assertRejected(
                () ->
                        WorkerConfig.of(
                                Map.of(
                                        WorkerConfig.MODEL_PATH,
                                        "/m",
                                        WorkerConfig.PROCESSING_GUARANTEE,
                                        "exactly_once")),
                "exactly_once_v2");
    }

    @Test
    void shouldRejectAMistypedKeyInsteadOfIgnoringIt() throws IOException {
        Path file = dir.resolve("typo.properties");
        Files.writeString(file, "model.path=/m\ntopk=3\n");
        assertRejected(
                () -> WorkerConfig.load(file, Map.of(), Map.of()), "'topk'", file.toString());
    }

    @Test
    void shouldRejectOutOfRangeNumbers() {
        assertRejected(
                () ->
                        WorkerConfig.of(
                                Map.of(
                                        WorkerConfig.MODEL_PATH,
                                        "/m",
                                        WorkerConfig.STREAM_THREADS,
                                        "0")),
                WorkerConfig.STREAM_THREADS);
    }

    @Test
    void shouldHideRegistryCredentialsInItsUrlWhenDescribed() {
        WorkerConfig config =
                WorkerConfig.of(
                        Map.of(
                                WorkerConfig.MODEL_PATH,
                                "/m",
                                WorkerConfig.SCHEMA_REGISTRY_URL,
                                "https://fovea:s3cret@registry.example:8081/api"));
        String shown = config.describe().get(WorkerConfig.SCHEMA_REGISTRY_URL);
        assertEquals("https://[hidden]@registry.example:8081/api", shown);
        assertEquals("http://registry:8081", WorkerConfig.withoutUserInfo("http://registry:8081"));
    }

    @Test
    void shouldHideSecretsWhenDescribed() {
        WorkerConfig config =
                WorkerConfig.of(
                        Map.of(
                                WorkerConfig.MODEL_PATH,
                                "/m",
                                "kafka.sasl.jaas.config",
                                "PlainLoginModule required username=\"u\" password=\"p\";",
                                "kafka.ssl.truststore.password",
                                "hunter2",
                                "kafka.security.protocol",
                                "SASL_SSL"));
        Map<String, String> shown = config.describe();
        assertEquals("[hidden]", shown.get("kafka.sasl.jaas.config"));
        assertEquals("[hidden]", shown.get("kafka.ssl.truststore.password"));
        assertEquals("SASL_SSL", shown.get("kafka.security.protocol"));
        assertTrue(shown.values().stream().noneMatch(v -> v.contains("hunter2")));
    }

    @Test
    void shouldHideRegistryCredentialsAndEveryStorePasswordWhenDescribed() {
        Map<String, String> secrets =
                Map.of(
                        WorkerConfig.SCHEMA_REGISTRY_USER_INFO,
                        "fovea:reg-s3cret",
                        WorkerConfig.SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD,
                        "trust-s3cret",
                        WorkerConfig.SCHEMA_REGISTRY_KEYSTORE_PASSWORD,
                        "keystore-s3cret",
                        WorkerConfig.SCHEMA_REGISTRY_KEY_PASSWORD,
                        "key-s3cret",
                        "kafka.ssl.keystore.password",
                        "kafka-keystore-s3cret",
                        "kafka.ssl.key.password",
                        "kafka-key-s3cret",
                        // Kafka types it as a password; its name does not say so.
                        "kafka.ssl.truststore.certificates",
                        "-----BEGIN CERTIFICATE----- s3cret");
        Map<String, String> values = new java.util.HashMap<>(secrets);
        values.put(WorkerConfig.MODEL_PATH, "/m");
        values.put(WorkerConfig.SCHEMA_REGISTRY_TRUSTSTORE_LOCATION, "/etc/fovea/trust.p12");

        Map<String, String> shown = WorkerConfig.of(values).describe();

        secrets.keySet().forEach(key -> assertEquals("[hidden]", shown.get(key), key));
        assertEquals(
                "/etc/fovea/trust.p12",
                shown.get(WorkerConfig.SCHEMA_REGISTRY_TRUSTSTORE_LOCATION));
        assertTrue(!shown.toString().contains("s3cret"), shown.toString());
    }

    @Test
    void shouldGiveTheRegistryClientItsSettingsInConfluentSpelling() {
        WorkerConfig config =
                WorkerConfig.of(
                        Map.of(
                                WorkerConfig.MODEL_PATH,
                                "/m",
                                WorkerConfig.SCHEMA_REGISTRY_URL,
                                "https://registry.example:8081",
                                "basic.auth.credentials.source",
                                "USER_INFO",
                                "basic.auth.user.info",
                                "fovea:s3cret",
                                "schema.registry.ssl.truststore.location",
                                "/etc/fovea/trust.p12"));

        Map<String, Object> client = config.registryClientConfigs();

        assertEquals("https://registry.example:8081", client.get("schema.registry.url"));
        assertEquals("USER_INFO", client.get("basic.auth.credentials.source"));
        assertEquals(new Password("fovea:s3cret"), client.get("basic.auth.user.info"));
        assertEquals("/etc/fovea/trust.p12", client.get("schema.registry.ssl.truststore.location"));
        assertEquals(4, client.size(), "unset settings are left out: " + client.keySet());
    }

    @Test
    void shouldTakeKafkaSecurityAndRegistryCredentialsFromTheEnvironment() {
        String jaas =
                "org.apache.kafka.common.security.plain.PlainLoginModule required"
                        + " username=\"fovea\" password=\"s3cret\";";
        Map<String, String> env =
                Map.of(
                        "KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                        "KAFKA_SASL_MECHANISM", "PLAIN",
                        "KAFKA_SASL_JAAS_CONFIG", jaas,
                        "FOVEA_BASIC_AUTH_USER_INFO", "fovea:s3cret");

        WorkerConfig config = WorkerConfig.load(null, env, Map.of(WorkerConfig.MODEL_PATH, "/m"));

        assertEquals(
                Map.of(
                        "security.protocol", "SASL_PLAINTEXT",
                        "sasl.mechanism", "PLAIN",
                        "sasl.jaas.config", jaas),
                config.kafkaOverrides());
        assertEquals(
                new Password("fovea:s3cret"),
                config.registryClientConfigs().get("basic.auth.user.info"));
    }

    @Test
    void shouldRedactEverySecretFromAMessage() {
        WorkerConfig config =
                WorkerConfig.of(
                        Map.of(
                                WorkerConfig.MODEL_PATH,
                                "/m",
                                WorkerConfig.SCHEMA_REGISTRY_URL,
                                "https://fovea:url-s3cret@registry.example:8081",
                                "kafka.sasl.jaas.config",
                                "PlainLoginModule required password=\"jaas-s3cret\";",
                                WorkerConfig.SCHEMA_REGISTRY_USER_INFO,
                                "fovea:info-s3cret"));

        String redacted =
                config.redact(
                        "rejected PlainLoginModule required password=\"jaas-s3cret\"; and"
                                + " fovea:info-s3cret for https://fovea:url-s3cret@registry");

        assertEquals("rejected [hidden] and [hidden] for https://[hidden]@registry", redacted);
    }

    @Test
    void shouldIgnoreKafkaEnvironmentVariablesThatAreNotClientSettings() {
        Map<String, String> env =
                Map.of(
                        "KAFKA_HEAP_OPTS", "-Xmx1g",
                        "KAFKA_PORT", "tcp://10.0.0.7:9092",
                        "KAFKA_SERVICE_HOST", "10.0.0.7",
                        "KAFKA_CONSUMER_MAX_POLL_RECORDS", "25");
        WorkerConfig config = WorkerConfig.load(null, env, Map.of(WorkerConfig.MODEL_PATH, "/m"));
        assertEquals(Map.of("consumer.max.poll.records", "25"), config.kafkaOverrides());
    }

    @Test
    void shouldRejectAKafkaKeyThatWouldShadowAFoveaSetting() {
        assertRejected(
                () ->
                        WorkerConfig.load(
                                null,
                                Map.of("KAFKA_BOOTSTRAP_SERVERS", "elsewhere:9092"),
                                Map.of(WorkerConfig.MODEL_PATH, "/m")),
                "set 'bootstrap.servers' instead");
    }

    @Test
    void shouldRejectHandlersThatWouldDropRecords() {
        assertRejected(
                () ->
                        WorkerConfig.of(
                                Map.of(
                                        WorkerConfig.MODEL_PATH,
                                        "/m",
                                        "kafka.production.exception.handler",
                                        "com.example.ContinueHandler")),
                "cannot be changed");
    }

    @Test
    void shouldRejectAMistypedKafkaSetting() {
        assertRejected(
                () ->
                        WorkerConfig.of(
                                Map.of(
                                        WorkerConfig.MODEL_PATH,
                                        "/m",
                                        "kafka.max.pol.records",
                                        "5")),
                "not a Kafka client setting");
    }

    @Test
    void shouldGiveTheDecoderItsLimitsWithSafeDefaults() {
        DecoderLimits defaults =
                WorkerConfig.of(Map.of(WorkerConfig.MODEL_PATH, "/m")).decoderLimits();
        assertEquals(DecoderLimits.DEFAULTS, defaults);
        assertEquals(16 * 1024 * 1024, defaults.maxBytes(), "what the producers and broker carry");

        DecoderLimits configured =
                WorkerConfig.of(
                                Map.of(
                                        WorkerConfig.MODEL_PATH,
                                        "/m",
                                        "image.max.bytes",
                                        "1000",
                                        "image.max.pixels",
                                        "2000",
                                        "image.max.aspect.ratio",
                                        "3.5"))
                        .decoderLimits();
        assertEquals(new DecoderLimits(1000, 2000, 3.5), configured);
    }

    @Test
    void shouldRejectDecoderLimitsTheDecoderCouldNotHonour() {
        for (String ratio : new String[] {"0.5", "NaN"}) {
            assertRejected(
                    () ->
                            WorkerConfig.of(
                                    Map.of(
                                            WorkerConfig.MODEL_PATH,
                                            "/m",
                                            WorkerConfig.IMAGE_MAX_ASPECT_RATIO,
                                            ratio)),
                    WorkerConfig.IMAGE_MAX_ASPECT_RATIO,
                    "at least 1");
        }
        assertRejected(
                () ->
                        WorkerConfig.of(
                                Map.of(
                                        WorkerConfig.MODEL_PATH,
                                        "/m",
                                        WorkerConfig.IMAGE_MAX_PIXELS,
                                        "1000000000")),
                WorkerConfig.IMAGE_MAX_PIXELS);
    }

    /** The config is refused with a message that names each of {@code expected}. */
    private static void assertRejected(Executable load, String... expected) {
        String message = assertThrows(ConfigException.class, load).getMessage();
        for (String text : expected) {
            assertTrue(message.contains(text), message);
        }
    }
}
