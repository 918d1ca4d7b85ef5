package dev.fovea.workers.config;

import org.apache.kafka.common.config.ConfigException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The value of {@code log.level}: a level for the log as a whole, then optional {@code
 * logger=level} pairs, e.g. {@code info,org.apache.kafka=info,tensorflow=debug}. Kafka's own
 * loggers stay at warn unless a pair names them: at info they log every client's whole config.
 *
 * @param root the level of every logger no pair names
 * @param loggers levels by logger name (a name covers the loggers below it)
 */
public record LogLevels(String root, Map<String, String> loggers) {
    public static final List<String> LEVELS =
            List.of("off", "error", "warn", "info", "debug", "trace");

    /** Kafka's broker and clients log at info what only matters when something is wrong. */
    public static final List<String> KAFKA_LOGGERS =
            List.of("org.apache.kafka", "kafka", "state.change.logger");

    public LogLevels {
        loggers = Map.copyOf(loggers);
    }

    /** Parses {@code log.level}; the message of the exception says what is wrong. */
    public static LogLevels parse(String value) {
        String[] parts = value.split(",", -1);
        String root = level(value, parts[0].trim());
        Map<String, String> loggers = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String pair = parts[i].trim();
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(
                        WorkerConfig.LOG_LEVEL,
                        value,
                        "'" + pair + "' is not logger=level (e.g. org.apache.kafka=info)");
            }
            loggers.put(pair.substring(0, eq).trim(), level(value, pair.substring(eq + 1).trim()));
        }
        return new LogLevels(root, loggers);
    }

    private static String level(String value, String level) {
        String lower = level.toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(lower)) {
            throw new ConfigException(
                    WorkerConfig.LOG_LEVEL,
                    value,
                    "'" + level + "' is not a level; use one of " + String.join(", ", LEVELS));
        }
        return lower;
    }
}
