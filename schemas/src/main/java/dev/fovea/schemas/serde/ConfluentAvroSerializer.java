package dev.fovea.schemas.serde;

import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;

import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes Avro records in Confluent's wire format, registering (or looking up) the record's schema
 * under {@code <topic>-value} or {@code <topic>-key}.
 *
 * <p>Thread-safe, as a producer's serializer must be. Build it in code with a client, or let Kafka
 * build it from {@value HttpSchemaRegistryClient#URL_CONFIG} and {@value
 * #AUTO_REGISTER_SCHEMAS_CONFIG}. Registry failures surface as {@link
 * dev.fovea.schemas.registry.SchemaRegistryException}.
 */
public class ConfluentAvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    /** Whether to register a schema the subject lacks (default), or only look it up. */
    public static final String AUTO_REGISTER_SCHEMAS_CONFIG = "auto.register.schemas";

    private SchemaRegistryClient registry;
    private boolean autoRegister = true;
    private boolean isKey;
    private final Map<TopicSchema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Schema, DatumWriter<T>> writers = new ConcurrentHashMap<>();

    /** For Kafka, which calls {@link #configure} next. */
    public ConfluentAvroSerializer() {}

    /**
     * @param autoRegister register the schema when the subject lacks it; when false, a schema
     *     missing from the subject fails the first send with 40401 or 40403, which suits
     *     deployments where a pipeline registers schemas ahead of the producers
     */
    public ConfluentAvroSerializer(SchemaRegistryClient registry, boolean autoRegister) {
        this.registry = registry;
        this.autoRegister = autoRegister;
    }

    /** Sets key or value; builds the registry client from the configs unless one was given. */
    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        if (registry == null) {
            registry = HttpSchemaRegistryClient.fromConfig(configs);
            autoRegister = autoRegister(configs);
        }
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        Schema schema = record.getSchema();
        int id = ids.computeIfAbsent(new TopicSchema(topic, schema), this::schemaId);
        // A fresh buffer per record: records carry images of any size, and a buffer kept per thread
        // would
        // pin the largest one seen for the life of the producer.
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        WireFormat.writeHeader(out, id);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writers.computeIfAbsent(schema, ConfluentAvroSerializer::writer).write(record, encoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(
                    "cannot serialize a "
                            + schema.getFullName()
                            + " for topic "
                            + topic
                            + ": "
                            + e.getMessage(),
                    e);
        }
        return out.toByteArray();
    }

    static boolean autoRegister(Map<String, ?> configs) {
        Object value = configs.get(AUTO_REGISTER_SCHEMAS_CONFIG);
        return value == null || Boolean.parseBoolean(value.toString());
    }

    private int schemaId(TopicSchema key) {
        SchemaRegistryClient client = Configured.require(registry, this);
        String subject = TopicNameStrategy.subject(key.topic(), isKey);
        return autoRegister
                ? client.register(subject, key.schema())
                : client.lookup(subject, key.schema()).id();
    }

    /**
     * The generated class's own data model, which carries its logical-type conversions (Instant
     * etc.).
     */
    private static <T> DatumWriter<T> writer(Schema schema) {
        return new SpecificDatumWriter<>(schema, SpecificData.getForSchema(schema));
    }

    private record TopicSchema(String topic, Schema schema) {}
}
