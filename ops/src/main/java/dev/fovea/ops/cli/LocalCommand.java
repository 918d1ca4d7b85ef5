package dev.fovea.ops.cli;

import dev.fovea.ops.local.LocalStack;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.RegistryUnavailableException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Command(
        name = "local",
        mixinStandardHelpOptions = true,
        description =
                "The local stack: a single-node KRaft broker and a schema registry on 127.0.0.1,"
                        + " with the topics images.raw, predictions and images.dlq. Data is kept"
                        + " between runs.",
        subcommands = {LocalCommand.Up.class, LocalCommand.Down.class, LocalCommand.Status.class})
final class LocalCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(
            name = "up",
            mixinStandardHelpOptions = true,
            description =
                    "Start the stack in the background (logs in DATA_DIR/stack.log), or in the"
                            + " foreground.")
    static final class Up implements java.util.concurrent.Callable<Integer> {
        @Mixin StackOptions stack;

        @Option(names = "--foreground", description = "Run in this process until Ctrl-C.")
        boolean foreground;

        @Option(
                names = "--workers",
                paramLabel = "N",
                defaultValue = "0",
                description =
                        "Also start N workers in the background, in one consumer group ("
                                + LocalWorkers.APPLICATION_ID
                                + "), metrics on ports 9401..940N; ./fovea local status shows"
                                + " them, ./fovea local down stops them.")
        int workers;

        @Option(
                names = "--model",
                paramLabel = "DIR",
                description =
                        "The workers' model (default: the seeded quarter-width Inception v3 of"
                                + " ./fovea demo --built-model, built once).")
        Path model;

        @Option(
                names = "--threads",
                paramLabel = "N",
                defaultValue = "1",
                description = "Stream threads per worker (default ${DEFAULT-VALUE}).")
        int threads;

        @Override
        public Integer call() throws Exception {
            Optional<ProcessHandle> running = runningStack(stack);
            if (running.isPresent()) {
                System.out.println(
                        "local stack already running (pid "
                                + running.get().pid()
                                + "): Kafka "
                                + stack.bootstrapServers()
                                + ", registry "
                                + stack.registryUrl());
                return startWorkers();
            }
            Files.createDirectories(stack.dataDir);
            if (foreground) {
                return runInForeground();
            }
            int started = startInBackground();
            return started != 0 ? started : startWorkers();
        }

        private int startWorkers() throws IOException, InterruptedException {
            if (workers <= 0) {
                return 0;
            }
            if (workers * threads > stack.partitions) {
                System.out.println(
                        "note: "
                                + workers
                                + " workers x "
                                + threads
                                + " threads > "
                                + stack.partitions
                                + " partitions: some will idle (--partitions sets them for a new"
                                + " stack)");
            }
            Path dir =
                    model != null
                            ? model
                            : ModelCommand.seededDemoModel(
                                    0.25, what -> System.out.println("==> " + what));
            LocalWorkers.start(stack, workers, dir, threads);
            return 0;
        }

        private int runInForeground() throws IOException, InterruptedException {
            LocalStack local = LocalStack.start(stack.settings());
            Files.writeString(stack.pidFile(), pidFileContent(ProcessHandle.current()));
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime()
                    .addShutdownHook(
                            new Thread(
                                    () -> {
                                        local.close();
                                        try {
                                            Files.deleteIfExists(stack.pidFile());
                                        } catch (IOException ignored) {
                                            // The next start checks whether the recorded pid is
                                            // alive anyway.
                                        }
                                        stopped.countDown();
                                    },
                                    "local-stack-shutdown"));
            System.out.println(
                    "local stack up: Kafka "
                            + local.bootstrapServers()
                            + ", registry "
                            + local.registryUrl()
                            + ", data "
                            + stack.dataDir);
            stopped.await();
            return 0;
        }

        private int startInBackground() throws IOException, InterruptedException {
            Process process =
                    startFovea(
                            List.of("-Xmx512m"),
                            List.of(
                                    "local",
                                    "up",
                                    "--foreground",
                                    "--kafka-port",
                                    Integer.toString(stack.kafkaPort),
                                    "--registry-port",
                                    Integer.toString(stack.registryPort),
                                    "--data-dir",
                                    stack.dataDir.toString(),
                                    "--partitions",
                                    Integer.toString(stack.partitions)),
                            stack.logFile());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    System.err.println(tail(stack.logFile(), 15));
                    throw new IOException(
                            "the local stack exited during startup (log above, in "
                                    + stack.logFile()
                                    + ")");
                }
                if (Files.exists(stack.pidFile()) && registryAnswers(stack)) {
                    System.out.println(
                            "local stack up: Kafka "
                                    + stack.bootstrapServers()
                                    + ", registry "
                                    + stack.registryUrl()
                                    + ", data "
                                    + stack.dataDir
                                    + " (./fovea local down stops it)");
                    return 0;
                }
                Thread.sleep(200);
            }
            process.destroy();
            throw new IOException(
                    "the local stack did not start within 60 s; see " + stack.logFile());
        }
    }

    @Command(
            name = "down",
            mixinStandardHelpOptions = true,
            description = "Stop the background stack (data is kept).")
    static final class Down implements java.util.concurrent.Callable<Integer> {
        @Mixin StackOptions stack;

        @Override
        public Integer call() throws IOException, InterruptedException {
            // Workers first: they leave the group and commit while the broker is still there.
            LocalWorkers.stop(stack);
            Optional<ProcessHandle> running = runningStack(stack);
            if (running.isEmpty()) {
                System.out.println("local stack is not running");
                return 0;
            }
            ProcessHandle process = running.get();
            terminate(process, 30);
            Files.deleteIfExists(stack.pidFile());
            System.out.println(
                    "local stack stopped (pid "
                            + process.pid()
                            + "); data kept in "
                            + stack.dataDir);
            return 0;
        }
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description =
                    "Show whether the stack runs, its topics and schemas, and each local worker's"
                            + " health, partitions, throughput and lag.")
    static final class Status implements java.util.concurrent.Callable<Integer> {
        @Mixin StackOptions stack;

        @Override
        public Integer call() throws InterruptedException {
            Optional<ProcessHandle> running = runningStack(stack);
            System.out.println(
                    "process:  "
                            + running.map(p -> "running, pid " + p.pid()).orElse("not running")
                            + " (data "
                            + stack.dataDir
                            + ")");
            boolean registryUp = registryAnswers(stack);
            System.out.println(
                    "registry: "
                            + stack.registryUrl()
                            + (registryUp
                                    ? " answering, subjects "
                                            + new HttpSchemaRegistryClient(stack.registryUrl())
                                                    .subjects()
                                    : " not answering"));
            Map<String, Integer> topics = topics(stack.bootstrapServers());
            System.out.println(
                    "kafka:    "
                            + stack.bootstrapServers()
                            + (topics == null ? " not answering" : " answering, topics " + topics));
            List<String> workers = LocalWorkers.status(stack, LocalStack.IMAGES);
            if (!workers.isEmpty()) {
                System.out.println(
                        "workers:  group "
                                + LocalWorkers.APPLICATION_ID
                                + " (in/s over one second; lag and totals from each /metrics)");
                workers.forEach(line -> System.out.println("  " + line));
            }
            return running.isPresent() && registryUp && topics != null ? 0 : 1;
        }
    }

    /**
     * Starts {@code ./fovea ARGS} in the background, in this JVM's Java and class path, its output
     * appended to {@code log}.
     */
    static Process startFovea(List<String> jvmOptions, List<String> args, Path log)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.add("-Dfovea.home=" + System.getProperty("fovea.home", "."));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Fovea.class.getName());
        command.addAll(args);
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            // Its own session: closing this terminal does not take it down.
            command.add(0, "/usr/bin/setsid");
        }
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    /** SIGTERM, then SIGKILL if the process has not exited within {@code graceSeconds}. */
    static void terminate(ProcessHandle process, int graceSeconds) throws InterruptedException {
        process.destroy();
        try {
            process.onExit().get(graceSeconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException
                | java.util.concurrent.ExecutionException e) {
            process.destroyForcibly();
        }
    }

    static Optional<ProcessHandle> runningStack(StackOptions stack) {
        try {
            if (!Files.exists(stack.pidFile())) {
                return Optional.empty();
            }
            String[] recorded = Files.readString(stack.pidFile()).strip().split(" ");
            long pid = Long.parseLong(recorded[0]);
            // A pid file can outlive its process and the pid be reused by another: the stack is
            // the live process with this pid that also started at the recorded instant.
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(p -> recorded.length > 1 && recorded[1].equals(startedAt(p)));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** What {@code up --foreground} records: its pid and when it started. */
    static String pidFileContent(ProcessHandle process) {
        return process.pid() + " " + startedAt(process);
    }

    static String startedAt(ProcessHandle process) {
        return process.info().startInstant().map(Object::toString).orElse("unknown");
    }

    static boolean registryAnswers(StackOptions stack) {
        try {
            new HttpSchemaRegistryClient(stack.registryUrl()).subjects();
            return true;
        } catch (RegistryUnavailableException e) {
            return false;
        }
    }

    /** Topic name to partition count, or null when Kafka does not answer within 3 s. */
    static Map<String, Integer> topics(String bootstrapServers) {
        if (!listening(bootstrapServers)) {
            // Asked of a closed port, an Admin client would log a warning per retry.
            return null;
        }
        Map<String, Object> props =
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        3000,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                        3000);
        try (Admin admin = Admin.create(props)) {
            var names = admin.listTopics().names().get(3, TimeUnit.SECONDS);
            Map<String, Integer> partitions = new TreeMap<>();
            for (TopicDescription d :
                    admin.describeTopics(names).allTopicNames().get(3, TimeUnit.SECONDS).values()) {
                partitions.put(d.name(), d.partitions().size());
            }
            return partitions;
        } catch (Exception e) {
            return null;
        }
    }

    /** Whether something accepts connections at the first {@code host:port}, within a second. */
    private static boolean listening(String bootstrapServers) {
        String first = bootstrapServers.split(",")[0].strip();
        int colon = first.lastIndexOf(':');
        try (Socket socket = new Socket()) {
            socket.connect(
                    new InetSocketAddress(
                            first.substring(0, colon),
                            Integer.parseInt(first.substring(colon + 1))),
                    1000);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + file + ")";
        }
    }
}
