package dev.fovea.schemas.registry.server;

import static dev.fovea.schemas.registry.ErrorCodes.INCOMPATIBLE_SCHEMA;
import static dev.fovea.schemas.registry.ErrorCodes.INVALID_COMPATIBILITY_LEVEL;
import static dev.fovea.schemas.registry.ErrorCodes.INVALID_SCHEMA;
import static dev.fovea.schemas.registry.ErrorCodes.INVALID_VERSION;
import static dev.fovea.schemas.registry.ErrorCodes.SCHEMA_NOT_FOUND;
import static dev.fovea.schemas.registry.ErrorCodes.SUBJECT_COMPATIBILITY_NOT_CONFIGURED;
import static dev.fovea.schemas.registry.ErrorCodes.SUBJECT_NOT_FOUND;
import static dev.fovea.schemas.registry.ErrorCodes.VERSION_NOT_FOUND;

import dev.fovea.schemas.registry.CompatibilityLevel;

import java.util.List;

/**
 * An error answer, {@code {"error_code":N,"message":"..."}}, with the HTTP status Confluent's
 * registry uses.
 */
final class RegistryError extends RuntimeException {
    private final int status;
    private final int errorCode;

    RegistryError(int status, int errorCode, String message) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    int status() {
        return status;
    }

    int errorCode() {
        return errorCode;
    }

    static RegistryError subjectNotFound(String subject) {
        return new RegistryError(404, SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
    }

    static RegistryError versionNotFound(String subject, int version) {
        return new RegistryError(
                404,
                VERSION_NOT_FOUND,
                "Version " + version + " not found for subject '" + subject + "'.");
    }

    static RegistryError schemaNotFound(String which) {
        return new RegistryError(404, SCHEMA_NOT_FOUND, which + " not found.");
    }

    static RegistryError subjectCompatibilityNotConfigured(String subject) {
        return new RegistryError(
                404,
                SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
                "Subject '" + subject + "' does not have subject-level compatibility configured");
    }

    static RegistryError incompatible(
            String subject, CompatibilityLevel level, List<String> problems) {
        return new RegistryError(
                409,
                INCOMPATIBLE_SCHEMA,
                "Schema being registered is incompatible with an earlier "
                        + "schema for subject '"
                        + subject
                        + "' (compatibility "
                        + level
                        + "): "
                        + String.join("; ", problems));
    }

    static RegistryError invalidSchema(String reason) {
        return new RegistryError(422, INVALID_SCHEMA, "Invalid schema: " + reason);
    }

    static RegistryError invalidVersion(String version) {
        return new RegistryError(
                422,
                INVALID_VERSION,
                "The specified version '"
                        + version
                        + "' is not a valid version id: use a positive integer or 'latest'.");
    }

    static RegistryError invalidCompatibilityLevel(String reason) {
        return new RegistryError(
                422, INVALID_COMPATIBILITY_LEVEL, "Invalid compatibility level: " + reason);
    }

    static RegistryError badRequest(String reason) {
        return new RegistryError(400, 400, reason);
    }
}
