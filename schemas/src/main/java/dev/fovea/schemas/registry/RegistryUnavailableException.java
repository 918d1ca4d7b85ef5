package dev.fovea.schemas.registry;

/**
 * The schema registry could not be reached (connection refused, timeout, unknown host) or failed
 * with a 5xx. A dependency is down, not the data bad: stop and retry rather than dead-letter.
 */
public class RegistryUnavailableException extends SchemaRegistryException {
    public RegistryUnavailableException(
            String message, int status, int errorCode, Throwable cause) {
        super(message, status, errorCode, cause);
    }
}
