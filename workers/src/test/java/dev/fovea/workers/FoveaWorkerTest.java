package dev.fovea.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fovea.schemas.registry.RegistryUnavailableException;

import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

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
}
