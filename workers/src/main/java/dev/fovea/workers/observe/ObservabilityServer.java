package dev.fovea.workers.observe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The worker's HTTP endpoint, on the JDK's own server: {@code /live}, {@code /ready} and {@code
 * /startup} answer 200 or 503 with a one-word body; {@code /metrics} the Prometheus text page. One
 * thread serves them all: probes and scrapes are rare and quick.
 */
public final class ObservabilityServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ObservabilityServer.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ObservabilityServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Listens on every interface at {@code port} (0: any free port).
     *
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static ObservabilityServer start(int port, Health health, Supplier<String> metrics) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot listen for metrics and health on port "
                            + port
                            + " (metrics.port): "
                            + e.getMessage(),
                    e);
        }
        probe(server, "/live", health::isLive, "live", "wedged");
        probe(server, "/ready", health::isReady, "ready", "not ready");
        probe(server, "/startup", health::isStarted, "started", "starting");
        server.createContext(
                "/metrics",
                exchange -> {
                    String page;
                    try {
                        page = metrics.get();
                    } catch (RuntimeException e) {
                        // A page that fails to render must not take the probes down with it.
                        log.warn("cannot render /metrics: {}", e.toString());
                        respond(exchange, 500, "text/plain; charset=utf-8", e.toString());
                        return;
                    }
                    respond(exchange, 200, PrometheusText.CONTENT_TYPE, page);
                });
        ExecutorService executor =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, "fovea-http");
                            t.setDaemon(true);
                            return t;
                        });
        server.setExecutor(executor);
        server.start();
        log.info(
                "metrics and health on http://0.0.0.0:{}/ (metrics, live, ready, startup)",
                server.getAddress().getPort());
        return new ObservabilityServer(server, executor);
    }

    private static void probe(
            HttpServer server, String path, BooleanSupplier check, String yes, String no) {
        server.createContext(
                path,
                exchange -> {
                    boolean ok = check.getAsBoolean();
                    respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? yes : no);
                });
    }

    private static void respond(HttpExchange exchange, int status, String type, String body)
            throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    /** The port listened on: the configured one, or the one picked for 0. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops listening; a second call does nothing (a worker may be closed twice). */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
