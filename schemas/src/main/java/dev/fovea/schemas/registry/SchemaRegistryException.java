package dev.fovea.schemas.registry;

/**
 * The schema registry refused a request: the data or the request is wrong, and retrying will not
 * help. {@link #errorCode()} says what exactly (see {@link ErrorCodes}); the message says what to
 * do.
 *
 * <p>Its subclass {@link RegistryUnavailableException} is the opposite case: the registry could not
 * answer, and the same request may succeed later. Catch that one first.
 */
public class SchemaRegistryException extends RuntimeException {
    private final int status;
    private final int errorCode;

    public SchemaRegistryException(String message, int status, int errorCode) {
        this(message, status, errorCode, null);
    }

    protected SchemaRegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** The HTTP status of the answer, or 0 when none came. */
    public int status() {
        return status;
    }

    /**
     * The Confluent {@code error_code} of the answer (the HTTP status when it had none), or 0 when
     * none came.
     */
    public int errorCode() {
        return errorCode;
    }
}
