package dev.fovea.schemas.registry;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A server giving one canned answer to every request, for what LocalSchemaRegistry never does: fail
 * with a 5xx, hang, check credentials, hold Protobuf schemas, or speak HTTPS. It counts requests
 * and records the last Authorization header.
 */
final class StubServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicInteger requests = new AtomicInteger();
    private volatile String authorization;

    private final boolean https;

    private StubServer(
            int status, String body, boolean hang, SSLContext tls, boolean needClientAuth) {
        https = tls != null;
        try {
            InetSocketAddress address = new InetSocketAddress("localhost", 0);
            if (tls == null) {
                server = HttpServer.create(address, 0);
            } else {
                HttpsServer secure = HttpsServer.create(address, 0);
                secure.setHttpsConfigurator(
                        new HttpsConfigurator(tls) {
                            @Override
                            public void configure(HttpsParameters params) {
                                // HttpsParameters.setNeedClientAuth alone is not applied (JDK 17).
                                SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                                ssl.setNeedClientAuth(needClientAuth);
                                params.setSSLParameters(ssl);
                            }
                        });
                server = secure;
            }
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
        return new StubServer(status, body, false, null, false);
    }

    /**
     * Over HTTPS with the certificate of {@code tls}; with {@code needClientAuth}, only to clients
     * presenting a certificate {@code tls} trusts.
     */
    static StubServer answeringOverHttps(
            int status, String body, SSLContext tls, boolean needClientAuth) {
        return new StubServer(status, body, false, tls, needClientAuth);
    }

    /** Never answers until closed. */
    static StubServer hanging() {
        return new StubServer(200, "{}", true, null, false);
    }

    String url() {
        return (https ? "https" : "http") + "://localhost:" + server.getAddress().getPort();
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
