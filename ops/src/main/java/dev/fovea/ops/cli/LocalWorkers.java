package dev.fovea.ops.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The worker processes of {@code ./fovea local up --workers N}: N {@code ./fovea worker}s in one
 * consumer group on the local stack, each in the background with its own log, pid file and metrics
 * port, so that {@code local status} can show what each one does and {@code local down} can stop
 * them before the broker.
 */
final class LocalWorkers {
    /** The consumer group (application.id) of the local workers. */
    static final String APPLICATION_ID = "fovea-local";

    /** Worker {@code i} (from 1) serves its metrics and probes on this port plus {@code i}. */
    static final int METRICS_PORT_BASE = 9400;

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /** One started worker: its number, process and metrics port. */
    record Worker(int index, ProcessHandle process, int metricsPort) {
        String id() {
            return "local-w" + index;
        }
    }

    private LocalWorkers() {}

    /** Starts workers 1..count in the background and waits until each reports ready. */
    static List<Worker> start(StackOptions stack, int count, Path model, int threads)
            throws IOException, InterruptedException {
        List<Worker> started = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            int port = METRICS_PORT_BASE + i;
            Process process =
                    LocalCommand.startFovea(
                            List.of(),
                            List.of(
                                    "worker",
                                    "--model",
                                    model.toString(),
                                    "--set",
                                    "bootstrap.servers=" + stack.bootstrapServers(),
                                    "--set",
                                    "schema.registry.url=" + stack.registryUrl(),
                                    "--set",
                                    "application.id=" + APPLICATION_ID,
                                    "--set",
                                    "worker.id=local-w" + i,
                                    "--set",
                                    "num.stream.threads=" + threads,
                                    "--set",
                                    "metrics.port=" + port),
                            logFile(stack, i));
            Files.writeString(
                    pidFile(stack, i),
                    LocalCommand.pidFileContent(process.toHandle()) + " " + port);
            started.add(new Worker(i, process.toHandle(), port));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        for (Worker w : started) {
            while (get(w.metricsPort(), "/ready") != 200) {
                if (!w.process().isAlive()) {
                    throw new IOException(
                            "worker "
                                    + w.id()
                                    + " exited during startup; see "
                                    + logFile(stack, w.index()));
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException(
                            "worker "
                                    + w.id()
                                    + " was not ready within 180 s; see "
                                    + logFile(stack, w.index()));
                }
                Thread.sleep(250);
            }
            System.out.println(
                    "worker "
                            + w.id()
                            + " ready (pid "
                            + w.process().pid()
                            + ", metrics http://127.0.0.1:"
                            + w.metricsPort()
                            + "/metrics, log "
                            + logFile(stack, w.index())
                            + ")");
        }
        return started;
    }

