package dev.fovea.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.fovea.ops.logging.Logging;
import dev.fovea.workers.config.WorkerConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

class ErrorsTest {
    private final PrintStream stderr = System.err;

    @AfterEach
    void restore() {
        System.setErr(stderr);
        logFormat("text");
    }

    private static void logFormat(String format) {
        logSettings(format, "info");
    }

    private static void logSettings(String format, String level) {
        Logging.apply(
                WorkerConfig.load(
                        null,
                        Map.of(),
                        Map.of(
                                WorkerConfig.MODEL_PATH,
                                "/m",
                                WorkerConfig.LOG_FORMAT,
                                format,
                                WorkerConfig.LOG_LEVEL,
                                level)));
    }

    private static int worker(StringWriter err, String... settings) {
        CommandLine cli = Fovea.commandLine();
        cli.setErr(new PrintWriter(err, true));
        String[] args = new String[settings.length * 2 + 1];
        args[0] = "worker";
        for (int i = 0; i < settings.length; i++) {
            args[1 + 2 * i] = "--set";
            args[2 + 2 * i] = settings[i];
        }
        return cli.execute(args);
    }

    @Test
    void shouldPrintOneLineForASettingTheUserCanFix() {
        StringWriter err = new StringWriter();

        int code = worker(err, "model.path=/m", "top.k=0");

        assertEquals(Errors.USER_ERROR, code);
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(
                err.toString().startsWith("fovea worker: Invalid value 0 for configuration top.k"),
                err.toString());
    }

    @Test
    void shouldWriteThatLineAsJsonWhenTheLogIsJson() throws Exception {
        logFormat("json");
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
        StringWriter err = new StringWriter();

        int code = worker(err, "model.path=/m", "top.k=0");

        assertEquals(Errors.USER_ERROR, code);
        assertEquals("", err.toString(), "nothing in plain text");
        String log = logged.toString(StandardCharsets.UTF_8);
        assertEquals(1, log.lines().count(), log);
        JsonNode line = new ObjectMapper().readTree(log);
        assertEquals("ERROR", line.get("level").asText());
        assertTrue(
                line.get("message")
                        .asText()
                        .startsWith("fovea worker: Invalid value 0 for configuration top.k"),
                log);
    }

    @Test
    void shouldStillPrintTheLineWhenTheLogIsOff() {
        logSettings("json", "off");
        StringWriter err = new StringWriter();

        int code = worker(err, "model.path=/m", "top.k=0");

        assertEquals(Errors.USER_ERROR, code);
        assertTrue(
                err.toString().startsWith("fovea worker: Invalid value 0 for configuration top.k"),
                err.toString());
    }
}
