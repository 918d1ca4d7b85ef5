package dev.fovea.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.schemas.registry.RegistryUnavailableException;
import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.runtime.ModelLoadException;

import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

class FoveaWorkerTest {
    @Test
    void shouldExplainAStreamFailureByTheRegistryErrorItWraps() {
        RegistryUnavailableException down =
                new RegistryUnavailableException(
                        "cannot reach the schema registry at http://registry:8081 (connection"
                                + " refused) [13 attempts over 60012 ms]",
                        0,
                        0,
                        null);
        // Kafka Streams' own message carries the whole stack trace of its cause.
        StreamsException failure =
                new StreamsException(
                        "Exception caught in process. taskId=0_0, stacktrace=...",
                        new StreamsException("in parse-event", down));

        assertEquals(down.getMessage(), FoveaWorker.explain(failure));
    }

    @Test
    void shouldExplainAnyOtherFailureByItself() {
        IllegalStateException other = new IllegalStateException("model closed");

        assertEquals("java.lang.IllegalStateException: model closed", FoveaWorker.explain(other));
    }

    @Test
    void shouldRefuseAMissingModelBeforeWaitingForTheRegistryOrKafka(@TempDir Path tmp) {
        Path missing = tmp.resolve("no-model");
        // Nothing listens on port 1: the registry would be retried for the whole minute.
        WorkerConfig config =
                WorkerConfig.of(
                        Map.of(
                                WorkerConfig.MODEL_PATH,
                                missing.toString(),
                                WorkerConfig.SCHEMA_REGISTRY_URL,
                                "http://127.0.0.1:1",
                                WorkerConfig.BOOTSTRAP_SERVERS,
                                "127.0.0.1:1",
                                WorkerConfig.STARTUP_TIMEOUT_MS,
                                "60000"));
        long start = System.nanoTime();

        ModelLoadException e =
                assertThrows(ModelLoadException.class, () -> FoveaWorker.start(config).close());

        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(elapsedMs < 5_000, "refused after " + elapsedMs + " ms");
        assertTrue(e.getMessage().startsWith("model directory " + missing), e.getMessage());
    }
}
