package dev.fovea.topology.stages;

import dev.fovea.avro.ImageEvent;
import dev.fovea.schemas.registry.ErrorCodes;
import dev.fovea.schemas.registry.RegistryUnavailableException;
import dev.fovea.schemas.registry.SchemaRegistryException;
import dev.fovea.topology.Reason;
import dev.fovea.topology.Telemetry;

import org.apache.avro.AvroRuntimeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Stage 1: raw bytes to an {@link ImageEvent}. Parsing happens here rather than in the source's
 * deserializer because a deserialization handler can only skip or fail; here a record that does not
 * parse becomes a dead letter with its original bytes.
 */
public final class ParseEvent implements FixedKeyProcessor<byte[], byte[], ImageWork> {
    private final Deserializer<ImageEvent> deserializer;
    private final Telemetry telemetry;
    private FixedKeyProcessorContext<byte[], ImageWork> context;

    public ParseEvent(Deserializer<ImageEvent> deserializer) {
        this(deserializer, Telemetry.NONE);
    }

    public ParseEvent(Deserializer<ImageEvent> deserializer, Telemetry telemetry) {
        this.deserializer = deserializer;
        this.telemetry = telemetry;
    }

    @Override
    public void init(FixedKeyProcessorContext<byte[], ImageWork> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<byte[], byte[]> record) {
        long start = System.nanoTime();
        telemetry.imageIn();
        RecordMetadata where = context.recordMetadata().orElseThrow();
        SourceRecord source =
                new SourceRecord(
                        where.topic(),
                        where.partition(),
                        where.offset(),
                        record.timestamp(),
                        record.key(),
                        record.value());
        ImageWork work = ImageWork.arrived(source, start);
        context.forward(record.withValue(parse(work, record)));
    }

    private ImageWork parse(ImageWork work, FixedKeyRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return work.failedWith(
                    new Failure(
                            Reason.INVALID_RECORD,
                            "the value is null (a tombstone); "
                                    + work.source().topic()
                                    + " takes ImageEvent records"));
        }
        try {
            ImageEvent event =
                    deserializer.deserialize(
                            work.source().topic(), record.headers(), record.value());
            Failure oversized = oversized(event);
            return oversized == null ? work.withEvent(event) : work.failedWith(oversized);
        } catch (RegistryUnavailableException dependencyDown) {
            // Not the record's fault: failing the stream thread leaves the offset uncommitted, so
            // the
            // record is read again once the registry is back instead of being dead-lettered.
            throw dependencyDown;
        } catch (SchemaRegistryException refused) {
            if (refused.errorCode() != ErrorCodes.SCHEMA_NOT_FOUND) {
                // Credentials, permissions, a misconfigured URL: the worker's problem, not the
                // record's.
                throw refused;
            }
            return work.failedWith(new Failure(Reason.INVALID_RECORD, refused.getMessage()));
        } catch (SerializationException | AvroRuntimeException notAnImageEvent) {
            return work.failedWith(
                    new Failure(Reason.INVALID_RECORD, notAnImageEvent.getMessage()));
        }
    }

    /** The most bytes of attributes (keys and values, UTF-8) an event may carry. */
    static final int MAX_ATTRIBUTE_BYTES = 64 * 1024;

    /**
     * Every prediction repeats the event's id (also as its key) and attributes: an event whose id
     * or attributes are huge would make a prediction too large to send, and a record that cannot be
     * answered stops the worker on every restart. Such an event is the producer's mistake.
     */
    private static Failure oversized(ImageEvent event) {
        if (event.getId().length() > ImageWork.MAX_ID_CHARS) {
            return new Failure(
                    Reason.INVALID_RECORD,
                    String.format(
                            "the id has %d characters, over the limit of %d",
                            event.getId().length(), ImageWork.MAX_ID_CHARS));
        }
        long bytes = 0;
        for (Map.Entry<String, String> a : event.getAttributes().entrySet()) {
            bytes += utf8Length(a.getKey()) + utf8Length(a.getValue());
        }
        if (bytes > MAX_ATTRIBUTE_BYTES) {
            return new Failure(
                    Reason.INVALID_RECORD,
                    String.format(
                            "the attributes take %d bytes, over the limit of %d",
                            bytes, MAX_ATTRIBUTE_BYTES));
        }
        return null;
    }

    private static long utf8Length(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }
}
