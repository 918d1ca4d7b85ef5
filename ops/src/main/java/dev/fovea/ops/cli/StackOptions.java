package dev.fovea.ops.cli;

import dev.fovea.ops.local.LocalStack;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where the local stack listens and keeps its data; shared by {@code local} and {@code demo}. */
final class StackOptions {
    @Option(
            names = "--kafka-port",
            defaultValue = "9092",
            description =
                    "Kafka port on 127.0.0.1; the KRaft controller takes the next one (default"
                            + " ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
            names = "--registry-port",
            defaultValue = "8081",
            description = "Schema registry port (default ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            defaultValue = "${sys:fovea.home:-.}/.fovea/local",
            description =
                    "Topics, offsets and schemas, kept between runs (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--partitions",
            defaultValue = "4",
            description =
                    "Partitions of images.raw and predictions: at least workers x threads (default"
                            + " ${DEFAULT-VALUE}).")
    int partitions;

    LocalStack.Settings settings() {
        return new LocalStack.Settings("127.0.0.1", kafkaPort, registryPort, dataDir, partitions);
    }

    String bootstrapServers() {
        return "127.0.0.1:" + kafkaPort;
    }

    String registryUrl() {
        return "http://127.0.0.1:" + registryPort;
    }

    Path pidFile() {
        return dataDir.resolve("stack.pid");
    }

    Path logFile() {
        return dataDir.resolve("stack.log");
    }
}
