package dev.fovea.ops.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;

class FoveaLayoutTest {
    private static final LoggerContext context = new LoggerContext();

    static {
        // What logback's own start-up gives the context it builds.
        context.setMDCAdapter(new LogbackMDCAdapter());
    }

    private static final Instant AT =
            LocalDateTime.of(2026, 11, 23, 8, 38, 15, 438_123_456)
                    .atZone(ZoneId.systemDefault())
                    .toInstant();

    private static LoggingEvent event(String message, Throwable error, Object... args) {
        LoggingEvent event =
                new LoggingEvent(
                        FoveaLayoutTest.class.getName(),
                        context.getLogger("dev.fovea.workers.FoveaWorker"),
                        Level.INFO,
                        message,
                        error,
                        args);
        event.setInstant(AT);
        event.setThreadName("main");
        return event;
    }

    @Test
    void shouldWriteTextLinesAsTheWorkerAlwaysHas() {
        assertEquals(
                "08:38:15.438 [main] INFO FoveaWorker - worker w1 serving m 1"
                        + System.lineSeparator(),
                FoveaLayout.text(event("worker {} serving {} {}", null, "w1", "m", 1)));
    }

    @Test
    void shouldWriteOneJsonObjectPerLineWithTheEventsPairsAsFields() throws Exception {
        LoggingEvent event = event("dead letter {} for image {}", null, "UNDECODABLE_IMAGE", "a");
        event.addKeyValuePair(new KeyValuePair("reason", "UNDECODABLE_IMAGE"));
        event.addKeyValuePair(new KeyValuePair("imageId", "a\"b\\c\nd\u0001"));
        event.addKeyValuePair(new KeyValuePair("skipped", 3L));
        event.addKeyValuePair(new KeyValuePair("ratio", Double.NaN));

        String line = FoveaLayout.json(event);

        assertTrue(line.endsWith("}" + System.lineSeparator()), line);
        assertEquals(1, line.strip().lines().count(), "one line: " + line);
        JsonNode json = new ObjectMapper().readTree(line);
        // ISO-8601 in UTC, to the millisecond.
        assertEquals(AT.truncatedTo(ChronoUnit.MILLIS).toString(), json.get("timestamp").asText());
        assertTrue(json.get("timestamp").asText().endsWith(":15.438Z"));
        assertEquals("INFO", json.get("level").asText());
        assertEquals("dev.fovea.workers.FoveaWorker", json.get("logger").asText());
        assertEquals("main", json.get("thread").asText());
        assertEquals("dead letter UNDECODABLE_IMAGE for image a", json.get("message").asText());
        assertEquals("UNDECODABLE_IMAGE", json.get("reason").asText());
        assertEquals("a\"b\\c\nd\u0001", json.get("imageId").asText(), "escaped and read back");
        assertTrue(json.get("skipped").isIntegralNumber(), "numbers stay numbers");
        assertEquals(3, json.get("skipped").asInt());
        assertEquals("NaN", json.get("ratio").asText(), "not a JSON number: a string");
        assertFalse(json.has("error"));
        Iterator<String> names = json.fieldNames();
        assertEquals("timestamp", names.next(), "the timestamp leads");
    }

    @Test
    void shouldPutTheStackTraceInTheErrorField() throws Exception {
        JsonNode json =
                new ObjectMapper()
                        .readTree(
                                FoveaLayout.json(
                                        event("cannot load", new IllegalStateException("boom"))));

        String error = json.get("error").asText();
        assertTrue(error.startsWith("java.lang.IllegalStateException: boom"), error);
        assertTrue(error.contains("\tat " + FoveaLayoutTest.class.getName()), error);
        assertEquals("cannot load", json.get("message").asText(), "the message apart from it");
    }
}
