package dev.fovea.workers;

import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryException;
import dev.fovea.topology.FoveaTopology;
import dev.fovea.topology.TopologySerdes;
import dev.fovea.topology.TopologySettings;
import dev.fovea.topology.image.JdkImageDecoder;
import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.observe.Health;
import dev.fovea.workers.observe.ObservabilityServer;
import dev.fovea.workers.observe.WorkerMetrics;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A running worker: its model (or ensemble of models) loaded once, one Kafka Streams instance of
 * the Fovea topology. Scale by starting more workers with the same {@code application.id}.
 */
public final class FoveaWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FoveaWorker.class);

    /** How often the summary line is logged. */
    private static final Duration SUMMARY_INTERVAL = Duration.ofMinutes(1);

    private final EnsembleClassifier classifier;
    private final RegistryRetry registryRetry;
    private final KafkaStreams streams;
    private final Observability observability;
    private final Duration grace;
    private final ScheduledExecutorService summaries;
    private Summary lastSummary = new Summary(0, 0, 0);
    private final CountDownLatch running = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Throwable failure;
    private volatile boolean closing;

    private FoveaWorker(
            EnsembleClassifier classifier,
            RegistryRetry registryRetry,
            Topology topology,
            Map<String, Object> streamsProps,
            Observability observability,
            Duration grace) {
        this.classifier = classifier;
        this.registryRetry = registryRetry;
        this.observability = observability;
        this.grace = grace;
        this.streams = new KafkaStreams(topology, new StreamsConfig(streamsProps));
        observability.metricsSource(
                () -> observability.metrics.render(classifier.batcherStats(), streams.metrics()));
        this.summaries =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "fovea-summary");
                            t.setDaemon(true);
                            return t;
                        });
        streams.setStateListener(
                (now, before) -> {
                    log.info("Kafka Streams {} -> {}", before, now);
                    observability.health.streamsRunning(now == KafkaStreams.State.RUNNING);
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
        // Listening before anything slow: probes see /startup 503 while models load, not a
        // refused connection.
        Observability observability = Observability.start(config);
        try {
            return start(config, observability);
        } catch (RuntimeException e) {
            observability.close();
            throw e;
        }
    }

    private static FoveaWorker start(WorkerConfig config, Observability observability) {
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
                            Clock.systemUTC(),
                            observability.metrics);
            log.info(
                    "worker {} serving {} {}\n{}",
                    settings.workerId(),
                    classifier.info().name(),
                    classifier.info().version(),
                    topology.describe());
            FoveaWorker worker =
                    new FoveaWorker(
                            classifier,
                            registryRetry,
                            topology,
                            props,
                            observability,
                            Duration.ofMillis(config.getLong(WorkerConfig.SHUTDOWN_GRACE_MS)));
            try {
                worker.streams.start();
            } catch (RuntimeException e) {
                worker.streams.close(Duration.ZERO);
                throw e;
            }
            // Models loaded and warmed (EnsembleClassifier.load), Streams started: /startup is 200;
            // /ready follows once the state listener sees RUNNING.
            observability.health.started();
            worker.summaries.scheduleAtFixedRate(
                    worker::logSummary,
                    SUMMARY_INTERVAL.toMillis(),
                    SUMMARY_INTERVAL.toMillis(),
                    TimeUnit.MILLISECONDS);
            return worker;
        } catch (RuntimeException e) {
            classifier.close();
            throw e;
        }
    }

    /**
     * Kafka Streams gets most of the grace period; the rest is kept for closing the models and
     * exiting, so that the whole shutdown fits in it.
     */
    static Duration streamsCloseTimeout(Duration grace) {
        return grace.minus(Duration.ofMillis(Math.min(5_000, grace.toMillis() / 5)));
    }

    /** The worker's metrics, probes and their HTTP endpoint, which live from start to close. */
    private static final class Observability implements AutoCloseable {
        final WorkerMetrics metrics = new WorkerMetrics();
        final Health health;
        final ObservabilityServer server;
        private volatile java.util.function.Supplier<String> page =
                () -> metrics.render(Map.of(), Map.of());

        private Observability(WorkerConfig config) {
            // A record may wait for the registry and then for inference; stalled twice that long
            // with images in flight, the worker is wedged.
            long stall =
                    2
                            * (config.getLong(WorkerConfig.SCHEMA_REGISTRY_RETRY_TIMEOUT_MS)
                                    + config.getLong(WorkerConfig.INFERENCE_TIMEOUT_MS));
            this.health = new Health(metrics, TimeUnit.MILLISECONDS.toNanos(stall));
            int port = config.getInt(WorkerConfig.METRICS_PORT);
            this.server =
                    port < 0 ? null : ObservabilityServer.start(port, health, () -> page.get());
        }

        static Observability start(WorkerConfig config) {
            return new Observability(config);
        }

        void metricsSource(java.util.function.Supplier<String> source) {
            page = source;
        }

        @Override
        public void close() {
            if (server != null) {
                server.close();
            }
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

    /** The port of the metrics and health endpoint, or -1 when it is off ({@code metrics.port}). */
    public int metricsPort() {
        return observability.server == null ? -1 : observability.server.port();
    }

    /** The worker's counts, as {@code /metrics} shows them. */
    public WorkerMetrics metrics() {
        return observability.metrics;
    }

    /** The {@code shutdown.grace.ms} setting. */
    public Duration shutdownGrace() {
        return grace;
    }

    private record Summary(long imagesIn, long predictions, long deadLetters) {}

    /**
     * One line a minute, and a last one at close: what happened since the previous line, and where
     * the worker stands.
     */
    private void logSummary() {
        try {
            WorkerMetrics m = observability.metrics;
            Map<dev.fovea.topology.Reason, Long> dead = m.deadLetters();
            long deadTotal = dead.values().stream().mapToLong(Long::longValue).sum();
            Summary now = new Summary(m.imagesIn(), m.predictions(), deadTotal);
            Summary before = lastSummary;
            lastSummary = now;
            Map<dev.fovea.topology.Reason, Long> nonZero = new java.util.TreeMap<>();
            dead.forEach(
                    (reason, count) -> {
                        if (count > 0) {
                            nonZero.put(reason, count);
                        }
                    });
            double meanBatch = BatcherStats.sum(classifier.batcherStats().values()).meanBatchSize();
            long lag = (long) WorkerMetrics.totalLag(streams.metrics());
            // The pairs are fields of the line in log.format=json.
            log.atInfo()
                    .addKeyValue("event", "summary")
                    .addKeyValue("imagesIn", now.imagesIn())
                    .addKeyValue("predictions", now.predictions())
                    .addKeyValue("deadLetters", now.deadLetters())
                    .addKeyValue("lag", lag)
                    .addKeyValue("inFlight", m.inFlight())
                    .log(
                            "summary: since the last, {} images in, {} predictions, {} dead"
                                    + " letters; since start, {} in, {} predictions, dead letters"
                                    + " {}; mean batch {}; lag {}; in flight {}",
                            now.imagesIn() - before.imagesIn(),
                            now.predictions() - before.predictions(),
                            now.deadLetters() - before.deadLetters(),
                            now.imagesIn(),
                            now.predictions(),
                            nonZero,
                            String.format(java.util.Locale.ROOT, "%.1f", meanBatch),
                            lag,
                            m.inFlight());
        } catch (RuntimeException e) {
            // A summary must never stop the next one (a scheduled task that throws is cancelled).
            log.warn("cannot log the summary: {}", e.toString());
        }
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
        // Not ready at once: a load balancer or probe stops counting on this worker before the
        // slow part begins.
        observability.health.stopping();
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
                        .withTimeout(streamsCloseTimeout(grace));
        if (!streams.close(leave)) {
            log.warn(
                    "Kafka Streams did not stop within {} ms; closing the model anyway",
                    streamsCloseTimeout(grace).toMillis());
        }
        classifier.close();
        summaries.shutdownNow();
        logSummary();
        stopped.countDown();
        observability.close();
    }
}
