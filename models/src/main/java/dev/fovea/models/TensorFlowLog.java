package dev.fovea.models;

import com.sun.jna.Library;
import com.sun.jna.Native;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what TensorFlow's native code prints to stderr while it loads and first runs a model into
 * log lines of the logger {@code tensorflow}: its INFO lines at DEBUG, its warnings and errors at
 * their level. Everything else the process writes meanwhile passes through untouched.
 *
 * <p>Why capture file descriptor 2: TensorFlow 2.18 inside TF Java logs through two libraries.
 * tsl's {@code LOG} honours {@code TF_CPP_MIN_LOG_LEVEL} (the launcher and the container image set
 * it to 1), but {@code libtensorflow_cc} carries a private, statically linked copy of absl's
 * logging whose threshold is not exported, so "MLIR V1 optimization pass is not enabled" and absl's
 * "All log messages before absl::InitializeLog() is called ..." reach stderr whatever the
 * environment says. Without this, those lines interleave with the worker's own (and break {@code
 * log.format=json}).
 *
 * <p>Why only around loading: a fatal TensorFlow error ({@code LOG(FATAL)}, a failed {@code CHECK})
 * aborts the process right after writing its message; if stderr were a pipe read by a Java thread
 * at that moment the message could be lost. Loading and the warm-up run are when TensorFlow talks;
 * after them its rare lines go to stderr as they are, fatal ones included.
 */
public final class TensorFlowLog {
    private static final Logger log = LoggerFactory.getLogger("tensorflow");
    private static final Logger self = LoggerFactory.getLogger(TensorFlowLog.class);
    private static final int STDERR = 2;

    /** tsl: {@code 2026-11-23 08:41:06.419106: I tensorflow/cc/saved_model/reader.cc:147] text}. */
    private static final Pattern TSL =
            Pattern.compile(
                    "^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+: ([IWEF]) (\\S+)\\] (.*)$");

    /**
     * absl: {@code I0000 00:00:1795423266.432532 21042 mlir_graph_optimization_pass.cc:401] text}.
     */
    private static final Pattern ABSL =
            Pattern.compile("^([IWEF])\\d{4} \\d\\d:\\d\\d:\\d+\\.\\d+\\s+\\d+ (\\S+)\\] (.*)$");

    private static final String ABSL_PREAMBLE =
            "WARNING: All log messages before absl::InitializeLog()";

    /** The C library's file-descriptor calls (size_t and ssize_t are 64-bit here: long). */
    interface LibC extends Library {
        int pipe(int[] fds);

        int dup(int fd);

        int dup2(int from, int to);

        int close(int fd);

        long read(int fd, byte[] buffer, long count);

        long write(int fd, byte[] buffer, long count);
    }

    private static final Object lock = new Object();
    private static int depth;
    private static Capture capture;
    private static boolean unavailable;

    private TensorFlowLog() {}

    /**
     * Runs {@code work} (a model load, a first run) with TensorFlow's native lines turned into log
     * lines. Calls may nest and overlap across threads: the capture lasts from the first start to
     * the last end. Where the native calls are not available, runs {@code work} as it is.
     */
    public static <T> T capture(Callable<T> work) throws Exception {
        begin();
        try {
            return work.call();
        } finally {
            end();
        }
    }

