package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.models.Labels;
import dev.fovea.models.ModelMetadata;
import dev.fovea.workers.FoveaWorker;
import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.runtime.ModelLoadException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.GroupListing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A worker whose model cannot be served, on a reachable broker and registry so that its startup
 * gets as far as the model: it stops at once with one line naming the file, and Kafka Streams is
 * never started, so the worker never joins its group and never takes a partition from a good one.
 */
class BrokenModelTest {
    /** What the CLI's {@code Errors} returns for a failure the user can fix. */
    private static final int USER_ERROR = 2;

    @TempDir static Path tmp;

    @Test
    void shouldRefuseLabelsThatDoNotMatchTheClassesWithoutStartingKafkaStreams() throws Exception {
        Fixture.Topics topics = Fixture.Topics.create("broken-labels", 1);
        Path labels = tmp.resolve("three-labels.txt");
        Files.write(labels, List.of("ant", "bee", "cat"));
        WorkerConfig config =
                Fixture.workerConfig(
                        "broken-labels",
                        topics,
                        Map.of(WorkerConfig.MODEL_LABELS, labels.toString()));

        ModelLoadException e =
                assertThrows(ModelLoadException.class, () -> FoveaWorker.start(config).close());

        assertEquals(
                "labels file "
                        + labels
                        + " has 3 labels but model "
                        + Fixture.model()
                        + " has 10 classes (output 'probabilities:0' [-1, 10]): give one label"
                        + " per line, one line per class, in class index order",
                e.getMessage());
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            assertFalse(
                    thread.getName().startsWith("broken-labels-worker"),
                    "a Kafka Streams thread was started: " + thread.getName());
        }
        assertNoGroup("broken-labels");
    }

    @Test
    void shouldExitWithOneLineAndNoStackTraceWhenTheSavedModelIsCorrupt() throws Exception {
        Fixture.Topics topics = Fixture.Topics.create("broken-graph", 1);
        Path model = corruptModel("broken-graph");
        Map<String, String> settings =
                Fixture.workerSettings(
                        "broken-graph", topics, Map.of(WorkerConfig.MODEL_PATH, model.toString()));

        // TensorFlow's native warnings on, as ./fovea runs it: what a user would see.
        try (WorkerProcess worker =
                WorkerProcess.start(
                        "broken-graph", settings, Map.of("TF_CPP_MIN_LOG_LEVEL", "1"))) {
            int code = worker.awaitExit(Duration.ofSeconds(60));

            assertEquals(USER_ERROR, code, worker.tail());
            List<String> lines = worker.log().lines().toList();
            assertEquals(
                    "fovea worker: "
                            + model.resolve("saved_model.pb")
                            + " is not a readable SavedModel graph (Read less bytes than"
                            + " requested): it is corrupt or truncated; copy the whole model"
                            + " directory again, or rebuild it with ./fovea model build or"
                            + " ./fovea model import",
                    lines.get(lines.size() - 1),
                    worker.tail());
            for (String line : lines) {
                assertFalse(
                        line.startsWith("\tat ") || line.contains("Exception"),
                        "a stack trace: " + line + worker.tail());
            }
            // FoveaWorker logs every state change of Kafka Streams, CREATED -> RUNNING first.
            assertFalse(worker.log().contains("Kafka Streams"), worker.tail());
        }
        assertNoGroup("broken-graph");
    }

    /** A model directory complete but for its graph: random bytes where saved_model.pb is. */
    private static Path corruptModel(String name) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        byte[] junk = new byte[4096];
        new Random(7).nextBytes(junk);
        Files.write(dir.resolve("saved_model.pb"), junk);
        Files.write(dir.resolve(Labels.FILE_NAME), Labels.generated(10));
        new ModelMetadata(
                        name,
                        "1",
                        "inception_v3",
                        299,
                        "inception",
                        ModelMetadata.HALF_PIXEL,
                        10,
                        0,
                        "probabilities",
                        Labels.FILE_NAME,
                        "BrokenModelTest")
                .write(dir);
        return dir;
    }

    /** The broker knows no group {@code applicationId}: no member of it ever joined. */
    private static void assertNoGroup(String applicationId) throws Exception {
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                Fixture.stack().bootstrapServers()))) {
            List<String> groups =
                    admin.listGroups().all().get(30, TimeUnit.SECONDS).stream()
                            .map(GroupListing::groupId)
                            .toList();
            assertTrue(!groups.contains(applicationId), applicationId + " in " + groups);
        }
    }
}
