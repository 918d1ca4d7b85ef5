package dev.fovea.ops.local;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How to run the in-JVM {@link KafkaBroker}. Start from {@link #defaults()} and change what you
 * need:
 *
 * <pre>{@code
 * BrokerSettings.defaults().withBrokerPort(9092).withDataDir(Path.of(".fovea/kafka"))
 * }</pre>
 *
 * @param host where the listeners bind; a loopback address, because the client listener has no
 *     authentication and is meant for this machine only
 * @param brokerPort the port clients use; 0 picks a free one
 * @param controllerPort the KRaft controller's port, used by this node only; 0 picks a free one
 * @param dataDir topics, committed offsets and cluster metadata; {@code null} for a temporary
 *     directory that is deleted on close
 * @param numPartitions partitions of topics created without an explicit count
 * @param overrides broker properties applied last, e.g. {@code log.retention.hours}
 * @param saslPlain an extra listener where clients must authenticate, or {@code null} for none
 */
public record BrokerSettings(
        String host,
        int brokerPort,
        int controllerPort,
        Path dataDir,
        int numPartitions,
        Map<String, String> overrides,
        SaslPlain saslPlain) {

    /**
     * A SASL_PLAINTEXT listener with the PLAIN mechanism, beside the unauthenticated one: for
     * trying clients' security settings against a real broker. The controller and the broker's own
     * admin client stay on the unauthenticated listeners, so a wrong password here never stops the
     * node itself. Every authenticated user may do everything: there is no authorizer.
     *
     * @param port 0 picks a free one
     * @param users user name to password; names are letters, digits, {@code _ . -}
     */
    public record SaslPlain(int port, Map<String, String> users) {
        public SaslPlain {
            requirePort("SASL port", port);
            users = Map.copyOf(users);
            if (users.isEmpty()) {
                throw new IllegalArgumentException("a SASL listener needs at least one user");
            }
            for (String name : users.keySet()) {
                // The name becomes part of a JAAS option key (user_NAME), which cannot be quoted.
                if (!name.matches("[A-Za-z0-9_.-]+")) {
                    throw new IllegalArgumentException(
                            "SASL user names are letters, digits, '_', '.' and '-', got '"
                                    + name
                                    + "'");
                }
            }
        }
    }

    /**
     * Properties {@link KafkaBroker} must own to run one combined broker + controller on the
     * sockets it bound itself; set through the fields above instead.
     */
    private static final Set<String> RESERVED =
            Set.of(
                    "process.roles",
                    "node.id",
                    "listeners",
                    "advertised.listeners",
                    "listener.security.protocol.map",
                    "inter.broker.listener.name",
                    "controller.listener.names",
                    "controller.quorum.voters",
                    "controller.quorum.bootstrap.servers",
                    "log.dirs",
                    "log.dir",
                    "metadata.log.dir");

    public BrokerSettings {
        requireLoopback(host);
        requirePort("broker port", brokerPort);
        requirePort("controller port", controllerPort);
        if (numPartitions < 1) {
            throw new IllegalArgumentException(
                    "numPartitions must be at least 1, got " + numPartitions);
        }
        overrides = Map.copyOf(overrides);
        for (String key : overrides.keySet()) {
            if (RESERVED.contains(key)) {
                throw new IllegalArgumentException(
                        key
                                + " cannot be overridden: KafkaBroker sets it to run one node on"
                                + " its own sockets");
            }
        }
    }

    /** Loopback, free ports, a temporary data dir, one partition per topic, no overrides. */
    public static BrokerSettings defaults() {
        return new BrokerSettings("127.0.0.1", 0, 0, null, 1, Map.of(), null);
    }

    public BrokerSettings withHost(String newHost) {
        return new BrokerSettings(
                newHost, brokerPort, controllerPort, dataDir, numPartitions, overrides, saslPlain);
    }

    public BrokerSettings withBrokerPort(int port) {
        return new BrokerSettings(
                host, port, controllerPort, dataDir, numPartitions, overrides, saslPlain);
    }

    public BrokerSettings withControllerPort(int port) {
        return new BrokerSettings(
                host, brokerPort, port, dataDir, numPartitions, overrides, saslPlain);
    }

    public BrokerSettings withDataDir(Path dir) {
        return new BrokerSettings(
                host, brokerPort, controllerPort, dir, numPartitions, overrides, saslPlain);
    }

    public BrokerSettings withNumPartitions(int partitions) {
        return new BrokerSettings(
                host, brokerPort, controllerPort, dataDir, partitions, overrides, saslPlain);
    }

    /** Adds one broker property; a later value for the same key wins. */
    public BrokerSettings withOverride(String key, String value) {
        Map<String, String> merged = new HashMap<>(overrides);
        merged.put(key, value);
        return new BrokerSettings(
                host, brokerPort, controllerPort, dataDir, numPartitions, merged, saslPlain);
    }

    /**
     * Adds a SASL_PLAINTEXT listener on a free port where these users (name to password) log in
     * with the PLAIN mechanism; see {@link SaslPlain}.
     */
    public BrokerSettings withSaslPlain(Map<String, String> users) {
        return withSaslPlain(new SaslPlain(0, users));
    }

    public BrokerSettings withSaslPlain(SaslPlain listener) {
        return new BrokerSettings(
                host, brokerPort, controllerPort, dataDir, numPartitions, overrides, listener);
    }

    private static void requireLoopback(String host) {
        Objects.requireNonNull(host, "host");
        try {
            if (!InetAddress.getByName(host).isLoopbackAddress()) {
                throw new IllegalArgumentException(
                        "host must be a loopback address such as 127.0.0.1 (the broker's client"
                                + " listener has no authentication), got "
                                + host);
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host " + host, e);
        }
    }

    private static void requirePort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(
                    name + " must be 0 (free port) to 65535, got " + port);
        }
    }
}
