package dev.fovea.ops.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;

import dev.fovea.workers.config.WorkerConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.Map;

class LoggingTest {
    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();

    @AfterEach
    void backToTheDefault() {
        level("info");
    }

    private static void level(String value) {
        Logging.apply(
                WorkerConfig.load(
                        null,
                        Map.of(),
                        Map.of(WorkerConfig.MODEL_PATH, "/m", WorkerConfig.LOG_LEVEL, value)));
    }

    private Level effective(String logger) {
        return context.getLogger(logger).getEffectiveLevel();
    }

    @Test
    void shouldKeepKafkaAtWarnUnderAnInfoLog() {
        level("info");

        assertEquals(Level.INFO, effective("dev.fovea.workers.FoveaWorker"));
        assertEquals(Level.WARN, effective("org.apache.kafka.clients.NetworkClient"));
    }

    @Test
    void shouldQuietKafkaTooWhenTheWholeLogIsQuieter() {
        level("off");

        assertEquals(Level.OFF, effective("dev.fovea.workers.FoveaWorker"));
        assertEquals(Level.OFF, effective("org.apache.kafka.clients.NetworkClient"));
    }

    @Test
    void shouldForgetLoggersTheNextLevelDoesNotName() {
        level("info,tensorflow=debug,org.apache.kafka=info");
        assertEquals(Level.DEBUG, effective("tensorflow"));
        assertEquals(Level.INFO, effective("org.apache.kafka.clients.NetworkClient"));

        level("info");

        assertEquals(Level.INFO, effective("tensorflow"));
        assertEquals(Level.WARN, effective("org.apache.kafka.clients.NetworkClient"));
    }
}
