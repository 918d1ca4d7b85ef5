package dev.fovea.topology;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.ImageEvent;
import dev.fovea.avro.Prediction;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.serde.ConfluentAvroDeserializer;
import dev.fovea.schemas.serde.ConfluentAvroSerde;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;

/**
 * The value formats at the edges of the topology. Input values are read as raw bytes and parsed
 * inside the topology by {@code imageEvents}, so that a record that does not parse becomes a dead
 * letter carrying its original bytes, instead of being skipped by a deserialization handler.
 */
public record TopologySerdes(
        Deserializer<ImageEvent> imageEvents,
        Serde<Prediction> predictions,
        Serde<DeadLetter> deadLetters) {

    /**
     * Fovea's records in the Confluent wire format on {@code registry}, the output schemas under
     * their TopicNameStrategy subjects: registered on first use, or only looked up when {@code
     * autoRegister} is false.
     */
    public static TopologySerdes onRegistry(SchemaRegistryClient registry, boolean autoRegister) {
        return new TopologySerdes(
                new ConfluentAvroDeserializer<>(registry, ImageEvent.class),
                new ConfluentAvroSerde<>(registry, Prediction.class, autoRegister),
                new ConfluentAvroSerde<>(registry, DeadLetter.class, autoRegister));
    }
}
