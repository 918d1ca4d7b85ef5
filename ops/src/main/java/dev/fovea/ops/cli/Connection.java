package dev.fovea.ops.cli;

import picocli.CommandLine.Option;

/** Where Kafka and the registry are, shared by the commands that talk to them. */
final class Connection {
    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOST:PORT",
            defaultValue = "${env:FOVEA_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka brokers (default: ${DEFAULT-VALUE}; env FOVEA_BOOTSTRAP_SERVERS).")
    String bootstrapServers;

    @Option(
            names = "--registry-url",
            paramLabel = "URL",
            defaultValue = "${env:FOVEA_SCHEMA_REGISTRY_URL:-http://localhost:8081}",
            description =
                    "Schema Registry (default: ${DEFAULT-VALUE}; env FOVEA_SCHEMA_REGISTRY_URL).")
    String registryUrl;
}
