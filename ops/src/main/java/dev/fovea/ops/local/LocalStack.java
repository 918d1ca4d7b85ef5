package dev.fovea.ops.local;

import dev.fovea.schemas.registry.server.LocalSchemaRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;

/**
 * Everything a worker needs around it, on this machine: a single-node KRaft broker, a
 * Confluent-compatible schema registry, and Fovea's three topics. Used by {@code ./fovea local},
 * the demo and the integration tests, so all three run on the same components.
 */
public final class LocalStack implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalStack.class);

    public static final String IMAGES = "images.raw";
    public static final String PREDICTIONS = "predictions";
    public static final String DEAD_LETTERS = "images.dlq";

    /**
     * @param kafkaPort 0 picks a free port (tests); the controller listens on the next port up
     * @param registryPort 0 picks a free port
     * @param dataDir kept between runs (topics, offsets, schemas); null for a throwaway stack
     * @param partitions partitions of the images and predictions topics: at least workers x threads
     */
    public record Settings(
            String host, int kafkaPort, int registryPort, Path dataDir, int partitions) {
        public static Settings ephemeral() {
            return new Settings("127.0.0.1", 0, 0, null, 4);
        }
    }

    private final KafkaBroker broker;
    private final LocalSchemaRegistry registry;

    private LocalStack(KafkaBroker broker, LocalSchemaRegistry registry) {
        this.broker = broker;
        this.registry = registry;
    }

    public static LocalStack start(Settings settings) {
        BrokerSettings brokerSettings =
                BrokerSettings.defaults()
                        .withHost(settings.host())
                        .withBrokerPort(settings.kafkaPort())
                        .withControllerPort(
                                settings.kafkaPort() == 0 ? 0 : settings.kafkaPort() + 1)
                        .withDataDir(
                                settings.dataDir() == null
                                        ? null
                                        : settings.dataDir().resolve("kafka"))
                        .withNumPartitions(settings.partitions())
                        // Dead letters carry the original image: let records be as large as images
                        // are.
                        .withOverride("message.max.bytes", String.valueOf(16 * 1024 * 1024));
        KafkaBroker broker = KafkaBroker.start(brokerSettings);
        LocalSchemaRegistry registry;
        try {
            registry =
                    LocalSchemaRegistry.start(
                            settings.host(),
                            settings.registryPort(),
                            settings.dataDir() == null
                                    ? null
                                    : settings.dataDir().resolve("registry"));
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        LocalStack stack = new LocalStack(broker, registry);
        try {
            broker.createTopics(
                    Map.of(
                            IMAGES,
                            settings.partitions(),
                            PREDICTIONS,
                            settings.partitions(),
                            DEAD_LETTERS,
                            1));
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        log.info(
                "local stack up: Kafka {}, schema registry {}",
                stack.bootstrapServers(),
                stack.registryUrl());
        return stack;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public String registryUrl() {
        return registry.url();
    }

    public KafkaBroker broker() {
        return broker;
    }

    @Override
    public void close() {
        registry.close();
        broker.close();
    }
}
