package dev.fovea.workers;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.Prediction;
import dev.fovea.schemas.registry.RegistryUnavailableException;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryException;
import dev.fovea.schemas.serde.TopicNameStrategy;
import dev.fovea.workers.config.WorkerConfig;

import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Checks at startup, before the worker says it is ready, that what it depends on is there. Each
 * failure is one sentence naming the setting to fix, instead of a stack trace minutes later.
 */
final class Preflight {
    private static final Logger log = LoggerFactory.getLogger(Preflight.class);

    /** The settings that decide how the worker logs in to Kafka, with their environment names. */
    private static final String SECURITY_SETTINGS =
            "kafka.security.protocol (KAFKA_SECURITY_PROTOCOL), kafka.sasl.mechanism"
                    + " (KAFKA_SASL_MECHANISM) and kafka.sasl.jaas.config (KAFKA_SASL_JAAS_CONFIG),"
                    + " or for SSL the kafka.ssl.* settings";

    private Preflight() {}

    /**
     * The registry answers and takes the output schemas. Registering them now (or, without
     * auto-registration, finding them) turns an incompatible schema or missing permission into a
     * startup error instead of a failure on the first image.
     *
     * <p>An unreachable registry (it may be starting beside the worker) is retried with backoff for
     * up to {@code startup.timeout.ms}, each attempt logged, before failing with one message.
     */
    static void registryReady(SchemaRegistryClient client, WorkerConfig config) {
        SchemaRegistryClient registry =
                new RetryingRegistryClient(
                        client,
                        new RegistryRetry(
                                Duration.ofMillis(config.getLong(WorkerConfig.STARTUP_TIMEOUT_MS)),
                                WorkerConfig.STARTUP_TIMEOUT_MS,
                                ""));
        List<String> subjects;
        try {
            subjects = registry.subjects();
        } catch (SchemaRegistryException e) {
            // Unreachable after the retries, or refused: credentials, certificates, a URL that is
            // not a registry. The message says which, and what to check.
            throw new StartupException(e.getMessage(), e);
        }
        boolean register = config.getBoolean(WorkerConfig.SCHEMA_AUTO_REGISTER);
        Map<String, Schema> outputs =
                Map.of(
                        TopicNameStrategy.subject(
                                config.getString(WorkerConfig.TOPIC_PREDICTIONS), false),
                        Prediction.getClassSchema(),
                        TopicNameStrategy.subject(
                                config.getString(WorkerConfig.TOPIC_DEAD_LETTERS), false),
                        DeadLetter.getClassSchema());
        outputs.forEach(
                (subject, schema) -> {
                    try {
                        if (register) {
                            registry.register(subject, schema);
                        } else {
                            registry.lookup(subject, schema);
                        }
                    } catch (RegistryUnavailableException e) {
                        throw new StartupException(e.getMessage(), e);
                    } catch (SchemaRegistryException e) {
                        throw new StartupException(
                                "the schema registry at "
                                        + registry.url()
                                        + " refused "
                                        + schema.getName()
                                        + " under "
                                        + subject
                                        + ": "
                                        + e.getMessage(),
                                e);
                    }
                });
        String images =
                TopicNameStrategy.subject(config.getString(WorkerConfig.TOPIC_IMAGES), false);
        if (!subjects.contains(images)) {
            log.warn(
                    "no schema is registered under {} at {} yet: fine before the first image is"
                        + " produced, but if producers have written images, this worker is pointed"
                        + " at another registry than theirs and will dead-letter every image as"
                        + " INVALID_RECORD",
                    images,
                    registry.url());
        }
    }

