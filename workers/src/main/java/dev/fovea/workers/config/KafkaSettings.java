package dev.fovea.workers.config;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Which Kafka client settings a user may pass through with the {@code kafka.} prefix. */
final class KafkaSettings {
    /**
     * Kafka Streams' prefixes that address one of its clients, e.g. {@code
     * consumer.max.poll.records}.
     */
    private static final List<String> CLIENT_PREFIXES =
            List.of(
                    "main.consumer.",
                    "restore.consumer.",
                    "global.consumer.",
                    "consumer.",
                    "producer.",
                    "admin.");

    private static final Set<String> KNOWN = known();

    /** The settings Kafka itself types as passwords and never logs. */
    private static final Set<String> PASSWORDS = passwords();

    /** Fovea's own settings: a second way to set them would make the first one lie. */
    private static final Map<String, String> FIRST_CLASS =
            Map.of(
                    StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, WorkerConfig.BOOTSTRAP_SERVERS,
                    StreamsConfig.APPLICATION_ID_CONFIG, WorkerConfig.APPLICATION_ID,
                    StreamsConfig.PROCESSING_GUARANTEE_CONFIG, WorkerConfig.PROCESSING_GUARANTEE,
                    StreamsConfig.NUM_STREAM_THREADS_CONFIG, WorkerConfig.STREAM_THREADS,
                    StreamsConfig.CLIENT_ID_CONFIG, WorkerConfig.WORKER_ID);

    /**
     * Handlers that decide what happens to a record Kafka Streams cannot process or produce: a
     * "continue" handler drops it silently, which Fovea never does (it dead-letters or fails).
     */
    private static final Set<String> OWNED =
            Set.of(
                    "default.deserialization.exception.handler",
                    "deserialization.exception.handler",
                    "default.production.exception.handler",
                    "production.exception.handler",
                    "processing.exception.handler");

    private KafkaSettings() {}

    static boolean isClientSetting(String key) {
        return KNOWN.contains(withoutClientPrefix(key));
    }

    static boolean isPassword(String key) {
        return PASSWORDS.contains(withoutClientPrefix(key));
    }

    static void checkPassThrough(String key, String where) {
        String setting = withoutClientPrefix(key);
        if (FIRST_CLASS.containsKey(setting)) {
            throw new ConfigException(
                    "kafka."
                            + key
                            + where
                            + " would override a Fovea setting: set '"
                            + FIRST_CLASS.get(setting)
                            + "' instead");
        }
        if (OWNED.contains(setting)) {
            throw new ConfigException(
                    "kafka."
                            + key
                            + where
                            + " cannot be changed: Fovea's handling of records that fail (a dead"
                            + " letter, or a stop before the offset is committed) is what loses"
                            + " none");
        }
        if (!KNOWN.contains(setting)) {
            throw new ConfigException(
                    "kafka."
                            + key
                            + where
                            + " is not a Kafka client setting (Kafka Streams, consumer, "
                            + "producer or admin)");
        }
    }

    private static String withoutClientPrefix(String key) {
        for (String prefix : CLIENT_PREFIXES) {
            if (key.startsWith(prefix)) {
                return key.substring(prefix.length());
            }
        }
        return key;
    }

    private static Set<String> passwords() {
        Set<String> names = new HashSet<>();
        for (ConfigDef definition :
                List.of(
                        StreamsConfig.configDef(),
                        ConsumerConfig.configDef(),
                        ProducerConfig.configDef(),
                        AdminClientConfig.configDef())) {
            definition
                    .configKeys()
                    .forEach(
                            (name, key) -> {
                                if (key.type == ConfigDef.Type.PASSWORD) {
                                    names.add(name);
                                }
                            });
        }
        return Set.copyOf(names);
    }

    private static Set<String> known() {
        Set<String> names = new HashSet<>(StreamsConfig.configDef().names());
        names.addAll(ConsumerConfig.configNames());
        names.addAll(ProducerConfig.configNames());
        names.addAll(AdminClientConfig.configNames());
        return Set.copyOf(names);
    }
}
