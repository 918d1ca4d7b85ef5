package dev.fovea.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/** A value is not a Confluent-framed Avro record: bad data, to dead-letter rather than retry. */
public class WireFormatException extends SerializationException {
    public WireFormatException(String message) {
        super(message);
    }

    public WireFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
