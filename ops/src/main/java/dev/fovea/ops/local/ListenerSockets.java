package dev.fovea.ops.local;

import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.server.ServerSocketFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

/**
 * The broker's listening sockets (clients', the controller's, and optionally an authenticated one
 * for clients), bound here before any Kafka thread starts and then handed to Kafka's socket servers
 * in place of the ones they would open.
 *
 * <p>Why not let Kafka bind them: a busy controller port makes Kafka's controller report a fatal
 * fault, which halts the whole JVM (reproduced with Kafka 4.3.1), and a port "picked free" by
 * opening and closing a probe socket could be taken again before Kafka binds it. Binding first
 * gives a plain "port in use" error and makes port 0 race-free (Kafka's own test kit does the
 * same). The channels are non-blocking because Kafka's acceptor selects on them.
 */
final class ListenerSockets implements ServerSocketFactory, AutoCloseable {

    static final String BROKER = "PLAINTEXT";
    static final String CONTROLLER = "CONTROLLER";
    static final String SASL = "SASL_PLAINTEXT";

    /** The port to pass for a listener that is not wanted. */
    static final int NONE = -1;

    private final ServerSocketChannel broker;
    private final ServerSocketChannel controller;

    /** Null when the broker has no SASL listener. */
    private final ServerSocketChannel sasl;

    private ListenerSockets(
            ServerSocketChannel broker, ServerSocketChannel controller, ServerSocketChannel sasl) {
        this.broker = broker;
        this.controller = controller;
        this.sasl = sasl;
    }

    /**
     * @param saslPort the SASL listener's port, 0 for a free one, or {@link #NONE}
     */
    static ListenerSockets bind(String host, int brokerPort, int controllerPort, int saslPort) {
        ServerSocketChannel broker =
                bind(
                        host,
                        brokerPort,
                        "port %d on %s is in use: is a local stack already running (./fovea local"
                                + " status)? choose another with --kafka-port");
        try {
            ServerSocketChannel controller =
                    bind(
                            host,
                            controllerPort,
                            "port %d on %s (the Kafka controller's) is in use: is a local stack"
                                    + " already running (./fovea local status)? choose another with"
                                    + " --kafka-port");
            try {
                ServerSocketChannel sasl =
                        saslPort == NONE
                                ? null
                                : bind(
                                        host,
                                        saslPort,
                                        "port %d on %s (for the SASL listener) is in use: choose"
                                                + " another");
                return new ListenerSockets(broker, controller, sasl);
            } catch (RuntimeException e) {
                closeQuietly(controller);
                throw e;
            }
        } catch (RuntimeException e) {
            closeQuietly(broker);
            throw e;
        }
    }

    int brokerPort() {
        return broker.socket().getLocalPort();
    }

    int controllerPort() {
        return controller.socket().getLocalPort();
    }

    /** The SASL listener's port, or {@link #NONE}. */
    int saslPort() {
        return sasl == null ? NONE : sasl.socket().getLocalPort();
    }

    /**
     * Called by Kafka's socket servers; the address and buffer sizes are the ones bound already.
     */
    @Override
    public ServerSocketChannel openServerSocket(
            String listenerName,
            InetSocketAddress address,
            int listenBacklogSize,
            int recvBufferSize) {
        return switch (listenerName) {
            case BROKER -> broker;
            case CONTROLLER -> controller;
            case SASL -> {
                if (sasl == null) {
                    throw new IllegalArgumentException("no socket bound for listener " + SASL);
                }
                yield sasl;
            }
            default ->
                    throw new IllegalArgumentException(
                            "no socket bound for listener " + listenerName);
        };
    }

    /** Kafka closes the sockets it took when it shuts down; closing again is harmless. */
    @Override
    public void close() {
        closeQuietly(broker);
        closeQuietly(controller);
        closeQuietly(sasl);
    }

    private static ServerSocketChannel bind(String host, int port, String inUseMessage) {
        ServerSocketChannel channel = null;
        try {
            channel = ServerSocketChannel.open();
            channel.configureBlocking(false);
            channel.bind(new InetSocketAddress(host, port));
            return channel;
        } catch (BindException e) {
            closeQuietly(channel);
            throw new BrokerException(String.format(inUseMessage, port, host), e);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot open a socket on " + host + ":" + port, e);
        }
    }

    private static void closeQuietly(ServerSocketChannel channel) {
        Utils.closeQuietly(channel, "listener socket");
    }
}
