package dev.fovea.schemas.serde;

import dev.fovea.schemas.registry.CompatibilityLevel;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.UnsupportedSchemaTypeException;

import org.apache.avro.InvalidNumberEncodingException;
import org.apache.avro.Schema;
import org.apache.avro.SystemLimitException;
import org.apache.avro.io.DatumReader;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads Confluent-framed Avro records: the writer schema comes from the registry by the id in the
 * frame, and Avro's schema resolution maps it onto the reader schema, so records from producers on
 * an older or newer compatible schema still read.
 *
 * <p>Errors, by what the caller should do:
 *
 * <ul>
 *   <li>{@link dev.fovea.schemas.registry.RegistryUnavailableException}: the registry is down;
 *       retry.
 *   <li>{@link dev.fovea.schemas.registry.SchemaRegistryException} 40403: unknown schema id; bad
 *       data.
 *   <li>{@link WireFormatException}: not framed, not Avro (a Protobuf or JSON schema id included),
 *       or a length no valid record has (see {@link AvroLimits}); bad data.
 *   <li>{@link SerializationException}: the writer schema cannot be read as the reader schema; bad
 *       data.
 * </ul>
 *
 * <p>Thread-safe.
 */
public class ConfluentAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    static {
        // Before any decoding: Avro reads its limits once, when it first checks one.
        AvroLimits.ensure();
    }

    private SchemaRegistryClient registry;
    private final Schema readerSchema; // null: the generated class each writer schema names
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();

    /**
     * For Kafka, which calls {@link #configure} next; reads each record as the class its writer
     * schema names.
     */
    public ConfluentAvroDeserializer() {
        this(null, (Schema) null);
    }

    /** Reads each record as the generated class its writer schema names. */
    public ConfluentAvroDeserializer(SchemaRegistryClient registry) {
        this(registry, (Schema) null);
    }

    public ConfluentAvroDeserializer(SchemaRegistryClient registry, Class<T> type) {
        this(registry, SpecificData.get().getSchema(type));
    }

    public ConfluentAvroDeserializer(SchemaRegistryClient registry, Schema readerSchema) {
        this.registry = registry;
        this.readerSchema = readerSchema;
    }

    /** Builds the registry client from the configs unless one was given. */
    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (registry == null) {
            registry = HttpSchemaRegistryClient.fromConfig(configs);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return data == null ? null : decode(topic, data, 0, data.length);
    }

    /**
     * Kafka's consumer calls this one: decoding in place saves a copy of every record, images
     * included.
     */
    @Override
    public T deserialize(String topic, Headers headers, ByteBuffer data) {
        if (data == null) {
            return null;
        }
        if (data.hasArray()) {
            return decode(
                    topic, data.array(), data.arrayOffset() + data.position(), data.remaining());
        }
        byte[] copy = new byte[data.remaining()];
        data.duplicate().get(copy);
        return decode(topic, copy, 0, copy.length);
    }

    private T decode(String topic, byte[] buffer, int offset, int length) {
        int id = WireFormat.schemaId(buffer, offset, length);
        DatumReader<T> reader = readerOrBadData(topic, id, length);
        BoundedDecoder decoder =
                new BoundedDecoder(
                        buffer, offset + WireFormat.HEADER_SIZE, length - WireFormat.HEADER_SIZE);
        try {
            T record = reader.read(null, decoder);
            if (decoder.isEnd()) {
                return record;
            }
        } catch (BoundedDecoder.LengthLimitException e) {
            throw new WireFormatException(undecodable(topic, id, length) + ": " + e.getMessage());
        } catch (SystemLimitException e) {
            AvroLimits.Limits limits = AvroLimits.effective();
            throw new WireFormatException(
                    undecodable(topic, id, length)
                            + ": "
                            + e.getMessage()
                            + " (limits: "
                            + limits.bytes()
                            + " bytes, "
                            + limits.strings()
                            + " string bytes, "
                            + limits.items()
                            + " collection items): not a valid record",
                    e);
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException(
                    undecodable(topic, id, length) + ": " + whatIsWrong(e), e);
        }
        throw new WireFormatException(
                undecodable(topic, id, length)
                        + ": bytes are left after the record, so the data does not match its writer"
                        + " schema");
    }

    /**
     * The reader for a writer schema id. A schema that is not Avro makes the record bad data, like
     * bytes that do not decode: {@link WireFormatException}, so that it is dead-lettered.
     */
    private DatumReader<T> readerOrBadData(String topic, int id, int length) {
        try {
            return readers.computeIfAbsent(id, this::reader);
        } catch (UnsupportedSchemaTypeException e) {
            throw new WireFormatException(
                    "a value of "
                            + length
                            + " bytes from topic "
                            + topic
                            + " is not Avro: "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * What Avro's exception means for the producer, in words: the exceptions themselves say little
     * (an {@link EOFException} has no message at all) and name library classes the producer never
     * used.
     */
    private static String whatIsWrong(Exception e) {
        if (e instanceof EOFException) {
            return "the bytes end in the middle of the record: the value was cut short, or is not"
                    + " Avro written with that schema";
        }
        if (e instanceof InvalidNumberEncodingException) {
            return "an int or long runs over its 5 or 10 bytes: not a valid record";
        }
        if (e instanceof IndexOutOfBoundsException) {
            return "a union branch or enum symbol index is out of range: not a valid record";
        }
        String message = e.getMessage();
        return (message == null || message.isBlank() ? e.getClass().getSimpleName() : message)
                + ": not a valid record";
    }

    private static String undecodable(String topic, int id, int length) {
        return "a value of "
                + length
                + " bytes from topic "
                + topic
                + " does not decode as Avro with its writer "
                + "schema (id "
                + id
                + ")";
    }

    private DatumReader<T> reader(int id) {
        Schema writer = Configured.require(registry, this).getById(id);
        Schema reader = readerSchema != null ? readerSchema : generatedSchema(writer, id);
        // Checked once per writer id, here, rather than as an obscure AvroTypeException on
        // every record.
        List<String> problems = CompatibilityLevel.incompatibilities(reader, writer);
        if (!problems.isEmpty()) {
            throw new SerializationException(
                    "records written with schema id "
                            + id
                            + " ("
                            + writer.getFullName()
                            + ") cannot be read as "
                            + reader.getFullName()
                            + ": "
                            + String.join("; ", problems)
                            + ". Does the topic carry another record type, or did the producer"
                            + " break compatibility?");
        }
        return new SpecificDatumReader<>(writer, reader, SpecificData.getForSchema(reader));
    }

    private static Schema generatedSchema(Schema writer, int id) {
        Class<?> type = SpecificData.get().getClass(writer);
        if (type == null || !SpecificRecord.class.isAssignableFrom(type)) {
            throw new SerializationException(
                    "schema id "
                            + id
                            + " names "
                            + writer.getFullName()
                            + ", which is not a generated Avro class on the classpath: construct"
                            + " the deserializer with the reader type");
        }
        return SpecificData.get().getSchema(type);
    }
}