    /** {@link #capture(Callable)} for work that throws only unchecked exceptions. */
    public static <T> T captureUnchecked(Callable<T> work) {
        try {
            return capture(work);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void begin() {
        synchronized (lock) {
            if (depth++ > 0 || unavailable) {
                return;
            }
            try {
                capture = Capture.start();
            } catch (RuntimeException | LinkageError e) {
                unavailable = true;
                self.debug("TensorFlow's native lines go to stderr as they are: {}", e.toString());
            }
        }
    }

    private static void end() {
        synchronized (lock) {
            if (--depth > 0 || capture == null) {
                return;
            }
            capture.stop();
            capture = null;
        }
    }

    /** Where the lines go: the {@code tensorflow} logger; tests collect them instead. */
    static volatile Consumer<Line> sink = Line::log;

    /** One line TensorFlow printed, as it goes to the log. */
    record Line(Level level, String message) {
        void log() {
            level.log(message);
        }
    }

    /**
     * Reads one line TensorFlow printed: its severity and text, the source file after it. A line in
     * neither of TensorFlow's formats continues the one before ("To enable the following
     * instructions: ...") and takes its level; without one before, it is at least a warning: native
     * output Fovea does not recognise is never hidden.
     */
    static Line parse(String line, Level previous) {
        Matcher m = TSL.matcher(line);
        if (!m.matches()) {
            m = ABSL.matcher(line);
        }
        if (m.matches()) {
            return new Line(Level.of(m.group(1).charAt(0)), m.group(3) + " (" + m.group(2) + ")");
        }
        if (line.startsWith(ABSL_PREAMBLE)) {
            return new Line(Level.DEBUG, line);
        }
        return new Line(previous == null ? Level.WARN : previous, line);
    }

    /** Where one of TensorFlow's severities goes in the worker's log. */
    enum Level {
        DEBUG,
        WARN,
        ERROR;

        static Level of(char severity) {
            switch (severity) {
                case 'I':
                    return DEBUG;
                case 'W':
                    return WARN;
                default:
                    return ERROR;
            }
        }

        void log(String message) {
            switch (this) {
                case DEBUG:
                    log.debug(message);
                    break;
                case WARN:
                    log.warn(message);
                    break;
                default:
                    log.error(message);
            }
        }
    }

    /** Descriptor 2 pointed at a pipe, a thread reading it, and what to put back. */
    private static final class Capture {
        private final LibC libc;
        private final int savedStderr;
        private final int readEnd;
        private final PrintStream javaStderr;
        private final Thread reader;

        private Capture(LibC libc, int savedStderr, int readEnd, PrintStream javaStderr) {
            this.libc = libc;
            this.savedStderr = savedStderr;
            this.readEnd = readEnd;
            this.javaStderr = javaStderr;
            this.reader = new Thread(this::readLines, "tensorflow-stderr");
            reader.setDaemon(true);
        }

        static Capture start() {
            LibC libc = Native.load("c", LibC.class);
            int[] fds = new int[2];
            if (libc.pipe(fds) != 0) {
                throw new IllegalStateException("pipe() failed");
            }
            int saved = libc.dup(STDERR);
            if (saved < 0) {
                libc.close(fds[0]);
                libc.close(fds[1]);
                throw new IllegalStateException("dup(2) failed");
            }
            // Java's own System.err would follow descriptor 2 into the pipe: point it at the real
            // stderr for the duration, so that only native output is read back.
            PrintStream javaStderr = System.err;
            System.err.flush();
            System.setErr(realStderr(libc, saved));
            if (libc.dup2(fds[1], STDERR) < 0) {
                System.setErr(javaStderr);
                libc.close(saved);
                libc.close(fds[0]);
                libc.close(fds[1]);
                throw new IllegalStateException("dup2() failed");
            }
            libc.close(fds[1]);
            Capture capture = new Capture(libc, saved, fds[0], javaStderr);
            capture.reader.start();
            return capture;
        }

        /**
         * A stream onto the saved copy of descriptor 2. Writing through the descriptor itself, not
         * a file reopened from /proc: when stderr is a file, a second open description would keep
         * an offset of its own, and descriptor 2's next write would overwrite these lines.
         */
        private static PrintStream realStderr(LibC libc, int fd) {
            OutputStream out =
                    new OutputStream() {
                        @Override
                        public void write(int b) throws IOException {
                            write(new byte[] {(byte) b}, 0, 1);
                        }

                        @Override
                        public void write(byte[] bytes, int offset, int length) throws IOException {
                            byte[] left = Arrays.copyOfRange(bytes, offset, offset + length);
                            while (left.length > 0) {
                                long n = libc.write(fd, left, left.length);
                                if (n <= 0) {
                                    throw new IOException("write to stderr failed");
                                }
                                left = Arrays.copyOfRange(left, (int) n, left.length);
                            }
                        }
                    };
            return new PrintStream(out, true, StandardCharsets.UTF_8);
        }

        void stop() {
            // The pipe's last writer is descriptor 2: putting stderr back closes it, the reader
            // drains what is left and sees the end.
            libc.dup2(savedStderr, STDERR);
            try {
                reader.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            PrintStream redirected = System.err;
            System.setErr(javaStderr);
            if (redirected != javaStderr) {
                redirected.close();
            }
            libc.close(savedStderr);
        }

        private static Level relay(ByteArrayOutputStream bytes, Level previous) {
            String text = bytes.toString(StandardCharsets.UTF_8);
            bytes.reset();
            if (text.isBlank()) {
                return previous;
            }
            Line line = parse(text, previous);
            sink.accept(line);
            return line.level();
        }

        private void readLines() {
            byte[] buffer = new byte[8192];
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            Level previous = null;
            try {
                long n;
                while ((n = libc.read(readEnd, buffer, buffer.length)) > 0) {
                    for (int i = 0; i < n; i++) {
                        if (buffer[i] == '\n') {
                            previous = relay(line, previous);
                        } else {
                            line.write(buffer[i]);
                        }
                    }
                }
                relay(line, previous);
            } finally {
                libc.close(readEnd);
            }
        }
    }
}
