package dev.fovea.schemas.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.fovea.avro.ImageEvent;
import dev.fovea.avro.Prediction;
import dev.fovea.schemas.registry.server.LocalSchemaRegistry;

import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

class HttpSchemaRegistryClientTest {
    private static final String SUBJECT = "images.raw-value";
    private static final Schema IMAGE_EVENT = ImageEvent.getClassSchema();
    private static final ObjectMapper JSON = new ObjectMapper();

    private LocalSchemaRegistry registry;
    private HttpSchemaRegistryClient client;

    @BeforeEach
    void startRegistry() {
        registry = LocalSchemaRegistry.start("localhost", 0, null);
        client = new HttpSchemaRegistryClient(registry.url());
    }

    @AfterEach
    void stopRegistry() {
        registry.close();
    }

    @Test
    void shouldRegisterIdempotently() {
        int id = client.register(SUBJECT, IMAGE_EVENT);

        // A second client, so that its cache cannot answer for the registry.
        assertEquals(
                id, new HttpSchemaRegistryClient(registry.url()).register(SUBJECT, IMAGE_EVENT));
        assertEquals(List.of(1), client.versions(SUBJECT));
    }

    @Test
    void shouldGiveConcurrentRegistrationsOfOneSchemaOneIdAndOneVersion() throws Exception {
        ExecutorService producers = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> ids =
                    producers.invokeAll(
                            Collections.nCopies(
                                    16,
                                    () ->
                                            new HttpSchemaRegistryClient(registry.url())
                                                    .register(SUBJECT, IMAGE_EVENT)));
            for (Future<Integer> id : ids) {
                assertEquals(1, id.get());
            }
        } finally {
            producers.shutdownNow();
        }
        assertEquals(List.of(1), client.versions(SUBJECT));
    }

    @Test
    void shouldShareIdsAcrossSubjectsForIdenticalSchemas() {
        int images = client.register(SUBJECT, IMAGE_EVENT);
        int replays = client.register("images.replay-value", IMAGE_EVENT);
        int predictions = client.register("predictions-value", Prediction.getClassSchema());

        assertEquals(images, replays);
        assertNotEquals(images, predictions);
        assertEquals(
                List.of("images.raw-value", "images.replay-value", "predictions-value"),
                client.subjects());
    }

    @Test
    void shouldLookUpAndFetchRegisteredVersions() {
        int first = client.register(SUBJECT, IMAGE_EVENT);
        Schema second = withField(IMAGE_EVENT, "source", true);
        int secondId = client.register(SUBJECT, second);

        RegisteredSchema found = client.lookup(SUBJECT, IMAGE_EVENT);
        assertEquals(new RegisteredSchema(SUBJECT, 1, first, IMAGE_EVENT), found);
        assertEquals(new RegisteredSchema(SUBJECT, 2, secondId, second), client.latest(SUBJECT));
        assertEquals(
                new RegisteredSchema(SUBJECT, 1, first, IMAGE_EVENT), client.version(SUBJECT, 1));
        assertEquals(second, new HttpSchemaRegistryClient(registry.url()).getById(secondId));
    }

    @Test
    void shouldRejectABackwardIncompatibleSchemaWithTheSubjectAndLevel() {
        client.register(SUBJECT, IMAGE_EVENT);
        Schema breaking = withField(IMAGE_EVENT, "source", false);

        assertFalse(client.testCompatibility(SUBJECT, breaking));
        SchemaRegistryException e =
                assertThrows(
                        SchemaRegistryException.class, () -> client.register(SUBJECT, breaking));
        assertEquals(409, e.status());
        assertEquals(ErrorCodes.INCOMPATIBLE_SCHEMA, e.errorCode());
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "the schema is incompatible with subject 'images.raw-value' under "
                                        + "compatibility level BACKWARD"),
                e.getMessage());
        assertTrue(
                e.getMessage().contains("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/5 (source)"),
                e.getMessage());
        assertEquals(List.of(1), client.versions(SUBJECT));
    }

    @Test
    void shouldAcceptTheSameChangeWithADefaultOrUnderLevelNone() {
        client.register(SUBJECT, IMAGE_EVENT);
        assertTrue(client.testCompatibility(SUBJECT, withField(IMAGE_EVENT, "source", true)));

        client.setSubjectCompatibility(SUBJECT, CompatibilityLevel.NONE);

        assertEquals(Optional.of(CompatibilityLevel.NONE), client.subjectCompatibility(SUBJECT));
        client.register(SUBJECT, withField(IMAGE_EVENT, "source", false));
        assertEquals(List.of(1, 2), client.versions(SUBJECT));
    }

    @Test
    void shouldReadAndSetCompatibilityLevels() {
        assertEquals(CompatibilityLevel.BACKWARD, client.globalCompatibility());
        assertEquals(Optional.empty(), client.subjectCompatibility(SUBJECT));

        client.setGlobalCompatibility(CompatibilityLevel.FULL_TRANSITIVE);
        client.setSubjectCompatibility(SUBJECT, CompatibilityLevel.FORWARD);

        assertEquals(CompatibilityLevel.FULL_TRANSITIVE, client.globalCompatibility());
        assertEquals(Optional.of(CompatibilityLevel.FORWARD), client.subjectCompatibility(SUBJECT));
        assertEquals(Optional.empty(), client.subjectCompatibility("predictions-value"));
    }

    @Test
    void shouldFailWith40401ForAnUnknownSubject() {
        SchemaRegistryException e =
                assertThrows(SchemaRegistryException.class, () -> client.latest("nope-value"));

        assertEquals(ErrorCodes.SUBJECT_NOT_FOUND, e.errorCode());
        assertEquals(404, e.status());
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "subject 'nope-value' not found in the schema registry at "
                                        + registry.url()),
                e.getMessage());
    }

    @Test
    void shouldFailWith40402ForAnUnknownVersion() {
        client.register(SUBJECT, IMAGE_EVENT);

        SchemaRegistryException e =
                assertThrows(SchemaRegistryException.class, () -> client.version(SUBJECT, 7));

        assertEquals(ErrorCodes.VERSION_NOT_FOUND, e.errorCode());
        assertTrue(
                e.getMessage().startsWith("subject 'images.raw-value' has no version 7"),
                e.getMessage());
    }

    @Test
    void shouldFailWith40403ForAnUnknownSchemaId() {
        SchemaRegistryException e =
                assertThrows(SchemaRegistryException.class, () -> client.getById(404));

        assertEquals(ErrorCodes.SCHEMA_NOT_FOUND, e.errorCode());
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "unknown schema id 404: the record was written against a different "
                                        + "registry? This one is "
                                        + registry.url()),
                e.getMessage());
    }

    @Test
    void shouldFailWith40403WhenLookingUpASchemaTheSubjectLacks() {
        client.register(SUBJECT, IMAGE_EVENT);

        SchemaRegistryException e =
                assertThrows(
                        SchemaRegistryException.class,
                        () -> client.lookup(SUBJECT, Prediction.getClassSchema()));

        assertEquals(ErrorCodes.SCHEMA_NOT_FOUND, e.errorCode());
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "the schema is not registered under subject 'images.raw-value'"),
                e.getMessage());
    }

    @Test
    void shouldExplainAnInvalidSchemaAnswer() {
        try (StubServer stub =
                StubServer.answering(
                        422,
                        "{\"error_code\":42201,\"message\":\"Invalid schema: No name in"
                                + " schema\"}")) {
            SchemaRegistryException e =
                    assertThrows(
                            SchemaRegistryException.class,
                            () ->
                                    new HttpSchemaRegistryClient(stub.url())
                                            .register(SUBJECT, IMAGE_EVENT));

            assertFalse(e instanceof RegistryUnavailableException);
            assertEquals(ErrorCodes.INVALID_SCHEMA, e.errorCode());
            assertEquals(
                    "the schema registry at "
                            + stub.url()
                            + " rejected the schema for subject 'images.raw-value' "
                            + "as invalid: Invalid schema: No name in schema",
                    e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"PROTOBUF", "JSON"})
    void shouldRejectANonAvroSchemaIdAsBadDataOnce(String type) {
        String schema =
                type.equals("PROTOBUF")
                        ? "syntax = \"proto3\"; message ImageEvent { string id = 1; }"
                        : "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}}";
        String answer =
                JSON.createObjectNode().put("schema", schema).put("schemaType", type).toString();
        try (StubServer stub = StubServer.answering(200, answer)) {
            HttpSchemaRegistryClient shared = new HttpSchemaRegistryClient(stub.url());

            UnsupportedSchemaTypeException e =
                    assertThrows(UnsupportedSchemaTypeException.class, () -> shared.getById(7));
            assertThrows(UnsupportedSchemaTypeException.class, () -> shared.getById(7));

            assertEquals(
                    "schema id 7 is "
                            + type
                            + "; Fovea reads Avro records only: the record was written by a "
                            + type
                            + " serializer, to a topic that should carry Avro",
                    e.getMessage());
            assertEquals(7, e.id());
            assertEquals(type, e.schemaType());
            assertEquals(200, e.status());
            assertEquals(1, stub.requests(), "ids are immutable: the answer is remembered");
        }
    }

    @Test
    void shouldKeepAnAvroSchemaItCannotParseFatal() {
        String answer =
                JSON.createObjectNode()
                        .put("schema", "{\"type\": \"record\"}")
                        .put("schemaType", "AVRO")
                        .toString();
        try (StubServer stub = StubServer.answering(200, answer)) {
            SchemaRegistryException e =
                    assertThrows(
                            SchemaRegistryException.class,
                            () -> new HttpSchemaRegistryClient(stub.url()).getById(7));

            assertFalse(e instanceof UnsupportedSchemaTypeException);
            assertEquals(ErrorCodes.INVALID_SCHEMA, e.errorCode());
        }
    }

    @Test
    void shouldReportAClosedPortAsUnavailableWithTheUrl() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://localhost:" + closedPort;

        RegistryUnavailableException e =
                assertThrows(
                        RegistryUnavailableException.class,
                        () -> new HttpSchemaRegistryClient(url).subjects());

        assertEquals(0, e.status());
        assertEquals(
                "cannot reach the schema registry at "
                        + url
                        + " (connection refused): check schema.registry.url, "
                        + "or start the local stack with ./fovea local up",
                e.getMessage());
    }

    @Test
    void shouldReportServerErrorsAsUnavailable() {
        try (StubServer stub =
                StubServer.answering(
                        503, "{\"error_code\":50301,\"message\":\"backing store not ready\"}")) {
            RegistryUnavailableException e =
                    assertThrows(
                            RegistryUnavailableException.class,
                            () -> new HttpSchemaRegistryClient(stub.url()).getById(1));

            assertEquals(503, e.status());
            assertEquals(50301, e.errorCode());
            assertTrue(e.getMessage().contains("backing store not ready"), e.getMessage());
        }
    }

    @Test
    void shouldReportATimeoutAsUnavailable() {
        try (StubServer stub = StubServer.hanging()) {
            HttpSchemaRegistryClient impatient =
                    HttpSchemaRegistryClient.builder(stub.url())
                            .requestTimeout(Duration.ofMillis(200))
                            .build();

            RegistryUnavailableException e =
                    assertThrows(RegistryUnavailableException.class, impatient::subjects);

            assertTrue(e.getMessage().contains("(no answer within 200 ms)"), e.getMessage());
        }
    }

    @Test
    void shouldSendBasicAuthFromTheUrlAndKeepThePasswordOutOfMessages() {
        try (StubServer stub =
                StubServer.answering(401, "{\"error_code\":401,\"message\":\"Unauthorized\"}")) {
            String url = stub.url().replace("http://", "http://fovea:s3cret@");

            SchemaRegistryException e =
                    assertThrows(
                            SchemaRegistryException.class,
                            () -> new HttpSchemaRegistryClient(url).subjects());

            String expected =
                    "Basic "
                            + Base64.getEncoder()
                                    .encodeToString(
                                            "fovea:s3cret".getBytes(StandardCharsets.UTF_8));
            assertEquals(expected, stub.lastAuthorization());
            assertTrue(e.getMessage().contains("check basic.auth.user.info"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        }
    }

    @Test
    void shouldServeSchemasByIdFromItsCacheOnceFetched() {
        int id = client.register(SUBJECT, IMAGE_EVENT);
        client.getById(id);

        registry.close();

        assertEquals(IMAGE_EVENT, client.getById(id));
        assertThrows(RegistryUnavailableException.class, () -> client.getById(id + 1));
    }

    /** The schema with one more string field, with or without a default. */
    private static Schema withField(Schema schema, String name, boolean withDefault) {
        List<Schema.Field> fields = new ArrayList<>();
        schema.getFields().forEach(field -> fields.add(new Schema.Field(field, field.schema())));
        fields.add(
                new Schema.Field(
                        name,
                        Schema.create(Schema.Type.STRING),
                        null,
                        withDefault ? "camera" : null));
        return Schema.createRecord(
                schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }
}
