package dev.fovea.schemas.serde;

import dev.fovea.schemas.registry.HttpSchemaRegistryClient;

/** The one mistake a serde built by hand can make: being used before it has a registry. */
final class Configured {
    private Configured() {}

    static <V> V require(V part, Object serde) {
        if (part == null) {
            throw new IllegalStateException(
                    serde.getClass().getSimpleName()
                            + " is not configured: construct it with "
                            + "a SchemaRegistryClient, or call configure() with "
                            + HttpSchemaRegistryClient.URL_CONFIG);
        }
        return part;
    }
}
