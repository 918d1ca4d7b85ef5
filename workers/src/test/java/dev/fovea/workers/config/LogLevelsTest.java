package dev.fovea.workers.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.Map;

class LogLevelsTest {
    @Test
    void shouldReadALevelThenLoggerLevelPairs() {
        assertEquals(new LogLevels("info", Map.of()), LogLevels.parse("info"));
        assertEquals(
                new LogLevels("warn", Map.of("org.apache.kafka", "info", "tensorflow", "debug")),
                LogLevels.parse(" WARN , org.apache.kafka = info,tensorflow=DEBUG"));
    }

    @Test
    void shouldSayWhatIsWrongWithAValue() {
        ConfigException level =
                assertThrows(ConfigException.class, () -> LogLevels.parse("verbose"));
        assertTrue(
                level.getMessage().contains("'verbose' is not a level; use one of off, error,"),
                level.getMessage());
        ConfigException pair =
                assertThrows(ConfigException.class, () -> LogLevels.parse("info,kafka"));
        assertTrue(pair.getMessage().contains("'kafka' is not logger=level"), pair.getMessage());
    }

    @Test
    void shouldRefuseABadLogLevelOrFormatWhenTheSettingsAreRead() {
        ConfigException level =
                assertThrows(
                        ConfigException.class,
                        () ->
                                WorkerConfig.load(
                                        null,
                                        Map.of("FOVEA_LOG_LEVEL", "info,tensorflow=loud"),
                                        Map.of(WorkerConfig.MODEL_PATH, "/m")));
        assertTrue(level.getMessage().contains("log.level"), level.getMessage());
        ConfigException format =
                assertThrows(
                        ConfigException.class,
                        () ->
                                WorkerConfig.load(
                                        null,
                                        Map.of(),
                                        Map.of(
                                                WorkerConfig.MODEL_PATH,
                                                "/m",
                                                WorkerConfig.LOG_FORMAT,
                                                "xml")));
        assertTrue(format.getMessage().contains("log.format"), format.getMessage());
    }
}
