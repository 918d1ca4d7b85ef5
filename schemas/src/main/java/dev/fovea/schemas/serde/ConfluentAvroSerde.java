package dev.fovea.schemas.serde;

import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.util.Map;

/**
 * {@link ConfluentAvroSerializer} and {@link ConfluentAvroDeserializer} over one registry client.
 */
public class ConfluentAvroSerde<T extends SpecificRecord> implements Serde<T> {
    private ConfluentAvroSerializer<T> serializer;
    private ConfluentAvroDeserializer<T> deserializer;

    /** For Kafka Streams' default serdes, which it configures before use. */
    public ConfluentAvroSerde() {}

    public ConfluentAvroSerde(SchemaRegistryClient registry, Class<T> type, boolean autoRegister) {
        serializer = new ConfluentAvroSerializer<>(registry, autoRegister);
        deserializer = new ConfluentAvroDeserializer<>(registry, type);
    }

    /** Sets key or value; builds one registry client from the configs unless one was given. */
    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (serializer == null) {
            SchemaRegistryClient registry = HttpSchemaRegistryClient.fromConfig(configs);
            serializer =
                    new ConfluentAvroSerializer<>(
                            registry, ConfluentAvroSerializer.autoRegister(configs));
            deserializer = new ConfluentAvroDeserializer<>(registry);
        }
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return Configured.require(serializer, this);
    }

    @Override
    public Deserializer<T> deserializer() {
        return Configured.require(deserializer, this);
    }
}