    static void kafkaReachable(WorkerConfig config, Map<String, Object> clientProps) {
        String servers = config.getString(WorkerConfig.BOOTSTRAP_SERVERS);
        long timeoutMs = config.getLong(WorkerConfig.STARTUP_TIMEOUT_MS);
        Map<String, Object> props = new java.util.HashMap<>(clientProps);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeoutMs);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs);
        List<String> topics =
                List.of(
                        config.getString(WorkerConfig.TOPIC_IMAGES),
                        config.getString(WorkerConfig.TOPIC_PREDICTIONS),
                        config.getString(WorkerConfig.TOPIC_DEAD_LETTERS));
        try (Admin admin = admin(config, props)) {
            try {
                admin.describeCluster().clusterId().get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof AuthenticationException refused) {
                    throw authenticationFailed(config, servers, refused);
                }
                throw unreachable(servers, timeoutMs, e);
            } catch (TimeoutException e) {
                throw unreachable(servers, timeoutMs, e);
            }
            for (String topic : topics) {
                try {
                    admin.describeTopics(List.of(topic))
                            .allTopicNames()
                            .get(timeoutMs, TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        throw new StartupException(
                                "topic '"
                                        + topic
                                        + "' does not exist on "
                                        + servers
                                        + ": create it (./fovea local up creates images.raw,"
                                        + " predictions and images.dlq), or point the topic.*"
                                        + " settings at existing topics",
                                e);
                    }
                    if (e.getCause() instanceof AuthorizationException) {
                        throw new StartupException(
                                "Kafka at "
                                        + servers
                                        + " does not allow this worker to describe topic '"
                                        + topic
                                        + "' ("
                                        + config.redact(e.getCause().getMessage())
                                        + "): grant the user of kafka.sasl.jaas.config (or the"
                                        + " certificate of kafka.ssl.keystore.location) access"
                                        + " to the topics, the consumer group "
                                        + config.getString(WorkerConfig.APPLICATION_ID)
                                        + " and its internal topics",
                                e);
                    }
                    throw new StartupException(
                            "cannot describe topic '"
                                    + topic
                                    + "' on "
                                    + servers
                                    + ": "
                                    + config.redact(e.getCause().getMessage()),
                            e);
                } catch (TimeoutException e) {
                    throw new StartupException(
                            "Kafka at "
                                    + servers
                                    + " did not describe topic '"
                                    + topic
                                    + "' within "
                                    + timeoutMs
                                    + " ms",
                            e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while checking Kafka at " + servers, e);
        }
    }

    /**
     * An admin client on the worker's client settings; settings the client refuses (a SASL
     * mechanism without its JAAS config, say) end here, before any connection, as one message.
     */
    private static Admin admin(WorkerConfig config, Map<String, Object> props) {
        try {
            return Admin.create(props);
        } catch (KafkaException e) {
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            throw new StartupException(
                    "the Kafka client settings are not usable ("
                            + config.redact(cause.getMessage())
                            + "): check "
                            + SECURITY_SETTINGS,
                    e);
        }
    }

    private static StartupException authenticationFailed(
            WorkerConfig config, String servers, AuthenticationException refused) {
        String check =
                refused instanceof SslAuthenticationException
                        ? "kafka.ssl.truststore.location and kafka.ssl.truststore.password (the"
                                + " broker's CA), kafka.ssl.keystore.* (if the broker requires"
                                + " client certificates) and kafka.security.protocol"
                        : "the user name and password in kafka.sasl.jaas.config"
                                + " (KAFKA_SASL_JAAS_CONFIG), kafka.sasl.mechanism"
                                + " (KAFKA_SASL_MECHANISM) and kafka.security.protocol"
                                + " (KAFKA_SECURITY_PROTOCOL)";
        return new StartupException(
                "authentication with Kafka at "
                        + servers
                        + " failed ("
                        + config.redact(refused.getMessage())
                        + "): check "
                        + check,
                refused);
    }

    private static StartupException unreachable(String servers, long timeoutMs, Exception e) {
        return new StartupException(
                "cannot reach Kafka at "
                        + servers
                        + " within "
                        + timeoutMs
                        + " ms: check "
                        + WorkerConfig.BOOTSTRAP_SERVERS
                        + " (FOVEA_BOOTSTRAP_SERVERS); if the broker's listener requires"
                        + " authentication, "
                        + SECURITY_SETTINGS
                        + " (a PLAINTEXT client gets no answer from a SASL or SSL listener, only"
                        + " this timeout); or start the local stack with ./fovea local up",
                e);
    }
}
