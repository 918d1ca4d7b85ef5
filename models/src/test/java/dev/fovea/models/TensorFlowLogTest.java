package dev.fovea.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;

import dev.fovea.models.TensorFlowLog.Level;
import dev.fovea.models.TensorFlowLog.Line;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

class TensorFlowLogTest {
    /** Native writes to a descriptor, as TensorFlow's C++ logging does, and its abort. */
    interface Posix extends Library {
        long write(int fd, byte[] buffer, long count);

        void abort();
    }

    private static final Posix posix = Native.load("c", Posix.class);
    private final Consumer<Line> originalSink = TensorFlowLog.sink;
    private final Path originalDirectory = TensorFlowLog.directory;
    private final List<Line> logged = new CopyOnWriteArrayList<>();
    @TempDir Path tmp;

    @BeforeEach
    void captureIntoTheTestsDirectory() {
        TensorFlowLog.directory = tmp;
    }

    @AfterEach
    void restore() {
        TensorFlowLog.sink = originalSink;
        TensorFlowLog.directory = originalDirectory;
    }

    private static void nativeStderr(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(bytes.length, posix.write(2, bytes, bytes.length));
    }

    @Test
    void shouldReadTslAndAbslLinesAsTheirSeverityWithTheSourceAfterTheText() {
        assertEquals(
                new Line(
                        Level.DEBUG,
                        "Reading SavedModel from: /m (tensorflow/cc/saved_model/reader.cc:83)"),
                TensorFlowLog.parse(
                        "2026-11-23 08:41:10.774558: I tensorflow/cc/saved_model/reader.cc:83]"
                                + " Reading SavedModel from: /m",
                        null));
        assertEquals(
                new Line(
                        Level.DEBUG,
                        "MLIR V1 optimization pass is not enabled"
                                + " (mlir_graph_optimization_pass.cc:401)"),
                TensorFlowLog.parse(
                        "I0000 00:00:1795423266.432532   21042"
                                + " mlir_graph_optimization_pass.cc:401] MLIR V1 optimization"
                                + " pass is not enabled",
                        null));
        assertEquals(
                Level.WARN,
                TensorFlowLog.parse("W1123 08:41:06.432532 7 bfc_allocator.cc:1] slow", null)
                        .level());
        assertEquals(
                Level.ERROR,
                TensorFlowLog.parse("2026-11-23 08:41:10.774558: E a.cc:1] bad", null).level());
        assertEquals(
                Level.ERROR,
                TensorFlowLog.parse("F0000 00:00:1795423266.4 9 a.cc:1] Check failed", null)
                        .level());
    }

    @Test
    void shouldKeepAbslsPreambleAtDebugAndNeverHideLinesItDoesNotKnow() {
        assertEquals(
                Level.DEBUG,
                TensorFlowLog.parse(
                                "WARNING: All log messages before absl::InitializeLog() is called"
                                        + " are written to STDERR",
                                null)
                        .level());
        // A continuation takes the level of the line it continues...
        assertEquals(
                new Line(Level.DEBUG, "To enable the following instructions: AVX2 FMA"),
                TensorFlowLog.parse("To enable the following instructions: AVX2 FMA", Level.DEBUG));
        // ... and a line with nothing before it is shown as a warning.
        assertEquals(Level.WARN, TensorFlowLog.parse("something native went wrong", null).level());
    }

    @Test
    void shouldLogWhatNativeCodeWritesToStderrDuringTheCaptureAndNothingAfter() throws Exception {
        Path stderrBefore = Files.readSymbolicLink(Path.of("/proc/self/fd/2"));
        TensorFlowLog.sink = logged::add;

        String result =
                TensorFlowLog.capture(
                        () -> {
                            nativeStderr(
                                    "2026-11-23 08:41:10.774558: W tensorflow/a.cc:1] first\n"
                                            + "continued\n");
                            // Java's own stderr goes to the real stderr, not into the log.
                            System.err.println("a line of Java's own stderr");
                            // Nested, as an ensemble's members load inside the worker's start.
                            return TensorFlowLog.capture(
                                    () -> {
                                        nativeStderr("I0000 00:00:1.5 9 b.cc:2] second\n");
                                        return "done";
                                    });
                        });
        nativeStderr("W1123 08:41:06.432532 7 c.cc:3] after the capture: not logged\n");

        assertEquals("done", result);
        assertEquals(
                List.of(
                        new Line(Level.WARN, "first (tensorflow/a.cc:1)"),
                        new Line(Level.WARN, "continued"),
                        new Line(Level.DEBUG, "second (b.cc:2)")),
                logged);
        assertEquals(stderrBefore, Files.readSymbolicLink(Path.of("/proc/self/fd/2")));
    }

