package dev.fovea.ops.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;

import dev.fovea.workers.config.LogLevels;
import dev.fovea.workers.config.WorkerConfig;

import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where Fovea's log goes and at which levels: stderr (stdout is for what commands print, such as
 * {@code consume --json}), in {@link FoveaLayout}'s text or JSON format.
 *
 * <p>Logging starts before the worker's settings are read, from the environment ({@code
 * FOVEA_LOG_FORMAT}, {@code FOVEA_LOG_LEVEL}, the same variables the settings map); {@link
 * #apply(WorkerConfig)} then applies {@code log.format} and {@code log.level} from wherever they
 * were set.
 */
public final class Logging {
    /** False when a configuration of the user's ({@code -Dlogback.configurationFile}) is in use. */
    private static volatile boolean ours;

    /** Loggers the last {@code log.level} named: the next one resets those it does not name. */
    private static final Set<String> named = ConcurrentHashMap.newKeySet();

    private Logging() {}

    static void install(LoggerContext context) {
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        FoveaLayout layout = new FoveaLayout();
        layout.setContext(context);
        layout.start();
        encoder.setLayout(layout);
        // Not the platform's default: without LANG (a bare container) that is ASCII.
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("stderr");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(stderr);

        // A bad value here is reported by the worker's settings with a message; until then,
        // the defaults.
        LogLevels levels;
        try {
            levels = LogLevels.parse(envOr("FOVEA_LOG_LEVEL", "info"));
        } catch (RuntimeException e) {
            levels = LogLevels.parse("info");
        }
        ours = true;
        apply(context, "json".equalsIgnoreCase(envOr("FOVEA_LOG_FORMAT", "text")), levels);
    }

    /**
     * Applies the worker's {@code log.format} and {@code log.level}; nothing when the user's own
     * logback configuration is in use (it says what it wants).
     */
    public static void apply(WorkerConfig config) {
        LoggerContext context = context();
        if (context != null && ours) {
            apply(context, config.jsonLogs(), config.logLevels());
        }
    }

    private static void apply(LoggerContext context, boolean json, LogLevels levels) {
        FoveaLayout.json(json);
        Level root = Level.toLevel(levels.root());
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(root);
        for (String name : named) {
            context.getLogger(name).setLevel(null); // back to inheriting the root's level
        }
        named.clear();
        // Kafka's loggers at warn, or quieter when the whole log is (error, off).
        Level kafka = root.isGreaterOrEqual(Level.WARN) ? root : Level.WARN;
        for (String name : LogLevels.KAFKA_LOGGERS) {
            context.getLogger(name).setLevel(kafka);
        }
        levels.loggers()
                .forEach(
                        (name, level) -> {
                            context.getLogger(name).setLevel(Level.toLevel(level));
                            named.add(name);
                        });
    }

    /** Whether the log is written as JSON lines. */
    public static boolean jsonLines() {
        return FoveaLayout.json();
    }

    /**
     * Only errors from these loggers (the bench starts a worker per run: one set of lines each).
     */
    public static void quiet(Collection<String> loggers) {
        LoggerContext context = context();
        if (context != null) {
            loggers.forEach(name -> context.getLogger(name).setLevel(Level.ERROR));
        }
    }

    /** Logback's context, or null when another SLF4J backend was put on the class path. */
    private static LoggerContext context() {
        return LoggerFactory.getILoggerFactory() instanceof LoggerContext
                ? (LoggerContext) LoggerFactory.getILoggerFactory()
                : null;
    }

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}
