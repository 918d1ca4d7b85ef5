package dev.fovea.schemas.registry;

/**
 * The {@code error_code} values of the Confluent Schema Registry REST API that Fovea produces or
 * handles. Codes of five digits refine an HTTP status: 40401 is a 404 about a subject.
 */
public final class ErrorCodes {
    public static final int SUBJECT_NOT_FOUND = 40401;
    public static final int VERSION_NOT_FOUND = 40402;
    public static final int SCHEMA_NOT_FOUND = 40403;
    public static final int SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408;
    public static final int INCOMPATIBLE_SCHEMA = 409;
    public static final int INVALID_SCHEMA = 42201;
    public static final int INVALID_VERSION = 42202;
    public static final int INVALID_COMPATIBILITY_LEVEL = 42203;
    public static final int INTERNAL_ERROR = 50001;

    private ErrorCodes() {}
}
