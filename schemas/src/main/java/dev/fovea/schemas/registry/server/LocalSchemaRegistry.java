package dev.fovea.schemas.registry.server;

import com.sun.net.httpserver.HttpServer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small Confluent-compatible schema registry, for local runs and tests: Confluent's own is not
 * obtainable here. It speaks the endpoints that the Java, kafkajs and Python clients call, keeps
 * Avro schemas only, and persists to one JSON file when given a data directory.
 *
 * <pre>{@code
 * try (LocalSchemaRegistry registry = LocalSchemaRegistry.start("localhost", 0, null)) {
 *   SchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
 * }
 * }</pre>
 */
public final class LocalSchemaRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSchemaRegistry.class);
    private static final int THREADS = 4;

    private final HttpServer server;
    private final ExecutorService executor;
    private final String url;

    private LocalSchemaRegistry(HttpServer server, ExecutorService executor, String url) {
        this.server = server;
        this.executor = executor;
        this.url = url;
    }

    /**
     * Starts a registry on {@code host:port} ({@code port} 0 picks a free one), keeping its data in
     * {@code dataDir}, or in memory only when it is null.
     */
    public static LocalSchemaRegistry start(String host, int port, Path dataDir) {
        SchemaStore store = dataDir == null ? SchemaStore.inMemory() : SchemaStore.open(dataDir);
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot start the schema registry on "
                            + host
                            + ":"
                            + port
                            + " ("
                            + e.getMessage()
                            + "): is another registry running there? Pick another port, or 0 for"
                            + " any free one",
                    e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, daemonThreads());
        server.createContext("/", new RegistryRoutes(store));
        server.setExecutor(executor);
        server.start();
        String url = "http://" + host + ":" + server.getAddress().getPort();
        LOG.info(
                "Schema registry listening on {}, {}",
                url,
                dataDir == null ? "in memory" : "data in " + dataDir);
        return new LocalSchemaRegistry(server, executor, url);
    }

    /**
     * Runs a registry until the process is stopped: {@code LocalSchemaRegistry [port [dataDir]]}.
     */
    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8081;
        Path dataDir = args.length > 1 ? Path.of(args[1]) : null;
        LocalSchemaRegistry registry = start("localhost", port, dataDir);
        Runtime.getRuntime().addShutdownHook(new Thread(registry::close));
        Thread.currentThread().join();
    }

    /** The base URL clients use, such as {@code http://localhost:8081}. */
    public String url() {
        return url;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** Daemon threads: a registry a test forgot to close must not keep the JVM alive. */
    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "schema-registry-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
