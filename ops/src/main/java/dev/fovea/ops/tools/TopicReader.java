package dev.fovea.ops.tools;

import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.serde.ConfluentAvroDeserializer;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * Reads an Avro topic of Fovea's (predictions or dead letters) in a throwaway consumer group that
 * commits nothing, from the beginning or from now, seeing only committed transactions. Used by
 * {@code ./fovea consume}, the demo and the tests.
 */
public final class TopicReader<T extends SpecificRecord> implements AutoCloseable {
    private final KafkaConsumer<String, T> consumer;

    public TopicReader(
            String bootstrapServers,
            SchemaRegistryClient registry,
            Class<T> type,
            String topic,
            boolean fromBeginning,
            Map<String, Object> overrides) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // A throwaway group: reading must not move anyone's committed offsets.
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "fovea-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        // Under exactly_once_v2, aborted attempts stay in the log; read_committed hides them.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.putAll(overrides);
        this.consumer =
                new KafkaConsumer<>(
                        props,
                        new StringDeserializer(),
                        new ConfluentAvroDeserializer<>(registry, type));
        consumer.subscribe(List.of(topic));
    }

    public List<ConsumerRecord<String, T>> poll(Duration timeout) {
        List<ConsumerRecord<String, T>> records = new ArrayList<>();
        consumer.poll(timeout).forEach(records::add);
        return records;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
