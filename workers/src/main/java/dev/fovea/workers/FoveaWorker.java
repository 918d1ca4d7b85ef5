package dev.fovea.workers;

import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryException;
import dev.fovea.topology.FoveaTopology;
import dev.fovea.topology.TopologySerdes;
import dev.fovea.topology.TopologySettings;
import dev.fovea.topology.image.JdkImageDecoder;
import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.runtime.BatcherStats;
import dev.fovea.workers.runtime.EnsembleClassifier;
import dev.fovea.workers.runtime.EnsembleSpec;
import dev.fovea.workers.runtime.SavedModelClassifier;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A running worker: its model (or ensemble of models) loaded once, one Kafka Streams instance of
 * the Fovea topology. Scale by starting more workers with the same {@code application.id}.
 */
public final class FoveaWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FoveaWorker.class);

    private final EnsembleClassifier classifier;
    private final RegistryRetry registryRetry;
    private final KafkaStreams streams;
    private final CountDownLatch running = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Throwable failure;
    private volatile boolean closing;

    private FoveaWorker(
            EnsembleClassifier classifier,
            RegistryRetry registryRetry,
            Topology topology,
            Map<String, Object> streamsProps) {
        this.classifier = classifier;
        this.registryRetry = registryRetry;
        this.streams = new KafkaStreams(topology, new StreamsConfig(streamsProps));
        streams.setStateListener(
                (now, before) -> {
                    log.info("Kafka Streams {} -> {}", before, now);
                    if (now == KafkaStreams.State.RUNNING) {
                        running.countDown();
                    }
                    if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                        stopped.countDown();
                    }
                });
        streams.setUncaughtExceptionHandler(
                e -> {
                    if (closing) {
                        // close() cut a registry retry short: the record stays uncommitted.
                        log.info("stream thread stopped while the worker closes: {}", explain(e));
                        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
                    }
                    // A failure that is not the record's fault (model broken, registry down, broker
                    // fenced...) stops this worker loudly; the record stays uncommitted and is
                    // retried by whoever restarts, so nothing is lost.
                    failure = e;
                    log.error("stream thread failed, stopping the worker: {}", explain(e), e);
                    return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
                });
    }

    /**
     * Checks the model's files, the registry, the broker and the topics, loads the model, and
     * starts processing. The checks come first: a wrong setting is reported in milliseconds, not
     * after the seconds a model takes to load; and the model's files before the dependencies, which
     * may be retried for {@code startup.timeout.ms}. Kafka Streams is created only once the model
     * has loaded: a worker whose model fails never joins the group.
     *
     * @throws dev.fovea.workers.runtime.ModelLoadException if the model cannot be served
     * @throws StartupException if a dependency is missing or unreachable
     * @throws org.apache.kafka.common.config.ConfigException if a registry setting is unusable
     */
    public static FoveaWorker start(WorkerConfig config) {
        log.info("worker settings: {}", config.describe());
        EnsembleSpec model = EnsembleSpec.resolve(config);
        SchemaRegistryClient registry =
                HttpSchemaRegistryClient.fromConfig(config.registryClientConfigs());
        Preflight.registryReady(registry, config);
        Map<String, Object> props = streamsProperties(config);
        Preflight.kafkaReachable(config, props);
        EnsembleClassifier classifier = EnsembleClassifier.load(model, batching(config));
        try {
            // Once running, a record with a schema id not fetched yet waits for the registry.
            RegistryRetry registryRetry =
                    new RegistryRetry(
                            Duration.ofMillis(
                                    config.getLong(WorkerConfig.SCHEMA_REGISTRY_RETRY_TIMEOUT_MS)),
                            WorkerConfig.SCHEMA_REGISTRY_RETRY_TIMEOUT_MS,
                            "; the worker stops without committing the record, and reads it again"
                                    + " when restarted");
            TopologySettings settings = settings(config);
            TopologySerdes serdes =
                    TopologySerdes.onRegistry(
                            new RetryingRegistryClient(registry, registryRetry),
                            config.getBoolean(WorkerConfig.SCHEMA_AUTO_REGISTER));
            Topology topology =
                    FoveaTopology.build(
                            settings,
                            serdes,
                            new JdkImageDecoder(config.decoderLimits()),
                            classifier,
                            Clock.systemUTC());
            log.info(
                    "worker {} serving {} {}\n{}",
                    settings.workerId(),
                    classifier.info().name(),
                    classifier.info().version(),
                    topology.describe());
            FoveaWorker worker = new FoveaWorker(classifier, registryRetry, topology, props);
            try {
                worker.streams.start();
            } catch (RuntimeException e) {
                worker.streams.close(Duration.ZERO);
                throw e;
            }
            return worker;
        } catch (RuntimeException e) {
            classifier.close();
            throw e;
        }
    }

    static TopologySettings settings(WorkerConfig config) {
        return new TopologySettings(
                config.getString(WorkerConfig.TOPIC_IMAGES),
                config.getString(WorkerConfig.TOPIC_PREDICTIONS),
                config.getString(WorkerConfig.TOPIC_DEAD_LETTERS),
                config.getInt(WorkerConfig.TOP_K),
                config.getBoolean(WorkerConfig.PUBLISH_PROBABILITIES),
                config.getBoolean(WorkerConfig.ENSEMBLE_PUBLISH_MEMBERS),
                workerId(config),
                config.getInt(WorkerConfig.DEAD_LETTER_MAX_VALUE_BYTES));
    }

    /**
     * Each stream thread waits for its own image's crops: the most rows a model can have waiting is
     * the threads times its crops per image, which the ensemble works out per member.
     */
    private static SavedModelClassifier.Batching batching(WorkerConfig config) {
        return new SavedModelClassifier.Batching(
                config.getInt(WorkerConfig.INFERENCE_MAX_BATCH_SIZE),
                Duration.ofMillis(config.getLong(WorkerConfig.INFERENCE_MAX_QUEUE_DELAY_MS)),
                config.getInt(WorkerConfig.STREAM_THREADS),
                Duration.ofMillis(config.getLong(WorkerConfig.INFERENCE_TIMEOUT_MS)));
    }

    static Map<String, Object> streamsProperties(WorkerConfig config) {
        Map<String, Object> props = new HashMap<>();
        props.put(
                StreamsConfig.APPLICATION_ID_CONFIG, config.getString(WorkerConfig.APPLICATION_ID));
        props.put(
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
                config.getString(WorkerConfig.BOOTSTRAP_SERVERS));
        props.put(
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                config.getString(WorkerConfig.PROCESSING_GUARANTEE));
        props.put(
                StreamsConfig.NUM_STREAM_THREADS_CONFIG,
                config.getInt(WorkerConfig.STREAM_THREADS));
        props.put(StreamsConfig.CLIENT_ID_CONFIG, workerId(config));
        // A new application starts from the oldest image rather than silently skipping a backlog.
        props.put(
                StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // Each record costs milliseconds of inference: a smaller poll keeps a loop well inside
        // max.poll.interval.ms even for slow models.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 100);
        // A dead letter carries the original record up to dead.letter.max.value.bytes: leave room
        // for it, its key and its other fields, never less than Kafka's own default.
        props.put(
                StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                Math.max(
                        1024 * 1024,
                        config.getInt(WorkerConfig.DEAD_LETTER_MAX_VALUE_BYTES) + 128 * 1024));
        // Kafka Streams' producer lingers 100 ms by default, which was most of the end-to-end
        // latency at half load (./fovea bench: p50 150 ms, 70 ms with 5 ms). Predictions are small;
        // 5 ms still lets a busy worker send them in batches.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        // Fovea has no global state; opting in now silences Kafka's 4.x deprecation warning.
        props.put("processing.exception.handler.global.enabled", true);
        props.putAll(config.kafkaOverrides());
        return props;
    }

    static String workerId(WorkerConfig config) {
        String configured = config.stringOrNull(WorkerConfig.WORKER_ID);
        if (configured != null) {
            return configured;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return host + "-" + ManagementFactory.getRuntimeMXBean().getPid();
    }

    /** Waits until Kafka Streams is RUNNING: partitions assigned, processing. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Blocks until the worker stops, by {@link #close()} or by a failure. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /**
     * What each model's dynamic batcher has run since it loaded (batch sizes, queue waits), by
     * model name in member order; empty when batching is off ({@code inference.max.batch.size} 1).
     */
    public Map<String, BatcherStats> batcherStats() {
        return classifier.batcherStats();
    }

    /** The error that stopped the worker, or null. */
    public Throwable failure() {
        return failure;
    }

    /**
     * What a user should read about a failure: the message of a registry error among its causes (it
     * says what is wrong and what to check), else the failure itself. Kafka Streams wraps a
     * processing error in an exception whose message holds a whole stack trace.
     */
    public static String explain(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SchemaRegistryException) {
                return cause.getMessage();
            }
        }
        return String.valueOf(failure);
    }

    @Override
    public void close() {
        closing = true;
        // A stream thread waiting for the registry would hold up the close for as long as it may
        // wait: it gives up now, leaving its record uncommitted.
        registryRetry.cancel();
        // Streams first: in-flight records finish against a model that is still open. Leaving the
        // group hands this worker's partitions to the others at once; a stateless worker has
        // nothing to gain from Kafka Streams' default of staying in the group until its session
        // times out (45 s, also after a broker restart, which reloads the dead member).
        CloseOptions leave =
                CloseOptions.groupMembershipOperation(
                                CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                        .withTimeout(Duration.ofSeconds(30));
        if (!streams.close(leave)) {
            log.warn("Kafka Streams did not stop within 30 s; closing the model anyway");
        }
        classifier.close();
        stopped.countDown();
    }
}
