package dev.fovea.it;

import dev.fovea.models.BuildRequest;
import dev.fovea.models.ModelBuilder;
import dev.fovea.models.ModelMetadata;
import dev.fovea.ops.local.LocalStack;
import dev.fovea.ops.tools.SampleImages;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.workers.config.WorkerConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What every integration test shares, started once per test JVM because brokers and models are
 * expensive on a 2-core machine: one local stack (a real KRaft broker and the registry on free
 * ports), one real SavedModel, the sample photographs. Tests isolate themselves by topic names.
 */
final class Fixture {
    private static LocalStack stack;
    private static Path model;

    private Fixture() {}

    static synchronized LocalStack stack() {
        if (stack == null) {
            stack = LocalStack.start(LocalStack.Settings.ephemeral());
            Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "fixture-stack"));
        }
        return stack;
    }

    static SchemaRegistryClient registry() {
        return new HttpSchemaRegistryClient(stack().registryUrl());
    }

    /** Inception v3 at width 0.25 with 10 classes: the real architecture, small enough for CI. */
    static synchronized Path model() {
        if (model == null) {
            Path dir = Path.of("target", "it-model").toAbsolutePath();
            if (!ModelMetadata.isCurrentModelDirectory(dir)) {
                ModelBuilder.build(new BuildRequest("inception_v3", 10, 0.25, 7, dir, null));
            }
            model = dir;
        }
        return model;
    }

    static List<Path> photographs() {
        try {
            return SampleImages.photographs(SampleImages.defaultDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path truncatedJpeg() {
        return SampleImages.defaultDir().resolve(SampleImages.TRUNCATED_JPEG);
    }

    /**
     * Topics of one test: {@code <name>.images}, {@code <name>.predictions}, {@code <name>.dlq}.
     */
    record Topics(String images, String predictions, String deadLetters) {
        static Topics create(String name, int partitions) {
            Topics topics = new Topics(name + ".images", name + ".predictions", name + ".dlq");
            stack().broker()
                    .createTopics(
                            Map.of(
                                    topics.images,
                                    partitions,
                                    topics.predictions,
                                    partitions,
                                    topics.deadLetters,
                                    1));
            return topics;
        }
    }

    static WorkerConfig workerConfig(
            String applicationId, Topics topics, Map<String, String> extra) {
        return WorkerConfig.of(workerSettings(applicationId, topics, extra));
    }

    /** The settings of {@link #workerConfig}, e.g. for a worker in a process of its own. */
    static Map<String, String> workerSettings(
            String applicationId, Topics topics, Map<String, String> extra) {
        Map<String, String> values = new HashMap<>();
        values.put(WorkerConfig.BOOTSTRAP_SERVERS, stack().bootstrapServers());
        values.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack().registryUrl());
        values.put(WorkerConfig.APPLICATION_ID, applicationId);
        values.put(WorkerConfig.MODEL_PATH, model().toString());
        values.put(WorkerConfig.TOPIC_IMAGES, topics.images());
        values.put(WorkerConfig.TOPIC_PREDICTIONS, topics.predictions());
        values.put(WorkerConfig.TOPIC_DEAD_LETTERS, topics.deadLetters());
        values.put(WorkerConfig.WORKER_ID, applicationId + "-worker");
        // Commit often so a test's view of progress is not held back by the 30 s default.
        values.put("kafka.commit.interval.ms", "200");
        // Tests run workers side by side, in processes and in this JVM: each takes any free port.
        values.put(WorkerConfig.METRICS_PORT, "0");
        values.putAll(extra);
        return values;
    }
}
