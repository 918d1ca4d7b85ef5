package dev.fovea.models;

import com.sun.jna.Library;
import com.sun.jna.Native;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns what TensorFlow's native code prints to stderr while it loads and first runs a model into
 * log lines of the logger {@code tensorflow}: its INFO lines at DEBUG, its warnings and errors at
 * their level. Java's own {@code System.err} is not touched; any other native output meanwhile (a
 * JVM warning) is logged too, as a warning.
 *
 * <p>Why capture file descriptor 2: TensorFlow 2.18 inside TF Java logs through two libraries.
 * tsl's {@code LOG} honours {@code TF_CPP_MIN_LOG_LEVEL} (the launcher and the container image set
 * it to 1), but {@code libtensorflow_cc} carries a private, statically linked copy of absl's
 * logging whose threshold is not exported, so "MLIR V1 optimization pass is not enabled" and absl's
 * "All log messages before absl::InitializeLog() is called ..." reach stderr whatever the
 * environment says. Without this, those lines interleave with the worker's own (and break {@code
 * log.format=json}).
 *
 * <p>Why a file, and why only around loading: a fatal TensorFlow error ({@code LOG(FATAL)}, a
 * failed {@code CHECK}, a CUDA initialisation failure) aborts the process right after writing its
 * message, before any thread could pass it on. Written to a file (in {@code java.io.tmpdir}), the
 * message outlives the process: the next Fovea process that loads a model there, such as the
 * restarted container of the same pod (its {@code /tmp} is an emptyDir), logs it at ERROR. Loading
 * and the warm-up run are when TensorFlow talks; after them stderr is TensorFlow's again, and a
 * fatal error at run time reaches it directly.
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
        int creat(String path, int mode);

        int dup(int fd);

        int dup2(int from, int to);

        int close(int fd);

        long write(int fd, byte[] buffer, long count);
    }

    /** Where capture files go; tests point it elsewhere. */
    static volatile Path directory = Path.of(System.getProperty("java.io.tmpdir"));

    private static final String PREFIX = "fovea-tensorflow-stderr-";
    private static final Pattern CAPTURE_FILE =
            Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-(\\d+)\\.log");

    private static final Object lock = new Object();
    private static int depth;
    private static Capture capture;

    private TensorFlowLog() {}

    /**
     * Runs {@code work} (a model load, a first run) with TensorFlow's native lines turned into log
     * lines. Calls may nest and overlap across threads: the capture lasts from the first start to
     * the last end. Where the capture cannot start (no writable temporary directory, no JNA), runs
     * {@code work} as it is.
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
            if (depth++ > 0) {
                return;
            }
            try {
                relayLeftovers();
                capture = Capture.start(ownFile());
            } catch (Throwable e) { // whatever failed, the work runs uncaptured
                capture = null;
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

    /** This process's capture file: its pid and start, so that a later process can tell it died. */
    private static Path ownFile() {
        ProcessHandle self = ProcessHandle.current();
        return directory.resolve(PREFIX + self.pid() + "-" + startSecond(self) + ".log");
    }

    private static long startSecond(ProcessHandle process) {
        return process.info().startInstant().map(Instant::getEpochSecond).orElse(0L);
    }

    /** Directories whose leftovers this process has already looked for. */
    private static final Set<Path> searched = new HashSet<>();

    /**
     * Logs, at ERROR, what TensorFlow printed in processes that died while it loaded a model: their
     * capture files are still there. A file of a process that still runs is another worker's. Once
     * per directory: the files that matter are those of a process that died before this one began.
     */
    private static void relayLeftovers() throws IOException {
        if (!searched.add(directory)) {
            return;
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(directory)) {
            files = listing.sorted().toList();
        }
        for (Path file : files) {
            Matcher name = CAPTURE_FILE.matcher(file.getFileName().toString());
            if (!name.matches()) {
                continue;
            }
            long pid = Long.parseLong(name.group(1));
            long start = Long.parseLong(name.group(2));
            boolean running = ProcessHandle.of(pid).map(h -> startSecond(h) == start).orElse(false);
            if (running) {
                continue;
            }
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            if (!text.isBlank()) {
                sink.accept(
                        new Line(
                                Level.ERROR,
                                "process "
                                        + pid
                                        + " stopped while TensorFlow was loading a model; what"
                                        + " TensorFlow printed before it did follows"));
                Level previous = Level.ERROR;
                for (String line : text.split("\n")) {
                    previous = relay(line, previous);
                }
            }
            Files.deleteIfExists(file);
        }
    }

    /** Logs one line TensorFlow printed; returns the level for a line that continues it. */
    private static Level relay(String text, Level previous) {
        if (text.isBlank()) {
            return previous;
        }
        Line line = parse(text, previous);
        sink.accept(line);
        return line.level();
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

    /**
     * Descriptor 2 pointed at a file, a thread reading the file as it grows, and what to put back.
     */
    private static final class Capture {
        private final LibC libc;
        private final int savedStderr;
        private final Path file;
        private final PrintStream javaStderr;
        private final PrintStream ours;
        private final Thread reader;
        private volatile boolean stopping;

        private Capture(
                LibC libc, int savedStderr, Path file, PrintStream javaStderr, PrintStream ours) {
            this.libc = libc;
            this.savedStderr = savedStderr;
            this.file = file;
            this.javaStderr = javaStderr;
            this.ours = ours;
            this.reader = new Thread(this::readLines, "tensorflow-stderr");
            reader.setDaemon(true);
        }

        static Capture start(Path file) {
            LibC libc = Native.load("c", LibC.class);
            int fd = libc.creat(file.toString(), 0600);
            if (fd < 0) {
                throw new IllegalStateException("cannot create " + file);
            }
            int saved = libc.dup(STDERR);
            if (saved < 0) {
                libc.close(fd);
                deleteQuietly(file);
                throw new IllegalStateException("dup(2) failed");
            }
            // Java's own System.err would follow descriptor 2 into the file: point it at the real
            // stderr for the duration, so that only native output is read back.
            PrintStream javaStderr = System.err;
            System.err.flush();
            PrintStream ours = realStderr(libc, saved);
            System.setErr(ours);
            if (libc.dup2(fd, STDERR) < 0) {
                System.setErr(javaStderr);
                libc.close(saved);
                libc.close(fd);
                deleteQuietly(file);
                throw new IllegalStateException("dup2() failed");
            }
            libc.close(fd);
            Capture capture = new Capture(libc, saved, file, javaStderr, ours);
            try {
                capture.reader.start();
            } catch (Throwable e) { // no thread to read the file: put stderr back first
                capture.restore();
                throw e;
            }
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
            libc.dup2(savedStderr, STDERR); // nothing writes to the file any more
            stopping = true;
            try {
                reader.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            restore();
        }

        /** Stderr as it was: descriptor 2, System.err (unless someone else replaced it since). */
        private void restore() {
            libc.dup2(savedStderr, STDERR);
            if (System.err == ours) {
                System.setErr(javaStderr);
            }
            libc.close(savedStderr);
            deleteQuietly(file);
        }

        private static void deleteQuietly(Path file) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                self.debug("cannot delete {}: {}", file, e.toString());
            }
        }

        private static Level relay(ByteArrayOutputStream bytes, Level previous) {
            String text = bytes.toString(StandardCharsets.UTF_8);
            bytes.reset();
            return TensorFlowLog.relay(text, previous);
        }

        /** Follows the file as it grows, until {@link #stop} and the file's end. */
        private void readLines() {
            byte[] buffer = new byte[8192];
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            Level previous = null;
            try (InputStream in = Files.newInputStream(file)) {
                while (true) {
                    // Read "stopping" before reading the file: once it is set, nothing writes
                    // to the file, so an empty read after it is the end.
                    boolean last = stopping;
                    int n = in.read(buffer);
                    if (n <= 0) {
                        if (last) {
                            break;
                        }
                        Thread.sleep(10);
                        continue;
                    }
                    for (int i = 0; i < n; i++) {
                        if (buffer[i] == '\n') {
                            previous = relay(line, previous);
                        } else {
                            line.write(buffer[i]);
                        }
                    }
                }
                relay(line, previous);
            } catch (IOException e) {
                self.debug("cannot read {}: {}", file, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
