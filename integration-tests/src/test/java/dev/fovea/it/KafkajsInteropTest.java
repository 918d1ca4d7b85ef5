package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.fovea.workers.FoveaWorker;

import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Fovea's wire format and registry, checked by a client no one here wrote: kafkajs with
 * {@code @kafkajs/confluent-schema-registry} (npm) registers ImageEvent itself, produces images,
 * and decodes the worker's predictions. {@code ./fovea test} installs it with {@code npm ci}.
 */
class KafkajsInteropTest {
    private static final Path NODE_PROJECT = Path.of("src", "test", "node").toAbsolutePath();
    private static final Path AVSC =
            Path.of("..", "schemas", "src", "main", "avro", "ImageEvent.avsc").toAbsolutePath();

    @Test
    void shouldServeImagesProducedByKafkajsAndBeDecodedByIt() throws Exception {
        assertTrue(
                Files.isDirectory(NODE_PROJECT.resolve("node_modules")),
                "run `npm ci` in " + NODE_PROJECT + " (./fovea test does it)");
        Fixture.Topics topics = Fixture.Topics.create("interop", 2);
        List<Path> photos = Fixture.photographs().subList(0, 6);

        try (FoveaWorker worker =
                FoveaWorker.start(Fixture.workerConfig("interop", topics, Map.of()))) {
            assertTrue(worker.awaitRunning(Duration.ofMinutes(1)));
            Map<String, String> env =
                    Map.of(
                            "BOOTSTRAP", Fixture.stack().bootstrapServers(),
                            "REGISTRY", Fixture.stack().registryUrl(),
                            "IMAGES_TOPIC", topics.images(),
                            "PREDICTIONS_TOPIC", topics.predictions(),
                            "AVSC", AVSC.toString(),
                            "IMAGES",
                                    photos.stream()
                                            .map(Path::toString)
                                            .collect(Collectors.joining(",")),
                            "ID_PREFIX", "kafkajs-",
                            "TIMEOUT_MS", "120000");
            Path output = Files.createTempFile("kafkajs-interop", ".out");
            Process node = start(env, output);
            boolean finished = node.waitFor(150, TimeUnit.SECONDS);
            if (!finished) {
                node.destroyForcibly();
            }
            List<String> lines = Files.readAllLines(output);
            assertTrue(
                    finished,
                    "node interop.mjs did not finish within 150 s:\n" + String.join("\n", lines));
            assertEquals(
                    0, node.exitValue(), "node interop.mjs failed:\n" + String.join("\n", lines));

            ObjectMapper json = new ObjectMapper();
            List<JsonNode> predictions = new ArrayList<>();
            JsonNode done = null;
            for (String line : lines) {
                if (line.startsWith("{")) {
                    JsonNode record = json.readTree(line);
                    if (record.has("done")) {
                        done = record;
                    } else if (record.has("imageId")) {
                        predictions.add(record);
                    }
                }
            }
            assertEquals(photos.size(), predictions.size(), String.join("\n", lines));
            for (JsonNode p : predictions) {
                assertEquals(p.get("key").asText(), p.get("imageId").asText());
                assertTrue(p.get("imageId").asText().startsWith("kafkajs-"));
                assertEquals(5, p.get("top").size());
                assertEquals(
                        "kafkajs",
                        p.get("attributes").get("client").asText(),
                        "attributes copied through");
            }
            // kafkajs registered the .avsc contract itself, under the TopicNameStrategy subject.
            int registered = done.get("imageSchemaId").asInt();
            assertEquals(
                    new Schema.Parser().parse(AVSC.toFile()),
                    Fixture.registry().getById(registered));
            assertTrue(
                    Fixture.registry().versions(topics.images() + "-value").stream()
                            .anyMatch(
                                    v ->
                                            Fixture.registry()
                                                            .version(topics.images() + "-value", v)
                                                            .id()
                                                    == registered));
        }
    }

    private static Process start(Map<String, String> env, Path output) throws IOException {
        ProcessBuilder builder =
                new ProcessBuilder("node", "interop.mjs")
                        .directory(NODE_PROJECT.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile());
        builder.environment().putAll(env);
        return builder.start();
    }
}
