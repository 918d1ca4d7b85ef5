package dev.fovea.ops.local;

/**
 * The in-JVM Kafka broker could not start or do what was asked. The message is one sentence that
 * says what to do, fit to print to a user as it is; the cause keeps Kafka's own detail.
 */
public final class BrokerException extends RuntimeException {

    BrokerException(String message) {
        super(message);
    }

    BrokerException(String message, Throwable cause) {
        super(message, cause);
    }
}
