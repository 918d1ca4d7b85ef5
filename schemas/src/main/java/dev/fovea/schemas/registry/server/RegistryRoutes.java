package dev.fovea.schemas.registry.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import dev.fovea.schemas.registry.CompatibilityLevel;
import dev.fovea.schemas.registry.ErrorCodes;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.RegisteredSchema;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLDecoder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The REST endpoints of Confluent's registry that real clients call, mapped onto a {@link
 * SchemaStore}.
 */
final class RegistryRoutes implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryRoutes.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Route> routes;

    RegistryRoutes(SchemaStore store) {
        routes =
                List.of(
                        new Route("GET", "/", request -> Map.of()),
                        new Route("GET", "/subjects", request -> store.subjects()),
                        new Route(
                                "GET",
                                "/subjects/{subject}/versions",
                                request -> store.versions(request.subject())),
                        new Route(
                                "POST",
                                "/subjects/{subject}/versions",
                                request ->
                                        Map.of(
                                                "id",
                                                store.register(
                                                        request.subject(), request.schema()))),
                        new Route(
                                "GET",
                                "/subjects/{subject}/versions/{version}",
                                request ->
                                        versionAnswer(
                                                store.version(
                                                        request.subject(), request.version()))),
                        new Route(
                                "GET",
                                "/subjects/{subject}/versions/{version}/schema",
                                request ->
                                        JSON.readTree(
                                                store.version(request.subject(), request.version())
                                                        .schema()
                                                        .toString())),
                        new Route(
                                "POST",
                                "/subjects/{subject}",
                                request ->
                                        versionAnswer(
                                                store.lookup(request.subject(), request.schema()))),
                        // Confluent adds "schemaType" only for PROTOBUF and JSON; all is AVRO here.
                        new Route(
                                "GET",
                                "/schemas/ids/{id}",
                                request -> Map.of("schema", store.schema(request.id()).toString())),
                        new Route(
                                "POST",
                                "/compatibility/subjects/{subject}/versions/{version}",
                                request ->
                                        Map.of(
                                                "is_compatible",
                                                store.isCompatible(
                                                        request.subject(),
                                                        request.version(),
                                                        request.schema()))),
                        new Route(
                                "GET",
                                "/config",
                                request -> Map.of("compatibilityLevel", store.globalLevel())),
                        new Route(
                                "PUT",
                                "/config",
                                request -> {
                                    CompatibilityLevel level = request.compatibility();
                                    store.setGlobalLevel(level);
                                    return Map.of("compatibility", level);
                                }),
                        new Route(
                                "GET",
                                "/config/{subject}",
                                request ->
                                        Map.of(
                                                "compatibilityLevel",
                                                store.subjectLevel(request.subject()))),
                        new Route(
                                "PUT",
                                "/config/{subject}",
                                request -> {
                                    CompatibilityLevel level = request.compatibility();
                                    store.setSubjectLevel(request.subject(), level);
                                    return Map.of("compatibility", level);
                                }));
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Answer answer = answer(exchange);
            byte[] body = JSON.writeValueAsBytes(answer.body());
            exchange.getResponseHeaders()
                    .set("Content-Type", HttpSchemaRegistryClient.CONTENT_TYPE);
            exchange.sendResponseHeaders(answer.status(), body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private Answer answer(HttpExchange exchange) {
        String method = exchange.getRequestMethod();
        List<String> path = segments(exchange.getRequestURI().getRawPath());
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            boolean pathKnown = false;
            for (Route route : routes) {
                Optional<Map<String, String>> parameters = route.match(path);
                if (parameters.isPresent() && route.method().equals(method)) {
                    return new Answer(
                            200, route.handler().handle(new Request(parameters.get(), body)));
                }
                pathKnown |= parameters.isPresent();
            }
            return pathKnown
                    ? error(new RegistryError(405, 405, "HTTP 405 Method Not Allowed: " + method))
                    : error(
                            new RegistryError(
                                    404,
                                    404,
                                    "HTTP 404 Not Found: no endpoint at "
                                            + exchange.getRequestURI()));
        } catch (RegistryError e) {
            return error(e);
        } catch (IOException | RuntimeException e) {
            LOG.error("{} {} failed", method, exchange.getRequestURI(), e);
            return error(
                    new RegistryError(
                            500, ErrorCodes.INTERNAL_ERROR, "Error in the schema registry: " + e));
        }
    }

    private static Answer error(RegistryError error) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error_code", error.errorCode());
        body.put("message", error.getMessage());
        return new Answer(error.status(), body);
    }

    private static Map<String, Object> versionAnswer(RegisteredSchema version) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("subject", version.subject());
        answer.put("version", version.version());
        answer.put("id", version.id());
        answer.put("schema", version.schema().toString());
        return answer;
    }

    /** Decoded path segments: subject names may hold dots, spaces or percent-encoded characters. */
    private static List<String> segments(String rawPath) {
        return Arrays.stream(rawPath.split("/"))
                .filter(segment -> !segment.isEmpty())
                // URLDecoder decodes forms, where '+' means a space; in a path it is a plus.
                .map(segment -> URLDecoder.decode(segment.replace("+", "%2B"), UTF_8))
                .collect(Collectors.toList());
    }

    private record Answer(int status, Object body) {}

    @FunctionalInterface
    private interface Handler {
        Object handle(Request request) throws IOException;
    }

    /** A method and a path pattern whose {@code {name}} segments capture parameters. */
    private record Route(String method, List<String> pattern, Handler handler) {
        Route(String method, String pattern, Handler handler) {
            this(method, segments(pattern), handler);
        }

        Optional<Map<String, String>> match(List<String> path) {
            if (path.size() != pattern.size()) {
                return Optional.empty();
            }
            Map<String, String> parameters = new HashMap<>();
            for (int i = 0; i < pattern.size(); i++) {
                String expected = pattern.get(i);
                if (expected.startsWith("{")) {
                    parameters.put(expected.substring(1, expected.length() - 1), path.get(i));
                } else if (!expected.equals(path.get(i))) {
                    return Optional.empty();
                }
            }
            return Optional.of(parameters);
        }
    }

    /** The path parameters and JSON body of a request, validated into what the store expects. */
    private record Request(Map<String, String> parameters, byte[] body) {
        String subject() {
            return parameters.get("subject");
        }

        int version() {
            String version = parameters.get("version");
            if (version.equals("latest") || version.equals("-1")) {
                return SchemaStore.LATEST;
            }
            try {
                int number = Integer.parseInt(version);
                if (number > 0) {
                    return number;
                }
            } catch (NumberFormatException e) {
                // answered below, like zero and negative numbers
            }
            throw RegistryError.invalidVersion(version);
        }

        int id() {
            String id = parameters.get("id");
            try {
                return Integer.parseInt(id);
            } catch (NumberFormatException e) {
                throw RegistryError.schemaNotFound("Schema " + id);
            }
        }

        /**
         * The {@code schema} field; only Avro, the only type Fovea uses and the default {@code
         * schemaType}.
         */
        String schema() {
            JsonNode json = json();
            String type = json.path("schemaType").asText("AVRO");
            if (!type.equals("AVRO")) {
                throw RegistryError.invalidSchema(
                        "this registry only holds AVRO schemas, not " + type);
            }
            if (!json.path("schema").isTextual()) {
                throw RegistryError.invalidSchema("the request has no \"schema\" string");
            }
            return json.path("schema").asText();
        }

        CompatibilityLevel compatibility() {
            try {
                return CompatibilityLevel.parse(json().path("compatibility").asText());
            } catch (IllegalArgumentException e) {
                throw RegistryError.invalidCompatibilityLevel(e.getMessage());
            }
        }

        private JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw RegistryError.badRequest("the request body is not JSON: " + e.getMessage());
            }
        }
    }
}