    @Test
    void shouldPutStderrBackWhenTheWorkFails() throws Exception {
        Path stderrBefore = Files.readSymbolicLink(Path.of("/proc/self/fd/2"));
        TensorFlowLog.sink = logged::add;

        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                TensorFlowLog.captureUnchecked(
                                        () -> {
                                            nativeStderr("E0000 00:00:1.5 9 d.cc:4] failing\n");
                                            throw new IllegalStateException("load failed");
                                        }));

        assertEquals("load failed", e.getMessage());
        assertEquals(List.of(new Line(Level.ERROR, "failing (d.cc:4)")), logged);
        assertEquals(stderrBefore, Files.readSymbolicLink(Path.of("/proc/self/fd/2")));
    }

    @Test
    void shouldLogWhatTensorFlowPrintedBeforeAProcessAbortedWhileLoading() throws Exception {
        // A process that aborts inside a capture, as TensorFlow does on a failed CHECK.
        Process child =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-cp",
                                System.getProperty("java.class.path"),
                                AbortsWhileLoading.class.getName(),
                                tmp.toString())
                        .directory(tmp.toFile())
                        .redirectErrorStream(true)
                        .start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(134, child.exitValue(), "128 + SIGABRT: " + output);
        assertFalse(
                output.contains("Check failed"), "it died with the line in the file: " + output);
        TensorFlowLog.sink = logged::add;

        TensorFlowLog.capture(() -> null);

        assertEquals(2, logged.size(), logged.toString());
        assertEquals(Level.ERROR, logged.get(0).level());
        assertTrue(
                logged.get(0).message().startsWith("process " + child.pid() + " stopped while"),
                logged.toString());
        assertEquals(
                new Line(Level.ERROR, "Check failed: device != nullptr (gpu_device.cc:1)"),
                logged.get(1));
        try (var left = Files.list(tmp)) {
            assertEquals(
                    List.of(),
                    left.filter(f -> f.getFileName().toString().startsWith("fovea-")).toList(),
                    "told once");
        }
    }

    @Test
    void shouldLeaveTheCaptureOfAProcessThatStillRunsAlone() throws Exception {
        Process sibling = new ProcessBuilder("sleep", "30").start();
        try {
            long start = sibling.info().startInstant().orElseThrow().getEpochSecond();
            Path theirs =
                    Files.writeString(
                            tmp.resolve(
                                    "fovea-tensorflow-stderr-"
                                            + sibling.pid()
                                            + "-"
                                            + start
                                            + ".log"),
                            "I0000 00:00:1.5 9 b.cc:2] loading\n");
            TensorFlowLog.sink = logged::add;

            TensorFlowLog.capture(() -> null);

            assertEquals(List.of(), logged, "another worker's capture, still going");
            assertTrue(Files.exists(theirs));
        } finally {
            sibling.destroy();
        }
    }

    /** Starts a capture, prints a fatal line natively and aborts, as TensorFlow would. */
    public static final class AbortsWhileLoading {
        public static void main(String[] args) throws Exception {
            TensorFlowLog.directory = Path.of(args[0]);
            TensorFlowLog.capture(
                    () -> {
                        nativeStderr(
                                "F0000 00:00:1795423266.4 9 gpu_device.cc:1] Check failed:"
                                        + " device != nullptr\n");
                        posix.abort();
                        return null;
                    });
        }
    }
}
