package dev.fovea.topology.stages;

import dev.fovea.topology.Reason;

import java.util.Objects;

/** Errors as data: why an image could not be classified, in words fit for a producer to read. */
public record Failure(Reason reason, String message) {
    public Failure {
        Objects.requireNonNull(reason, "reason");
        // Exceptions may carry no message; a dead letter always says something.
        message =
                message == null || message.isBlank()
                        ? reason.name().toLowerCase().replace('_', ' ')
                        : message;
    }
}
