package dev.fovea.schemas.registry;

import org.apache.avro.Schema;

import java.util.List;
import java.util.Optional;

/**
 * The calls Fovea makes to a Confluent-compatible schema registry.
 *
 * <p>Every method throws {@link SchemaRegistryException} when the registry refuses the request and
 * {@link RegistryUnavailableException} when it cannot answer.
 */
public interface SchemaRegistryClient {

    /** The registry's base URL, without credentials: for messages and logs. */
    String url();

    /**
     * Registers {@code schema} under {@code subject} unless it is there already; returns its global
     * id.
     */
    int register(String subject, Schema schema);

    /** Finds {@code schema} among the versions of {@code subject}, registering nothing. */
    RegisteredSchema lookup(String subject, Schema schema);

    /**
     * The schema with this global id; ids are immutable, so implementations may cache it forever.
     */
    Schema getById(int id);

    List<String> subjects();

    List<Integer> versions(String subject);

    RegisteredSchema version(String subject, int version);

    RegisteredSchema latest(String subject);

    /**
     * Whether registering {@code schema} under {@code subject} now would pass its compatibility
     * level.
     */
    boolean testCompatibility(String subject, Schema schema);

    CompatibilityLevel globalCompatibility();

    void setGlobalCompatibility(CompatibilityLevel level);

    /** The subject's own level; empty when it follows the global one. */
    Optional<CompatibilityLevel> subjectCompatibility(String subject);

    void setSubjectCompatibility(String subject, CompatibilityLevel level);
}
