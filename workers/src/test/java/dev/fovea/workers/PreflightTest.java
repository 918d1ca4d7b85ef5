package dev.fovea.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.server.LocalSchemaRegistry;
import dev.fovea.workers.config.WorkerConfig;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The startup checks' messages, with no broker and no model: none is needed to fail them. */
class PreflightTest {
    private static final Pattern ATTEMPTS = Pattern.compile(" \\[(\\d+) attempts over (\\d+) ms");

    @Test
    void shouldRetryAnUnreachableRegistryWithBackoffThenFailWithOneMessage() throws IOException {
        String url = "http://127.0.0.1:" + closedPort();
        WorkerConfig config = config(url, 1_500);

        StartupException e =
                assertThrows(
                        StartupException.class,
                        () -> Preflight.registryReady(new HttpSchemaRegistryClient(url), config));

        assertTrue(
                e.getMessage()
                        .startsWith(
                                "cannot reach the schema registry at "
                                        + url
                                        + " (connection refused): check schema.registry.url, or"
                                        + " start the local stack with ./fovea local up ["),
                e.getMessage());
        assertTrue(
                e.getMessage().endsWith(" ms (startup.timeout.ms sets how long to wait)]"),
                e.getMessage());
        Matcher tried = ATTEMPTS.matcher(e.getMessage());
        assertTrue(tried.find(), e.getMessage());
        // 0, 0.1, 0.3, 0.7 s, then 1.5 s: backoff, neither one try nor a busy loop.
        assertEquals(5, Integer.parseInt(tried.group(1)), e.getMessage());
        assertTrue(Long.parseLong(tried.group(2)) >= 1_500, e.getMessage());
    }

    @Test
    void shouldStartOnceTheRegistryComesUpDuringTheBackoff() throws Exception {
        int port = closedPort();
        String url = "http://127.0.0.1:" + port;
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(url);
        AtomicInteger attempts = new AtomicInteger();
        // The registry comes up once the worker has been refused and retries, whatever the
        // machine's
        // speed.
        CompletableFuture<LocalSchemaRegistry> late =
                CompletableFuture.supplyAsync(
                        () -> {
                            while (attempts.get() < 2) {
                                LockSupport.parkNanos(10_000_000);
                            }
                            return LocalSchemaRegistry.start("127.0.0.1", port, null);
                        });
        try {
            Preflight.registryReady(countingSubjectCalls(client, attempts), config(url, 15_000));

            assertTrue(attempts.get() >= 2, attempts + " attempts");
            assertEquals(
                    List.of("images.dlq-value", "predictions-value"),
                    client.subjects().stream().sorted().toList());
        } finally {
            late.get(10, TimeUnit.SECONDS).close();
        }
    }

    @Test
    void shouldRefuseSaslWithoutAJaasConfigBeforeConnectingWithOneMessage() {
        Map<String, String> settings = new HashMap<>();
        settings.put("kafka.security.protocol", "SASL_PLAINTEXT");
        settings.put("kafka.sasl.mechanism", "PLAIN");
        WorkerConfig config = config("http://127.0.0.1:1", 1_000, settings);

        StartupException e =
                assertThrows(
                        StartupException.class,
                        () ->
                                Preflight.kafkaReachable(
                                        config, FoveaWorker.streamsProperties(config)));

        assertTrue(
                e.getMessage().startsWith("the Kafka client settings are not usable ("),
                e.getMessage());
        assertTrue(e.getMessage().contains("JAAS"), e.getMessage());
        assertTrue(
                e.getMessage()
                        .endsWith(
                                "): check kafka.security.protocol (KAFKA_SECURITY_PROTOCOL),"
                                        + " kafka.sasl.mechanism (KAFKA_SASL_MECHANISM) and"
                                        + " kafka.sasl.jaas.config (KAFKA_SASL_JAAS_CONFIG), or"
                                        + " for SSL the kafka.ssl.* settings"),
                e.getMessage());
    }

    @Test
    void shouldKeepThePasswordOutOfTheMessageOfAMalformedJaasConfig() {
        Map<String, String> settings = new HashMap<>();
        settings.put("kafka.security.protocol", "SASL_PLAINTEXT");
        settings.put("kafka.sasl.mechanism", "PLAIN");
        // No closing semicolon: Kafka refuses it, quoting what it read.
        settings.put(
                "kafka.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required"
                        + " username=\"fovea\" password=\"s3cret-pw\"");
        WorkerConfig config = config("http://127.0.0.1:1", 1_000, settings);

        StartupException e =
                assertThrows(
                        StartupException.class,
                        () ->
                                Preflight.kafkaReachable(
                                        config, FoveaWorker.streamsProperties(config)));

        assertTrue(
                e.getMessage().startsWith("the Kafka client settings are not usable ("),
                e.getMessage());
        assertFalse(e.getMessage().contains("s3cret-pw"), e.getMessage());
    }

    private static WorkerConfig config(String registryUrl, long startupTimeoutMs) {
        return config(registryUrl, startupTimeoutMs, Map.of());
    }

    private static WorkerConfig config(
            String registryUrl, long startupTimeoutMs, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(extra);
        settings.put(WorkerConfig.MODEL_PATH, "/models/unused");
        settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, registryUrl);
        settings.put(WorkerConfig.STARTUP_TIMEOUT_MS, Long.toString(startupTimeoutMs));
        settings.put(WorkerConfig.WORKER_ID, "preflight-test");
        return WorkerConfig.of(settings);
    }

    /** {@code registry}, counting the calls of {@code subjects()}, the first Preflight makes. */
    private static SchemaRegistryClient countingSubjectCalls(
            SchemaRegistryClient registry, AtomicInteger calls) {
        return (SchemaRegistryClient)
                Proxy.newProxyInstance(
                        SchemaRegistryClient.class.getClassLoader(),
                        new Class<?>[] {SchemaRegistryClient.class},
                        (proxy, method, args) -> {
                            if (method.getName().equals("subjects")) {
                                calls.incrementAndGet();
                            }
                            try {
                                return method.invoke(registry, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
    }

    /** A port nothing listens on, until a test starts something there. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
