package dev.fovea.ops.cli;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.Prediction;
import dev.fovea.ops.local.LocalStack;
import dev.fovea.ops.tools.Formats;
import dev.fovea.ops.tools.LiveStats;
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
        description = {
            "Print predictions (or dead letters) as a table or as JSON lines; or, with --stats, a"
                    + " live view of throughput, latency and the dead-letter rate."
        })
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
            names = "--stats",
            description =
                    "Watch predictions and dead letters produced from now on: every --interval"
                            + " seconds one line of predictions/s, dead letters/s and their share,"
                            + " latency p50/p99 (image timestamp to processedAt) and in-worker"
                            + " p50/p99; a summary at the end (Ctrl-C, --max, or --idle-timeout"
                            + " without --follow).")
    boolean stats;

    @Option(
            names = "--interval",
            paramLabel = "SECONDS",
            defaultValue = "1",
            description = "Seconds per --stats line (default ${DEFAULT-VALUE}).")
    double intervalSeconds;

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
        if (stats) {
            return watch(registry);
        }
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

    /**
     * Reads both outputs from now on and prints one {@link LiveStats} line per interval. The two
     * topics are polled in turn, briefly, so neither waits behind the other.
     */
    private int watch(SchemaRegistryClient registry) {
        long intervalNanos = Math.max(1, (long) (intervalSeconds * 1e9));
        LiveStats live = new LiveStats(System.nanoTime());
        long seen = 0;
        long idleSince = System.nanoTime();
        long nextLine = System.nanoTime() + intervalNanos;
        String predictionsTopic = topic == null ? LocalStack.PREDICTIONS : topic;
        try (TopicReader<Prediction> predictions =
                        new TopicReader<>(
                                connection.bootstrapServers,
                                registry,
                                Prediction.class,
                                predictionsTopic,
                                false,
                                Map.of());
                TopicReader<DeadLetter> letters =
                        new TopicReader<>(
                                connection.bootstrapServers,
                                registry,
                                DeadLetter.class,
                                LocalStack.DEAD_LETTERS,
                                false,
                                Map.of());
                Interrupt interrupt = new Interrupt()) {
            System.out.println(LiveStats.HEADER);
            while (!interrupt.requested() && (max == null || seen < max)) {
                int got = 0;
                for (ConsumerRecord<String, Prediction> r : predictions.poll(POLL)) {
                    Prediction p = r.value();
                    live.prediction(
                            p.getProcessedAt().toEpochMilli()
                                    - p.getImageTimestamp().toEpochMilli(),
                            p.getTimings().getTotalMs());
                    got++;
                }
                for (ConsumerRecord<String, DeadLetter> r : letters.poll(POLL)) {
                    live.deadLetter(r.value().getReason());
                    got++;
                }
                seen += got;
                long now = System.nanoTime();
                if (now >= nextLine) {
                    System.out.println(live.line(now));
                    nextLine = now + intervalNanos;
                }
                if (got > 0) {
                    idleSince = now;
                } else if (!follow && now - idleSince > idleTimeoutSeconds * 1_000_000_000L) {
                    break;
                }
            }
        }
        System.out.println(live.summary(System.nanoTime()));
        return 0;
    }

    private static final Duration POLL = Duration.ofMillis(100);

    /** Ctrl-C ends the watch with its summary instead of killing it mid-line. */
    private static final class Interrupt implements AutoCloseable {
        private volatile boolean requested;
        private final Thread mainThread = Thread.currentThread();
        private final Thread hook =
                new Thread(
                        () -> {
                            requested = true;
                            try {
                                mainThread.join(5_000);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "consume-stats-interrupt");

        Interrupt() {
            Runtime.getRuntime().addShutdownHook(hook);
        }

        boolean requested() {
            return requested;
        }

        @Override
        public void close() {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running: it is what ended the watch.
            }
        }
    }
}
