package dev.fovea.topology.stages;

import dev.fovea.avro.ImageEvent;
import dev.fovea.schemas.registry.ErrorCodes;
import dev.fovea.schemas.registry.RegistryUnavailableException;
import dev.fovea.schemas.registry.SchemaRegistryException;
import dev.fovea.topology.Reason;

import org.apache.avro.AvroRuntimeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Stage 1: raw bytes to an {@link ImageEvent}. Parsing happens here rather than in the source's
 * deserializer because a deserialization handler can only skip or fail; here a record that does not
 * parse becomes a dead letter with its original bytes.
 */
public final class ParseEvent implements FixedKeyProcessor<byte[], byte[], ImageWork> {
    private final Deserializer<ImageEvent> deserializer;
    private FixedKeyProcessorContext<byte[], ImageWork> context;

    public ParseEvent(Deserializer<ImageEvent> deserializer) {
        this.deserializer = deserializer;
    }

    @Override
    public void init(FixedKeyProcessorContext<byte[], ImageWork> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<byte[], byte[]> record) {
        long start = System.nanoTime();
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
            return work.withEvent(event);
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
}
