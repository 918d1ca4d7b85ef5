package dev.fovea.workers;

import dev.fovea.schemas.registry.RegistryUnavailableException;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.workers.config.WorkerConfig;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

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
    private Preflight() {}

    static void registryReachable(SchemaRegistryClient registry, String url) {
        try {
            registry.subjects();
        } catch (RegistryUnavailableException e) {
            throw new StartupException(e.getMessage(), e);
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
