package dev.fovea.ops.bench;

import dev.fovea.avro.Timings;
import dev.fovea.ops.local.LocalStack;
import dev.fovea.ops.tools.HostileCorpus;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.workers.FoveaWorker;
import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.runtime.BatcherStats;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * One Fovea worker, exactly as {@code ./fovea worker} runs it ({@link FoveaWorker#start}), on
 * topics of its own in the benchmark's local stack, with a {@link LoadGenerator} feeding its images
 * topic and a {@link PredictionCollector} reading its predictions. Own topics and an own
 * application id per run: no run reads another's backlog or committed offsets.
 */
final class WorkerRun implements AutoCloseable {

    /**
     * What every worker of a benchmark shares.
     *
     * @param model the SavedModel served; null when {@code settings} name {@code ensemble.members}
     *     instead
     * @param partitions partitions of each run's images and predictions topics
     * @param settings further worker settings ({@code --set}), applied to every worker
     */
    record Setup(
            Path model,
            Workload workload,
            int partitions,
            long maxQueueDelayMs,
            Map<String, String> settings) {}

    /**
     * Where one image's time went: end to end, and inside the worker (its Prediction's timings).
     */
    record ImageTiming(
            String id,
            double latencyMs,
            double decodeMs,
            double queueMs,
            double inferenceMs,
            double workerMs) {}

    /**
     * One measured run.
     *
     * @param seconds from the first image sent (or due) to the last prediction received
     * @param batches what the batcher ran meanwhile; null without a batcher
     */
    record Result(
            String label,
            int threads,
            int maxBatchSize,
            int images,
            double seconds,
            List<ImageTiming> timings,
            Batches batches) {
        double imagesPerSecond() {
            return images / seconds;
        }
    }

    private static final Duration BURST_TIMEOUT = Duration.ofMinutes(10);

    private final int threads;
    private final int maxBatchSize;
    private final FoveaWorker worker;
    private final LoadGenerator generator;
    private final PredictionCollector collector;
    private final String bootstrapServers;
    private final String deadLetterTopic;

    private WorkerRun(
            int threads,
            int maxBatchSize,
            FoveaWorker worker,
            LoadGenerator generator,
            PredictionCollector collector,
            String bootstrapServers,
            String deadLetterTopic) {
        this.threads = threads;
        this.maxBatchSize = maxBatchSize;
        this.worker = worker;
        this.generator = generator;
        this.collector = collector;
        this.bootstrapServers = bootstrapServers;
        this.deadLetterTopic = deadLetterTopic;
    }

    /**
     * Creates the run's topics, starts the worker and waits until it processes: its partitions
     * assigned and one image per partition classified (every stream thread has run the model, every
     * code path is compiled).
     */
    static WorkerRun start(
            LocalStack stack, Setup setup, String name, int threads, int maxBatchSize)
            throws InterruptedException {
        return start(stack, setup, name, threads, maxBatchSize, setup.partitions());
    }

    /**
     * {@link #start(LocalStack, Setup, String, int, int)} with a warm-up of {@code warmUpImages}
     * images instead of one per partition; none at all for 0.
     */
    static WorkerRun start(
            LocalStack stack,
            Setup setup,
            String name,
            int threads,
            int maxBatchSize,
            int warmUpImages)
            throws InterruptedException {
        String images = imagesTopic(name);
        String predictions = "bench-" + name + "-predictions";
        String deadLetters = "bench-" + name + "-dlq";
        stack.broker()
                .createTopics(
                        Map.of(
                                images, setup.partitions(),
                                predictions, setup.partitions(),
                                deadLetters, 1));
        Map<String, String> settings = new HashMap<>(setup.settings());
        settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.registryUrl());
        settings.put(WorkerConfig.APPLICATION_ID, "fovea-bench-" + name);
        settings.put(WorkerConfig.WORKER_ID, "bench-" + name);
        if (setup.model() != null) {
            settings.put(WorkerConfig.MODEL_PATH, setup.model().toString());
        }
        settings.put(WorkerConfig.STREAM_THREADS, Integer.toString(threads));
        settings.put(WorkerConfig.INFERENCE_MAX_BATCH_SIZE, Integer.toString(maxBatchSize));
        settings.put(
                WorkerConfig.INFERENCE_MAX_QUEUE_DELAY_MS, Long.toString(setup.maxQueueDelayMs()));
        settings.put(WorkerConfig.TOPIC_IMAGES, images);
        settings.put(WorkerConfig.TOPIC_PREDICTIONS, predictions);
        settings.put(WorkerConfig.TOPIC_DEAD_LETTERS, deadLetters);
        // A benchmark's workers run one after another, maybe beside a real one: any free port.
        settings.putIfAbsent(WorkerConfig.METRICS_PORT, "0");

        SchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.registryUrl());
        FoveaWorker worker = FoveaWorker.start(WorkerConfig.of(settings));
        LoadGenerator generator = null;
        PredictionCollector collector = null;
        try {
            if (!worker.awaitRunning(Duration.ofMinutes(2))) {
                throw new IllegalStateException(
                        "the worker did not start processing within 2 minutes: " + worker.state());
            }
            generator =
                    new LoadGenerator(
                            stack.bootstrapServers(),
                            registry,
                            images,
                            setup.partitions(),
                            setup.workload());
            collector = new PredictionCollector(stack.bootstrapServers(), registry, predictions);
            WorkerRun run =
                    new WorkerRun(
                            threads,
                            maxBatchSize,
                            worker,
                            generator,
                            collector,
                            stack.bootstrapServers(),
                            deadLetters);
            if (warmUpImages > 0) {
                run.burst("warm-up", warmUpImages);
            }
            return run;
        } catch (RuntimeException | InterruptedException e) {
            if (collector != null) {
                collector.close();
            }
            if (generator != null) {
                generator.close();
            }
            worker.close();
            throw e;
        }
    }

    /** The images topic of the run named {@code name}. */
    static String imagesTopic(String name) {
        return "bench-" + name + "-images";
    }

    /**
     * Sends {@code count} images as fast as possible and waits for every prediction: the worker's
     * throughput, from the first image sent to the last prediction received.
     */
    Result burst(String label, int count) throws InterruptedException {
        return burst(label, count, List.of());
    }

    /**
     * As {@link #burst(String, int)}, with a record of {@code between} sent before each image (see
     * {@link LoadGenerator#burst(String, int, List)}); the result counts and times the images only.
     */
    Result burst(String label, int count, List<HostileCorpus.Entry> between)
            throws InterruptedException {
        BatcherStats before = batcherStats();
        generator.burst(label, count, between);
        collector.await(label, count, BURST_TIMEOUT, worker::failure);
        return result(label, count, before);
    }

    /**
     * The records on this run's dead-letter topic, once at least {@code expected} are there or 10 s
     * have passed: a dead letter may still be on its way when the last prediction arrives.
     */
    long deadLetters(long expected) throws InterruptedException {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(deadLetterTopic).stream()
                            .map(p -> new TopicPartition(deadLetterTopic, p.partition()))
                            .toList();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (true) {
                long count =
                        consumer.endOffsets(partitions).values().stream()
                                .mapToLong(Long::longValue)
                                .sum();
                if (count >= expected || System.nanoTime() > deadline) {
                    return count;
                }
                Thread.sleep(100);
            }
        }
    }

    /** The error that stopped the worker, or null while it runs. */
    Throwable failure() {
        return worker.failure();
    }

    /** Sends {@code count} images at a fixed rate and waits for every prediction. */
    Result paced(String label, int count, double ratePerSecond) throws InterruptedException {
        BatcherStats before = batcherStats();
        generator.paced(label, count, ratePerSecond);
        collector.await(label, count, BURST_TIMEOUT, worker::failure);
        return result(label, count, before);
    }

    private Result result(String label, int count, BatcherStats before) {
        List<ImageTiming> timings = new ArrayList<>(count);
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (int i = 0; i < count; i++) {
            String id = LoadGenerator.id(label, i);
            long sent = generator.sentNanos(id);
            PredictionCollector.Arrival arrival = collector.arrival(id);
            first = Math.min(first, sent);
            last = Math.max(last, arrival.nanos());
            Timings t = arrival.prediction().getTimings();
            timings.add(
                    new ImageTiming(
                            id,
                            (arrival.nanos() - sent) / 1e6,
                            t.getDecodeMs(),
                            t.getQueueMs(),
                            t.getInferenceMs(),
                            t.getTotalMs()));
        }
        Batches batches = before == null ? null : Batches.between(before, batcherStats());
        return new Result(
                label, threads, maxBatchSize, count, (last - first) / 1e9, timings, batches);
    }

    /** Every model's batches together (an ensemble has one batcher per member); null if off. */
    private BatcherStats batcherStats() {
        Map<String, BatcherStats> perModel = worker.batcherStats();
        return perModel.isEmpty() ? null : BatcherStats.sum(perModel.values());
    }

    @Override
    public void close() {
        collector.close();
        generator.close();
        worker.close();
    }
}
