package dev.fovea.schemas.serde;

import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;

import org.apache.avro.Schema;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes Avro records in Confluent's wire format, registering (or looking up) the record's schema
 * under {@code <topic>-value} or {@code <topic>-key}.
 *
 * <p>Thread-safe, as a producer's serializer must be, and called concurrently by every stream
 * thread. Build it in code with a client, or let Kafka build it from {@value
 * HttpSchemaRegistryClient#URL_CONFIG} and {@value #AUTO_REGISTER_SCHEMAS_CONFIG}. Registry
 * failures surface as {@link dev.fovea.schemas.registry.SchemaRegistryException}.
 */
public class ConfluentAvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    /** Whether to register a schema the subject lacks (default), or only look it up. */
    public static final String AUTO_REGISTER_SCHEMAS_CONFIG = "auto.register.schemas";

    /** The largest array the JVM allocates. */
    private static final int MAX_ARRAY_SIZE = Integer.MAX_VALUE - 8;

    static {
        // Encoding a string makes Avro fix its decoding limits: set them first (see AvroLimits).
        AvroLimits.ensure();
    }

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
        DatumWriter<T> writer = writers.computeIfAbsent(schema, ConfluentAvroSerializer::writer);
        try {
            // Two passes, the first only counting, so that the bytes are written once into an
            // array of the exact size: a multi-MB image costs a length addition in the first pass,
            // where growing a buffer by doubling and trimming it copied it several times over.
            // Nothing is kept between records, so nothing pins the largest image seen.
            ByteCounter counter = new ByteCounter();
            writer.write(record, EncoderFactory.get().directBinaryEncoder(counter, null));
            ExactOutput out = new ExactOutput(frameSize(counter.count));
            WireFormat.writeHeader(out, id);
            writer.write(record, EncoderFactory.get().directBinaryEncoder(out, null));
            return out.bytes();
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
    }

    private static int frameSize(long recordSize) {
        long size = WireFormat.HEADER_SIZE + recordSize;
        if (size > MAX_ARRAY_SIZE) {
            throw new IllegalArgumentException(
                    "the record takes " + recordSize + " bytes, more than a Java array holds");
        }
        return (int) size;
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

    /** Counts what would be written; the bytes themselves are not copied. */
    private static final class ByteCounter extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }

    /** Sized to the record: returns its array as is when filled, without the usual copy. */
    private static final class ExactOutput extends ByteArrayOutputStream {
        ExactOutput(int size) {
            super(size);
        }

        /** A copy only if the record changed between the two passes, which it should not. */
        byte[] bytes() {
            return count == buf.length ? buf : Arrays.copyOf(buf, count);
        }
    }
}
