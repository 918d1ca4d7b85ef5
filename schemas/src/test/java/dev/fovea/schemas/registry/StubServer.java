package dev.fovea.schemas.registry;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server giving one canned answer to every request, for what LocalSchemaRegistry never does: fail
 * with a 5xx, hang, check credentials, or hold Protobuf schemas. It counts requests and records the
 * last Authorization header.
 */
final class StubServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicInteger requests = new AtomicInteger();
    private volatile String authorization;

    private StubServer(int status, String body, boolean hang) {
        try {
            server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext(
                "/",
                exchange -> {
                    try (exchange) {
                        requests.incrementAndGet();
                        authorization = exchange.getRequestHeaders().getFirst("Authorization");
                        if (hang) {
                            closing.await();
                        }
                        byte[] bytes = body.getBytes(UTF_8);
                        exchange.sendResponseHeaders(status, bytes.length);
                        exchange.getResponseBody().write(bytes);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        server.setExecutor(executor);
        server.start();
    }

    static StubServer answering(int status, String body) {
        return new StubServer(status, body, false);
    }

    /** Never answers until closed. */
    static StubServer hanging() {
        return new StubServer(200, "{}", true);
    }

    String url() {
        return "http://localhost:" + server.getAddress().getPort();
    }

    int requests() {
        return requests.get();
    }

    String lastAuthorization() {
        return authorization;
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
