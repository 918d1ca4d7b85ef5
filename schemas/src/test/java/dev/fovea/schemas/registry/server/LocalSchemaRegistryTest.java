package dev.fovea.schemas.registry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.ImageEvent;
import dev.fovea.avro.Prediction;
import dev.fovea.schemas.registry.CompatibilityLevel;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.RegisteredSchema;
import dev.fovea.schemas.registry.RegistryUnavailableException;
import dev.fovea.schemas.registry.SchemaRegistryClient;

import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The registry as clients in other languages see it: raw HTTP and JSON. */
class LocalSchemaRegistryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static final Schema IMAGE = ImageEvent.getClassSchema();
    private static final Schema PREDICTION = Prediction.getClassSchema();

    private LocalSchemaRegistry registry;

    @BeforeEach
    void startRegistry() {
        registry = LocalSchemaRegistry.start("localhost", 0, null);
    }

    @AfterEach
    void stopRegistry() {
        registry.close();
    }

    @Test
    void shouldAnswerSuccessesAndErrorsInTheRegistryContentType() {
        Answer success = call("GET", "/config", null);
        Answer error = call("GET", "/subjects/nope/versions", null);

        assertEquals(200, success.status());
        assertEquals(HttpSchemaRegistryClient.CONTENT_TYPE, success.contentType());
        assertEquals(404, error.status());
        assertEquals(HttpSchemaRegistryClient.CONTENT_TYPE, error.contentType());
        assertEquals(40401, error.json().path("error_code").asInt());
        assertEquals("Subject 'nope' not found.", error.json().path("message").asText());
    }

    @Test
    void shouldRegisterTheSameSchemaOnceWhateverItsFormatting() throws IOException {
        String pretty;
        try (InputStream avsc = getClass().getResourceAsStream("/avro/ImageEvent.avsc")) {
            pretty = new String(avsc.readAllBytes(), StandardCharsets.UTF_8);
        }
        String compact = JSON.readTree(pretty).toString();

        Answer first = call("POST", "/subjects/images.raw-value/versions", schemaBody(pretty));
        Answer again = call("POST", "/subjects/images.raw-value/versions", schemaBody(compact));

        assertEquals("{\"id\":1}", first.body());
        assertEquals("{\"id\":1}", again.body());
        assertEquals("[1]", call("GET", "/subjects/images.raw-value/versions", null).body());
    }

    @Test
    void shouldRejectAnUnparseableSchemaWith42201() {
        Answer answer =
                call(
                        "POST",
                        "/subjects/images.raw-value/versions",
                        schemaBody("{\"type\": \"record\"}"));

        assertEquals(422, answer.status());
        assertEquals(42201, answer.json().path("error_code").asInt());
        assertTrue(
                answer.json().path("message").asText().contains("No name in schema"),
                answer.body());
    }

    @Test
    void shouldServeSchemasByIdIgnoringQueryParameters() {
        call(
                "POST",
                "/subjects/images.raw-value/versions",
                schemaBody(ImageEvent.getClassSchema().toString()));

        Answer known =
                call("GET", "/schemas/ids/1?fetchMaxId=false&subject=images.raw-value", null);
        Answer unknown = call("GET", "/schemas/ids/2", null);

        assertEquals(ImageEvent.getClassSchema().toString(), known.json().path("schema").asText());
        assertEquals(40403, unknown.json().path("error_code").asInt());
    }

    @Test
    void shouldServeVersionsAndTheirRawSchemas() {
        call(
                "POST",
                "/subjects/images.raw-value/versions",
                schemaBody(ImageEvent.getClassSchema().toString()));

        JsonNode latest = call("GET", "/subjects/images.raw-value/versions/latest", null).json();
        Answer raw = call("GET", "/subjects/images.raw-value/versions/1/schema", null);
        Answer missing = call("GET", "/subjects/images.raw-value/versions/2", null);

        assertEquals("images.raw-value", latest.path("subject").asText());
        assertEquals(1, latest.path("version").asInt());
        assertEquals(1, latest.path("id").asInt());
        assertEquals(ImageEvent.getClassSchema().toString(), raw.body());
        assertEquals(40402, missing.json().path("error_code").asInt());
    }

    @Test
    void shouldAnswer40408ForASubjectWithoutItsOwnCompatibilityThenKeepTheOneSet() {
        // What kafkajs does before registering: GET the subject's config, PUT one on 404,
        // then register.
        Answer unset = call("GET", "/config/images.raw-value", null);
        Answer set = call("PUT", "/config/images.raw-value", "{\"compatibility\":\"FULL\"}");

        assertEquals(404, unset.status());
        assertEquals(40408, unset.json().path("error_code").asInt());
        assertEquals("{\"compatibility\":\"FULL\"}", set.body());
        assertEquals(
                "{\"compatibilityLevel\":\"FULL\"}",
                call("GET", "/config/images.raw-value", null).body());
        assertEquals("{\"compatibilityLevel\":\"BACKWARD\"}", call("GET", "/config", null).body());
    }

    @Test
    void shouldSetTheGlobalCompatibility() {
        Answer set = call("PUT", "/config", "{\"compatibility\":\"FORWARD_TRANSITIVE\"}");
        Answer invalid = call("PUT", "/config", "{\"compatibility\":\"SIDEWAYS\"}");

        assertEquals("{\"compatibility\":\"FORWARD_TRANSITIVE\"}", set.body());
        assertEquals(42203, invalid.json().path("error_code").asInt());
        assertEquals(
                "{\"compatibilityLevel\":\"FORWARD_TRANSITIVE\"}",
                call("GET", "/config", null).body());
    }

    @Test
    void shouldDecodeSubjectNamesInPaths() {
        call(
                "POST",
                "/subjects/my%20images.v2-value/versions",
                schemaBody(ImageEvent.getClassSchema().toString()));

        assertEquals("[\"my images.v2-value\"]", call("GET", "/subjects", null).body());
        assertEquals(
                1,
                call(
                                "POST",
                                "/subjects/my%20images.v2-value",
                                schemaBody(ImageEvent.getClassSchema().toString()))
                        .json()
                        .path("version")
                        .asInt());
    }

    @Test
    void shouldAnswerCompatibilityChecksAgainstALatestVersion() {
        String withoutDefault =
                ImageEvent.getClassSchema()
                        .toString()
                        .replace(
                                "\"fields\":[",
                                "\"fields\":[{\"name\":\"source\",\"type\":\"string\"},");
        String check = "/compatibility/subjects/images.raw-value/versions/latest";
        Answer firstEver = call("POST", check, schemaBody(withoutDefault));
        call(
                "POST",
                "/subjects/images.raw-value/versions",
                schemaBody(ImageEvent.getClassSchema().toString()));

        Answer breaking = call("POST", check, schemaBody(withoutDefault));

        assertEquals("{\"is_compatible\":true}", firstEver.body());
        assertEquals("{\"is_compatible\":false}", breaking.body());
    }

    @Test
    void shouldKeepIdsSubjectsVersionsAndConfigAcrossARestart(@TempDir Path dataDir) {
        RegisteredSchema image;
        RegisteredSchema prediction;
        try (LocalSchemaRegistry first = LocalSchemaRegistry.start("localhost", 0, dataDir)) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(first.url());
            client.register("predictions-value", Prediction.getClassSchema());
            client.register("images.raw-value", ImageEvent.getClassSchema());
            client.setSubjectCompatibility("images.raw-value", CompatibilityLevel.FULL);
            client.setGlobalCompatibility(CompatibilityLevel.NONE);
            image = client.latest("images.raw-value");
            prediction = client.latest("predictions-value");
        }

        try (LocalSchemaRegistry second = LocalSchemaRegistry.start("localhost", 0, dataDir)) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(second.url());
            assertEquals(image, client.lookup("images.raw-value", ImageEvent.getClassSchema()));
            assertEquals(prediction, client.latest("predictions-value"));
            assertEquals(ImageEvent.getClassSchema(), client.getById(image.id()));
            assertEquals(
                    Optional.of(CompatibilityLevel.FULL),
                    client.subjectCompatibility("images.raw-value"));
            assertEquals(CompatibilityLevel.NONE, client.globalCompatibility());
            assertEquals(
                    3,
                    client.register("dead-letters-value", DeadLetter.getClassSchema()),
                    "new ids continue after the restored ones");
            assertEquals(
                    List.of("dead-letters-value", "images.raw-value", "predictions-value"),
                    client.subjects());
        }
    }

    /**
     * A failed save (a full disk, say) answers 500 and must leave nothing behind: an id kept in
     * memory only would be answered to the client's retry, and given to another schema after a
     * restart.
     */
    @Test
    void shouldNotHandOutAnIdItFailedToSave(@TempDir Path dataDir) throws IOException {
        Path data = dataDir.resolve("registry.json");
        Path saved = dataDir.resolve("registry.json.saved");
        int image;
        int prediction;
        try (LocalSchemaRegistry first = LocalSchemaRegistry.start("localhost", 0, dataDir)) {
            image = new HttpSchemaRegistryClient(first.url()).register("images.raw-value", IMAGE);
            // A directory where the file goes: the rename that saves the state fails.
            Files.move(data, saved);
            Files.createDirectory(data);

            RegistryUnavailableException failed =
                    assertThrows(
                            RegistryUnavailableException.class,
                            () ->
                                    new HttpSchemaRegistryClient(first.url())
                                            .register("predictions-value", PREDICTION));
            assertEquals(500, failed.status());

            Files.delete(data);
            Files.move(saved, data);
            prediction =
                    new HttpSchemaRegistryClient(first.url())
                            .register("predictions-value", PREDICTION);
        }
        try (Stream<Path> files = Files.list(dataDir)) {
            assertEquals(List.of(data), files.collect(Collectors.toList()), "no temporary files");
        }

        try (LocalSchemaRegistry second = LocalSchemaRegistry.start("localhost", 0, dataDir)) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(second.url());
            assertEquals(IMAGE, client.getById(image));
            assertEquals(PREDICTION, client.getById(prediction));
            assertEquals(prediction, client.lookup("predictions-value", PREDICTION).id());
            int deadLetter = client.register("dead-letters-value", DeadLetter.getClassSchema());
            assertEquals(3, Set.copyOf(List.of(image, prediction, deadLetter)).size());
        }
    }

    @Test
    void shouldGiveANewSchemaTheIdAfterTheHighestRestoredOne(@TempDir Path dataDir)
            throws IOException {
        // Ids 1 and 2 were given to schemas whose registrations were lost, say: only 3 is left.
        Files.writeString(
                dataDir.resolve("registry.json"),
                JSON.writeValueAsString(
                        Map.of(
                                "schemas", Map.of("3", PREDICTION.toString()),
                                "subjects", Map.of("predictions-value", List.of(3)),
                                "compatibility", "BACKWARD",
                                "subjectCompatibility", Map.of())));

        try (LocalSchemaRegistry restored = LocalSchemaRegistry.start("localhost", 0, dataDir)) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(restored.url());
            assertEquals(4, client.register("images.raw-value", IMAGE));
            assertEquals(5, client.register("dead-letters-value", DeadLetter.getClassSchema()));
            assertEquals(PREDICTION, client.getById(3));
        }
    }

    private record Answer(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * A plain JSON content type, as curl or a script would send, which the registry must accept.
     */
    private Answer call(String method, String path, String body) {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create(registry.url() + path))
                        .header("Content-Type", "application/json")
                        .method(
                                method,
                                body == null
                                        ? BodyPublishers.noBody()
                                        : BodyPublishers.ofString(body))
                        .build();
        try {
            var response = HTTP.send(request, BodyHandlers.ofString());
            return new Answer(
                    response.statusCode(),
                    response.headers().firstValue("Content-Type").orElse(""),
                    response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String schemaBody(String schema) {
        return JSON.createObjectNode().put("schema", schema).toString();
    }
}
