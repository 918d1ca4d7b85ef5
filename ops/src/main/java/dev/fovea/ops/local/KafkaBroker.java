package dev.fovea.ops.local;

import kafka.server.BrokerServer;
import kafka.server.ControllerServer;
import kafka.server.FaultHandlerFactory;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.server.Server;
import kafka.server.SharedServer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;
import org.apache.kafka.raft.QuorumConfig;
import org.apache.kafka.server.fault.FaultHandlerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import scala.Tuple2;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real single-node Kafka inside this JVM: one KRaft node that is both broker and controller, on
 * loopback, with no Docker and no child process. Used by the local stack ({@code ./fovea local up})
 * and by integration tests.
 *
 * <pre>{@code
 * try (KafkaBroker kafka = KafkaBroker.start(BrokerSettings.defaults())) {
 *     kafka.createTopics(Map.of("images", 3));
 *     ... clients use kafka.bootstrapServers() ...
 * }
 * }</pre>
 *
 * <p>It assembles the node the way {@code kafka.server.KafkaRaftServer} does (shared server, then
 * controller, then broker) rather than calling that class, for two reasons: KafkaRaftServer halts
 * the JVM on any fatal fault (a test runner included), here one is logged and thrown instead; and
 * it binds its own sockets, here they are bound first (see {@link ListenerSockets}). These are
 * Kafka's internal classes, pinned to the Kafka version in the pom.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);

    private static final int NODE_ID = 1;

    /**
     * Start-up takes 2 to 3 s in a new JVM, under 0.5 s in a warm one; Kafka's default is to wait
     * forever.
     */
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    /** What start acquired, released in reverse order by close, whether start completed or not. */
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    private Path dataDir;
    private String bootstrapServers;
    private String saslBootstrapServers;
    private Admin admin;

    private KafkaBroker() {}

    /**
     * Starts the broker and returns once it answers clients.
     *
     * @throws BrokerException with a message fit for the user when a port or the data dir cannot be
     *     used, or the broker does not come up
     */
    public static KafkaBroker start(BrokerSettings settings) {
        KafkaBroker kafka = new KafkaBroker();
        try {
            kafka.startUp(settings);
            return kafka;
        } catch (RuntimeException | Error e) {
            kafka.close();
            throw e;
        }
    }

    /** {@code host:port} for the clients' {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * {@code host:port} of the SASL_PLAINTEXT listener, where clients log in with {@code
     * security.protocol=SASL_PLAINTEXT}, {@code sasl.mechanism=PLAIN} and a {@code
     * sasl.jaas.config} naming one of the configured users.
     *
     * @throws IllegalStateException when the broker was started without {@link
     *     BrokerSettings#withSaslPlain}
     */
    public String saslBootstrapServers() {
        if (saslBootstrapServers == null) {
            throw new IllegalStateException(
                    "this broker has no SASL listener: start it with"
                            + " BrokerSettings.withSaslPlain(users)");
        }
        return saslBootstrapServers;
    }

    public Path dataDir() {
        return dataDir;
    }

    /**
     * Creates the topics that do not exist yet, each with the given number of partitions, and
     * returns once the broker serves them all; a topic that exists already is left as it is,
     * whatever its partition count.
     */
    public void createTopics(Map<String, Integer> nameToPartitions) {
        List<NewTopic> topics =
                nameToPartitions.entrySet().stream()
                        .map(
                                topic ->
                                        new NewTopic(
                                                topic.getKey(),
                                                Optional.of(topic.getValue()),
                                                Optional.empty()))
                        .toList();
        admin.createTopics(topics)
                .values()
                .forEach(
                        (name, created) -> {
                            try {
                                await(created, "create topic " + name);
                            } catch (ExecutionException e) {
                                if (!(e.getCause() instanceof TopicExistsException)) {
                                    throw new BrokerException(
                                            "cannot create topic "
                                                    + name
                                                    + ": "
                                                    + e.getCause().getMessage(),
                                            e.getCause());
                                }
                            }
                        });
        awaitServed(nameToPartitions.keySet());
    }

    /**
     * Stops the broker (controlled shutdown, well under a second) and releases its ports and data
     * dir.
     */
    @Override
    public void close() {
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("Error while stopping the in-JVM Kafka broker", e);
            }
        }
    }

    private void startUp(BrokerSettings settings) {
        long startNanos = System.nanoTime();
        ListenerSockets sockets =
                own(
                        ListenerSockets.bind(
                                settings.host(),
                                settings.brokerPort(),
                                settings.controllerPort(),
                                settings.saslPlain() == null
                                        ? ListenerSockets.NONE
                                        : settings.saslPlain().port()));
        DataDirectory directory = own(DataDirectory.open(settings.dataDir()));
        dataDir = directory.path();
        bootstrapServers = settings.host() + ":" + sockets.brokerPort();
        if (settings.saslPlain() != null) {
            saslBootstrapServers = settings.host() + ":" + sockets.saslPort();
        }

        Properties properties = brokerProperties(settings, sockets, dataDir);
        boolean formatted = directory.formatIfNew(properties);
        KafkaConfig config = KafkaConfig.fromProps(properties, false);

        Tuple2<MetaPropertiesEnsemble, BootstrapMetadata> logDirs = loadLogDirs(config);
        Metrics metrics =
                own(Server.initializeMetrics(config, Time.SYSTEM, logDirs._1().clusterId().get()));
        SharedServer shared =
                new SharedServer(
                        config,
                        logDirs._1(),
                        Time.SYSTEM,
                        metrics,
                        CompletableFuture.completedFuture(
                                QuorumConfig.parseVoterConnections(config.quorumConfig().voters())),
                        QuorumConfig.parseBootstrapServers(
                                config.quorumConfig().bootstrapServers()),
                        loggingFaultHandlers(),
                        sockets);
        ControllerServer controller =
                new ControllerServer(shared, KafkaRaftServer.configSchema(), logDirs._2());
        own(
                () -> {
                    controller.shutdown();
                    controller.awaitShutdown();
                });
        BrokerServer broker = new BrokerServer(shared);
        // Pushed after the controller so that it stops first: a combined node's broker needs its
        // controller for a controlled shutdown (as in KafkaRaftServer.shutdown).
        own(
                () -> {
                    broker.shutdown();
                    broker.awaitShutdown();
                });
        try {
            // The controller first, so that the broker finds its endpoint (as in
            // KafkaRaftServer.startup).
            controller.startup();
            broker.startup();
        } catch (RuntimeException e) {
            throw new BrokerException(
                    "the Kafka broker failed to start on "
                            + bootstrapServers
                            + " with data dir "
                            + dataDir
                            + ": "
                            + e.getMessage(),
                    e);
        }

        admin =
                own(
                        Admin.create(
                                Map.<String, Object>of(
                                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                        bootstrapServers,
                                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                                        (int) ADMIN_TIMEOUT.toMillis())));
        awaitAnswer();
        LOG.info(
                "Kafka broker ready at {}{} in {} ms, data in {} ({})",
                bootstrapServers,
                saslBootstrapServers == null
                        ? ""
                        : " (SASL_PLAINTEXT at " + saslBootstrapServers + ")",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
                dataDir,
                formatted ? "formatted now" : "reused");
    }

    /**
     * The broker's properties. Beyond what one combined KRaft node needs, they avoid the pitfalls
     * of a single node (replication factors of 1, the transaction log exactly-once needs, the
     * cleaner's 128 MiB default buffer) and keep the node small.
     */
    private static Properties brokerProperties(
            BrokerSettings settings, ListenerSockets sockets, Path dataDir) {
        String host = settings.host();
        String brokerListener = ListenerSockets.BROKER + "://" + host + ":" + sockets.brokerPort();
        String controllerListener =
                ListenerSockets.CONTROLLER + "://" + host + ":" + sockets.controllerPort();
        Properties properties = new Properties();
        properties.put("process.roles", "broker,controller");
        properties.put("node.id", String.valueOf(NODE_ID));
        // A static quorum: the voter set is read from this line at every start, so the controller
        // port may change between runs (it is a free port by default). A dynamic quorum
        // (controller.quorum.bootstrap.servers) would need format --standalone and keep the first
        // run's endpoint in the metadata log.
        properties.put(
                "controller.quorum.voters", NODE_ID + "@" + host + ":" + sockets.controllerPort());
        properties.put("controller.listener.names", ListenerSockets.CONTROLLER);
        properties.put("inter.broker.listener.name", ListenerSockets.BROKER);
        String protocols =
                ListenerSockets.BROKER + ":PLAINTEXT," + ListenerSockets.CONTROLLER + ":PLAINTEXT";
        if (settings.saslPlain() == null) {
            properties.put("listeners", brokerListener + "," + controllerListener);
            properties.put("advertised.listeners", brokerListener);
        } else {
            String saslListener = ListenerSockets.SASL + "://" + host + ":" + sockets.saslPort();
            properties.put(
                    "listeners", brokerListener + "," + controllerListener + "," + saslListener);
            // Each client is sent the listener it bootstrapped from: SASL clients stay on it.
            properties.put("advertised.listeners", brokerListener + "," + saslListener);
            protocols += "," + ListenerSockets.SASL + ":SASL_PLAINTEXT";
            // The default, GSSAPI, would need Kerberos.
            properties.put("sasl.enabled.mechanisms", "PLAIN");
            properties.put(
                    "listener.name."
                            + ListenerSockets.SASL.toLowerCase(Locale.ROOT)
                            + ".plain.sasl.jaas.config",
                    plainServerJaas(settings.saslPlain().users()));
        }
        properties.put("listener.security.protocol.map", protocols);
        properties.put("log.dirs", dataDir.toString());
        properties.put("num.partitions", String.valueOf(settings.numPartitions()));

        // One node: Kafka's internal topics default to 3 replicas, which one broker cannot host.
        // The transaction log must be creatable for exactly-once (transaction.state.log.min.isr
        // defaults to 2); the share-group state topic is included so no internal topic is left out.
        properties.put("offsets.topic.replication.factor", "1");
        properties.put("transaction.state.log.replication.factor", "1");
        properties.put("transaction.state.log.min.isr", "1");
        properties.put("share.coordinator.state.topic.replication.factor", "1");
        properties.put("share.coordinator.state.topic.min.isr", "1");
        // 50 partitions each by default: 100 log dirs to create on the first group join and the
        // first transaction, for a node that serves a handful of clients.
        properties.put("offsets.topic.num.partitions", "1");
        properties.put("transaction.state.log.num.partitions", "1");
        // The default 3 s wait for more members costs 3 s at every group join of a lone consumer.
        properties.put("group.initial.rebalance.delay.ms", "0");
        // The log cleaner would take 128 MiB of heap for its dedupe buffer; compacted topics here
        // are small.
        properties.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
        // Fail rather than hang when the broker cannot reach its controller.
        properties.put("server.max.startup.time.ms", String.valueOf(STARTUP_TIMEOUT.toMillis()));

        properties.putAll(settings.overrides());
        return properties;
    }

    /**
     * The server side of PLAIN: Kafka's PlainLoginModule checks a client's password against its
     * {@code user_NAME} options. No username/password options: the broker does not log in anywhere,
     * its inter-broker listener is the plaintext one.
     */
    static String plainServerJaas(Map<String, String> users) {
        StringBuilder jaas =
                new StringBuilder(
                        "org.apache.kafka.common.security.plain.PlainLoginModule required");
        new TreeMap<>(users)
                .forEach(
                        (name, password) ->
                                jaas.append(" user_")
                                        .append(name)
                                        .append("=\"")
                                        // JAAS values are quoted strings with backslash escapes.
                                        .append(
                                                password.replace("\\", "\\\\")
                                                        .replace("\"", "\\\""))
                                        .append('"'));
        return jaas.append(';').toString();
    }

    /** Kafka's own check of the data dir's meta.properties: node id, cluster id, directory ids. */
    private static Tuple2<MetaPropertiesEnsemble, BootstrapMetadata> loadLogDirs(
            KafkaConfig config) {
        try {
            return KafkaRaftServer.initializeLogDirs(config, LOG, "");
        } catch (RuntimeException e) {
            throw new BrokerException(
                    String.format(
                            "Kafka data dir %s was formatted for another Kafka cluster or node:"
                                    + " delete it (its topics are lost) or choose another with"
                                    + " --data-dir",
                            config.metadataLogDir()),
                    e);
        }
    }

    /**
     * Kafka's standard factory halts the JVM on a fatal fault, which kills the test runner or the
     * whole local stack without a word (environment.md). Here every fault is logged and handed back
     * as an exception to the Kafka thread that hit it.
     */
    private static FaultHandlerFactory loggingFaultHandlers() {
        return (name, fatal, action) ->
                (message, cause) -> {
                    if (fatal) {
                        LOG.error(
                                "Fatal fault in the in-JVM Kafka broker ({}): {}; it may no longer"
                                        + " work, restart it",
                                name,
                                message,
                                cause);
                    } else {
                        LOG.warn("Fault in the in-JVM Kafka broker ({}): {}", name, message, cause);
                    }
                    action.run();
                    return new FaultHandlerException(name + ": " + message, cause);
                };
    }

    /**
     * The broker reports started once unfenced; this checks that a client really gets an answer.
     */
    private void awaitAnswer() {
        try {
            await(admin.describeCluster().nodes(), "answer a client");
        } catch (ExecutionException e) {
            throw new BrokerException(
                    "the Kafka broker started on "
                            + bootstrapServers
                            + " but does not answer clients: "
                            + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    /**
     * The controller acknowledges a new topic once it is in the metadata log; the broker learns of
     * it a moment later, and a client asking in between (Kafka Streams checking its source topics,
     * say) is told the topic does not exist.
     */
    private void awaitServed(Collection<String> topics) {
        long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
        while (true) {
            try {
                await(admin.describeTopics(topics).allTopicNames(), "serve topics " + topics);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
                        || System.nanoTime() > deadline) {
                    throw new BrokerException(
                            "the broker does not serve topics "
                                    + topics
                                    + ": "
                                    + e.getCause().getMessage(),
                            e.getCause());
                }
            }
            pause(Duration.ofMillis(20));
        }
    }

    /** Waits for an admin call; a timeout or an interrupt ends in a BrokerException. */
    private void await(KafkaFuture<?> result, String what) throws ExecutionException {
        try {
            result.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new BrokerException(
                    "the Kafka broker on "
                            + bootstrapServers
                            + " did not "
                            + what
                            + " within "
                            + ADMIN_TIMEOUT.toSeconds()
                            + " s: is this machine overloaded?",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException(
                    "interrupted while waiting for the Kafka broker to " + what, e);
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while waiting for the Kafka broker", e);
        }
    }

    private <T extends AutoCloseable> T own(T resource) {
        resources.push(resource);
        return resource;
    }
}