    /** The workers whose pid files name a live process that started when recorded. */
    static List<Worker> running(StackOptions stack) {
        List<Worker> workers = new ArrayList<>();
        try (Stream<Path> files = Files.list(stack.dataDir)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (!name.matches("worker-\\d+\\.pid")) {
                    continue;
                }
                int index = Integer.parseInt(name.replaceAll("\\D", ""));
                String[] recorded = Files.readString(file).strip().split(" ");
                Optional<ProcessHandle> process =
                        ProcessHandle.of(Long.parseLong(recorded[0]))
                                .filter(ProcessHandle::isAlive)
                                // A pid can be reused: the worker also started when recorded.
                                .filter(
                                        p ->
                                                recorded.length > 2
                                                        && recorded[1].equals(
                                                                LocalCommand.startedAt(p)));
                if (process.isPresent()) {
                    workers.add(new Worker(index, process.get(), Integer.parseInt(recorded[2])));
                } else {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException | RuntimeException e) {
            return workers;
        }
        return workers;
    }

    /** SIGTERM to every worker (they leave the group and exit within their grace period). */
    static void stop(StackOptions stack) throws IOException, InterruptedException {
        for (Worker w : running(stack)) {
            // Longer than the worker's own shutdown grace (30 s by default).
            LocalCommand.terminate(w.process(), 45);
            Files.deleteIfExists(pidFile(stack, w.index()));
            System.out.println("worker " + w.id() + " stopped (pid " + w.process().pid() + ")");
        }
    }

    /**
     * One line per worker: health, assigned partitions of the images topic, throughput over one
     * second, lag and totals, from its /ready and /metrics and from the group's assignment.
     */
    static List<String> status(StackOptions stack, String imagesTopic) throws InterruptedException {
        List<Worker> workers = running(stack);
        if (workers.isEmpty()) {
            return List.of();
        }
        Map<String, TreeSet<Integer>> partitions = assignments(stack, imagesTopic);
        double[] before = new double[workers.size()];
        for (int i = 0; i < workers.size(); i++) {
            before[i] = metric(scrape(workers.get(i).metricsPort()), "fovea_images_in_total");
        }
        long start = System.nanoTime();
        Thread.sleep(1000);
        List<String> lines = new ArrayList<>();
        lines.add(
                String.format(
                        "%-9s %8s %-7s %-16s %8s %8s %10s %8s",
                        "worker", "pid", "ready", "partitions", "in/s", "lag", "predicted", "dlq"));
        for (int i = 0; i < workers.size(); i++) {
            Worker w = workers.get(i);
            String page = scrape(w.metricsPort());
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = (metric(page, "fovea_images_in_total") - before[i]) / seconds;
            int ready = get(w.metricsPort(), "/ready");
            lines.add(
                    String.format(
                            Locale.ROOT,
                            "%-9s %8d %-7s %-16s %8.1f %8.0f %10.0f %8.0f",
                            w.id(),
                            w.process().pid(),
                            ready == 200 ? "yes" : ready < 0 ? "no answer" : "no (" + ready + ")",
                            String.valueOf(partitions.getOrDefault(w.id(), new TreeSet<>())),
                            Double.isNaN(rate) ? 0 : rate,
                            sum(page, "fovea_consumer_lag"),
                            metric(page, "fovea_predictions_total"),
                            sum(page, "fovea_dead_letters_total")));
        }
        return lines;
    }

    /** Each worker's partitions of {@code topic}, from the consumer group's members. */
    private static Map<String, TreeSet<Integer>> assignments(StackOptions stack, String topic) {
        Map<String, TreeSet<Integer>> byWorker = new java.util.TreeMap<>();
        Map<String, Object> props =
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        stack.bootstrapServers(),
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        10_000,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                        10_000);
        try (Admin admin = Admin.create(props)) {
            ConsumerGroupDescription group =
                    admin.describeConsumerGroups(List.of(APPLICATION_ID))
                            .describedGroups()
                            .get(APPLICATION_ID)
                            .get(10, TimeUnit.SECONDS);
            for (MemberDescription member : group.members()) {
                // Kafka Streams names its consumers <client.id>-StreamThread-N-consumer, and the
                // worker's client.id is its worker.id.
                String worker = member.clientId().replaceAll("-StreamThread-.*$", "");
                for (TopicPartition tp : member.assignment().topicPartitions()) {
                    if (tp.topic().equals(topic)) {
                        byWorker.computeIfAbsent(worker, k -> new TreeSet<>()).add(tp.partition());
                    }
                }
            }
        } catch (Exception e) {
            // Status shows no partitions rather than failing when the group is not there yet.
            System.err.println("(no assignment of group " + APPLICATION_ID + ": " + e + ")");
        }
        return byWorker;
    }

    /** The HTTP status of {@code path}, or -1 when nothing answers. */
    static int get(int port, String path) {
        try {
            return HTTP.send(request(port, path), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String scrape(int port) {
        try {
            return HTTP.send(request(port, "/metrics"), HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static HttpRequest request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(2))
                .build();
    }

    /** The value of an unlabelled sample, NaN if absent. */
    static double metric(String page, String name) {
        return page.lines()
                .filter(l -> l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1).trim()))
                .findFirst()
                .orElse(Double.NaN);
    }

    /** The sum of every sample of {@code name}, labelled or not. */
    static double sum(String page, String name) {
        return page.lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static Path pidFile(StackOptions stack, int index) {
        return stack.dataDir.resolve("worker-" + index + ".pid");
    }

    private static Path logFile(StackOptions stack, int index) {
        return stack.dataDir.resolve("worker-" + index + ".log");
    }
}
