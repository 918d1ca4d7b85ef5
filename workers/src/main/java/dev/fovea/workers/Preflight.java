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
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private Preflight() {}

    /**
     * The registry answers and takes the output schemas. Registering them now (or, without
     * auto-registration, finding them) turns an incompatible schema or missing permission into a
     * startup error instead of a failure on the first image.
     */
    static void registryReady(SchemaRegistryClient registry, WorkerConfig config) {
        List<String> subjects;
        try {
            subjects = registry.subjects();
        } catch (RegistryUnavailableException e) {
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
        try (Admin admin = Admin.create(props)) {
            try {
                admin.describeCluster().clusterId().get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                throw new StartupException(
                        "cannot reach Kafka at "
                                + servers
                                + " within "
                                + timeoutMs
                                + " ms: check "
                                + WorkerConfig.BOOTSTRAP_SERVERS
                                + " (FOVEA_BOOTSTRAP_SERVERS) and the kafka.* security "
                                + "settings, or start the local stack with ./fovea local up",
                        e);
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
                    throw new StartupException(
                            "cannot describe topic '"
                                    + topic
                                    + "' on "
                                    + servers
                                    + ": "
                                    + e.getCause().getMessage(),
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
}
