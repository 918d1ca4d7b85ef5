package dev.fovea.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A Fovea worker in a JVM of its own, started the way an operator starts one ({@code fovea worker
 * --config FILE}), so that a test can {@code kill -9} it, which an in-JVM worker cannot simulate: a
 * killed process flushes nothing, commits nothing, closes nothing and leaves its group and its open
 * transaction behind.
 *
 * <p>The child runs on this JVM's class path (under Maven, every module's classes and jars), with
 * {@code -Xmx512m}, TensorFlow's native logging at warnings, and its stdout and stderr in {@code
 * target/worker-processes/<name>.log}, whose tail every failure message here carries.
 */
final class WorkerProcess implements AutoCloseable {
    /** Exit status of a process killed by SIGKILL, as the JDK reports it on Linux: 128 + 9. */
    static final int KILLED = 137;

    /**
     * Exit status of a worker that closed within shutdown.grace.ms on SIGTERM (a JVM stopped by the
     * signal would report 128 + 15; the worker's hook exits 0 itself).
     */
    static final int STOPPED = 0;

    private static final Path DIR = Path.of("target", "worker-processes").toAbsolutePath();

    /** What FoveaWorker's state listener logs each time Kafka Streams reaches RUNNING. */
    private static final String RUNNING = "-> RUNNING";

    private static final String NOT_RUNNING = "-> NOT_RUNNING";

    /** Children still alive, killed if the test JVM exits without closing them. */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> LIVE.forEach(Process::destroyForcibly),
                                "worker-process-reaper"));
    }

    private final String name;
    private final Process process;
    private final Path log;

    private WorkerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code fovea worker} with these settings (the keys of {@code WorkerConfig}, {@code
     * kafka.*} included) and returns at once; see {@link #awaitRunning}.
     *
     * @param name unique among the test's workers: it names the log and the settings file
     */
    static WorkerProcess start(String name, Map<String, String> settings) {
        return start(name, settings, Map.of());
    }

    /**
     * As {@link #start(String, Map)}, with these variables added to the child's environment: the
     * {@code FOVEA_*} and {@code KAFKA_*} settings an operator passes that way, or {@code
     * JAVA_TOOL_OPTIONS}.
     */
    static WorkerProcess start(String name, Map<String, String> settings, Map<String, String> env) {
        try {
            Files.createDirectories(DIR);
            Path config = DIR.resolve(name + ".properties");
            Properties properties = new Properties();
            properties.putAll(settings);
            try (Writer out = Files.newBufferedWriter(config)) {
                properties.store(out, "settings of worker process " + name);
            }
            Path log = DIR.resolve(name + ".log");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-Xmx512m");
            // TensorFlow's native libraries, unpacked once into the directory the build uses.
            String javacpp = System.getProperty("org.bytedeco.javacpp.cachedir");
            if (javacpp != null) {
                command.add("-Dorg.bytedeco.javacpp.cachedir=" + javacpp);
            }
            command.add("-cp");
            // Surefire sets java.class.path to the test class path, which holds ops and every
            // module it depends on.
            command.add(System.getProperty("java.class.path"));
            command.add("dev.fovea.ops.cli.Fovea");
            command.add("worker");
            command.add("--config");
            command.add(config.toString());
            ProcessBuilder builder =
                    new ProcessBuilder(command)
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile());
            builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
            builder.environment().putAll(env);
            Process process = builder.start();
            LIVE.add(process);
            return new WorkerProcess(name, process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start worker process " + name, e);
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Resident memory of the child in MiB, from {@code /proc} (Linux), or -1 where unknown. */
    long residentMegabytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", pid() + "", "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }

    /**
     * Waits until Kafka Streams in the child has reached RUNNING at least {@code times} times since
     * it started (once: it joined the group and has its partitions; more: it went through further
     * rebalances), as FoveaWorker's state listener logs it.
     *
     * @throws AssertionError with the log's tail when the child exits or the time runs out
     */
    WorkerProcess awaitRunning(int times, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (occurrences(RUNNING) < times) {
            if (!process.isAlive()) {
                throw new AssertionError(
                        name + " exited with " + process.exitValue() + " before RUNNING" + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        name + " did not reach RUNNING within " + timeout + tail());
            }
            Thread.sleep(100);
        }
        return this;
    }

    WorkerProcess awaitRunning(Duration timeout) throws InterruptedException {
        return awaitRunning(1, timeout);
    }

    /**
     * {@code kill -9}: {@link Process#destroyForcibly()} sends SIGKILL on Linux.
     *
     * @return the exit status, {@link #KILLED} when the signal did it
     */
    int kill() throws InterruptedException {
        process.destroyForcibly();
        return awaitExit(Duration.ofSeconds(30));
    }

    /**
     * A clean stop, as an orchestrator does it: SIGTERM ({@link Process#destroy()}), on which the
     * worker's shutdown hook closes Kafka Streams (commit, leave the group) and the model.
     *
     * @return the exit status, {@link #STOPPED} after a clean shutdown
     */
    int stop(Duration timeout) throws InterruptedException {
        process.destroy();
        return awaitExit(timeout);
    }

    /**
     * @throws AssertionError with the log's tail when the child is still alive after {@code
     *     timeout}; it is then killed
     */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not exit within " + timeout + tail());
        }
        LIVE.remove(process);
        return process.exitValue();
    }

    /** Whether the child logged Kafka Streams reaching NOT_RUNNING: it closed, not crashed. */
    boolean closedCleanly() {
        return occurrences(NOT_RUNNING) > 0;
    }

    /** The child's whole log so far: its stdout and stderr. */
    String log() {
        return String.join("\n", lines());
    }

    /** The last lines of the child's log, to append to an assertion message. */
    String tail() {
        return tail(40);
    }

    String tail(int lines) {
        List<String> all = lines();
        return "\n--- last lines of "
                + log
                + " ---\n"
                + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private int occurrences(String text) {
        int count = 0;
        for (String line : lines()) {
            if (line.contains(text)) {
                count++;
            }
        }
        return count;
    }

    private List<String> lines() {
        try {
            // The child may be writing half a line or invalid UTF-8 from native code: be lenient.
            return new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            return List.of("(cannot read " + log + ": " + e + ")");
        }
    }

    /** Kills the child if it is still running. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LIVE.remove(process);
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
