package dev.fovea.ops.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;

import org.slf4j.event.KeyValuePair;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * Fovea's two log formats. Text: {@code 08:38:15.438 [main] INFO FoveaWorker - message}, the stack
 * trace below it. JSON: one object per line, {@code timestamp} (ISO-8601 UTC), {@code level},
 * {@code logger}, {@code thread}, {@code message}, then the event's key-value pairs as fields (a
 * dead letter's {@code reason} and {@code imageId}, the summary's counts), and {@code error} with
 * the stack trace when there is one. The text format leaves the pairs out: its message says them.
 */
public final class FoveaLayout extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    /** Switched by {@link Logging#apply} once the worker's settings are read. */
    private static volatile boolean json;

    static void json(boolean on) {
        json = on;
    }

    static boolean json() {
        return json;
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        return json ? json(event) : text(event);
    }

    static String text(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(160);
        line.append(TIME.format(event.getInstant()))
                .append(" [")
                .append(event.getThreadName())
                .append("] ")
                .append(event.getLevel())
                .append(' ')
                .append(shortName(event.getLoggerName()))
                .append(" - ")
                .append(event.getFormattedMessage())
                .append(CoreConstants.LINE_SEPARATOR);
        IThrowableProxy error = event.getThrowableProxy();
        if (error != null) {
            line.append(ThrowableProxyUtil.asString(error)).append(CoreConstants.LINE_SEPARATOR);
        }
        return line.toString();
    }

    static String json(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(256).append('{');
        field(line, "timestamp", event.getInstant().truncatedTo(ChronoUnit.MILLIS).toString());
        field(line, "level", event.getLevel().toString());
        field(line, "logger", event.getLoggerName());
        field(line, "thread", event.getThreadName());
        field(line, "message", event.getFormattedMessage());
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair pair : pairs) {
                field(line, pair.key, pair.value);
            }
        }
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null) {
            mdc.forEach((key, value) -> field(line, key, value));
        }
        IThrowableProxy error = event.getThrowableProxy();
        if (error != null) {
            field(line, "error", ThrowableProxyUtil.asString(error));
        }
        return line.append('}').append(CoreConstants.LINE_SEPARATOR).toString();
    }

    private static void field(StringBuilder line, String key, Object value) {
        if (line.length() > 1) {
            line.append(',');
        }
        quote(line, key).append(':');
        boolean finite =
                value instanceof Double
                        ? Double.isFinite((Double) value)
                        : !(value instanceof Float) || Float.isFinite((Float) value);
        if ((value instanceof Number && finite) || value instanceof Boolean) {
            line.append(value);
        } else {
            quote(line, String.valueOf(value));
        }
    }

    /** JSON string escaping (RFC 8259): quote, backslash and control characters. */
    static StringBuilder quote(StringBuilder line, String text) {
        line.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"':
                    line.append("\\\"");
                    break;
                case '\\':
                    line.append("\\\\");
                    break;
                case '\n':
                    line.append("\\n");
                    break;
                case '\r':
                    line.append("\\r");
                    break;
                case '\t':
                    line.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        line.append(String.format("\\u%04x", (int) c));
                    } else {
                        line.append(c);
                    }
            }
        }
        return line.append('"');
    }

    /** {@code dev.fovea.workers.FoveaWorker} -> {@code FoveaWorker}, as slf4j-simple showed it. */
    private static String shortName(String logger) {
        return logger.substring(logger.lastIndexOf('.') + 1);
    }
}
