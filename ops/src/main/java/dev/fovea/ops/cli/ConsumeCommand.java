package dev.fovea.ops.cli;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.Prediction;
import dev.fovea.ops.local.LocalStack;
import dev.fovea.ops.tools.Formats;
import dev.fovea.ops.tools.TopicReader;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

@Command(
        name = "consume",
        mixinStandardHelpOptions = true,
        description = "Print predictions (or dead letters) as a table or as JSON lines.")
final class ConsumeCommand implements Callable<Integer> {
    @Mixin Connection connection;

    @Option(
            names = "--dead-letters",
            description = "Read the dead-letter topic instead of predictions.")
    boolean deadLetters;

    @Option(
            names = "--topic",
            paramLabel = "NAME",
            description = "Topic (default: predictions, or images.dlq with --dead-letters).")
    String topic;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    @Option(names = "--max", paramLabel = "N", description = "Stop after N records.")
    Integer max;

    @Option(
            names = {"-f", "--follow"},
            description = "Keep waiting for new records until Ctrl-C.")
    boolean follow;

    @Option(
            names = "--from-now",
            description = "Only records produced from now on (default: from the beginning).")
    boolean fromNow;

    @Option(
            names = "--idle-timeout",
            paramLabel = "SECONDS",
            defaultValue = "10",
            description =
                    "Without --follow, stop after this long without a record (default"
                            + " ${DEFAULT-VALUE}).")
    int idleTimeoutSeconds;

    @Override
    public Integer call() {
        SchemaRegistryClient registry = new HttpSchemaRegistryClient(connection.registryUrl);
        return deadLetters
                ? read(
                        registry,
                        DeadLetter.class,
                        topic == null ? LocalStack.DEAD_LETTERS : topic,
                        Formats::row,
                        Formats::json)
                : read(
                        registry,
                        Prediction.class,
                        topic == null ? LocalStack.PREDICTIONS : topic,
                        Formats::row,
                        Formats::json);
    }

    private <T extends SpecificRecord> int read(
            SchemaRegistryClient registry,
            Class<T> type,
            String name,
            Function<T, String> row,
            Function<T, String> asJson) {
        long seen = 0;
        long idleSince = System.nanoTime();
        if (!json && type == Prediction.class) {
            System.out.println(Formats.PREDICTION_HEADER);
        }
        try (TopicReader<T> reader =
                new TopicReader<>(
                        connection.bootstrapServers, registry, type, name, !fromNow, Map.of())) {
            while (max == null || seen < max) {
                var records = reader.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, T> record : records) {
                    System.out.println(
                            json ? asJson.apply(record.value()) : row.apply(record.value()));
                    if (max != null && ++seen >= max) {
                        break;
                    }
                }
                if (!records.isEmpty()) {
                    idleSince = System.nanoTime();
                } else if (!follow
                        && System.nanoTime() - idleSince > idleTimeoutSeconds * 1_000_000_000L) {
                    break;
                }
            }
        }
        return 0;
    }
}
