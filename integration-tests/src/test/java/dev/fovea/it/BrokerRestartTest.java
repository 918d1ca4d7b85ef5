package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.avro.ImageEvent;
import dev.fovea.ops.local.BrokerException;
import dev.fovea.ops.local.BrokerSettings;
import dev.fovea.ops.local.KafkaBroker;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.server.LocalSchemaRegistry;
import dev.fovea.workers.FoveaWorker;
import dev.fovea.workers.config.WorkerConfig;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import javax.imageio.ImageIO;

/**
 * The broker stops in the middle of a stream and comes back seconds later on the same port with the
 * same data: the worker rides it out, in state RUNNING and without a failure, and every image
 * produced gets its prediction, none a dead letter.
 *
 * <p>The broker is one of the test's own, since stopping the shared fixture's would pull it from
 * under every other test of this JVM. The worker runs in this JVM ({@link FoveaWorker#start}), not
 * as a {@link WorkerProcess}: nothing here kills the worker, and in this JVM the test can ask the
 * worker itself whether a stream thread failed ({@link FoveaWorker#failure()}) rather than read it
 * from a log. The producer keeps sending through the outage, as a camera would (it waits in {@code
 * send()} once it has lost the topic's metadata) and its records go out when the broker is back.
 * The timeline (broker stop and start, the worker's states, when predictions were made) goes to the
 * test's output, {@code target/surefire-reports/dev.fovea.it.BrokerRestartTest-output.txt}.
 */
class BrokerRestartTest {
    private static final int IMAGES = 240;

    /** Below what one worker answers on 2 cores (55-60/s), so the stream lasts 8 s. */
    private static final double RATE = 30;

    /** Images produced when the broker stops: a third of the stream. */
    private static final int STOP_AT = IMAGES / 3;

    /**
     * Longer than the clients' reconnect backoff (1 s at most), so they see it down; {@code
     * -Dfovea.it.outage.seconds=N} tries longer ones, e.g. past exactly_once_v2's transaction
     * timeout (10 s in Kafka Streams).
     */
    private static final Duration OUTAGE =
            Duration.ofSeconds(Long.getLong("fovea.it.outage.seconds", 5));

    /** Two partitions and stream threads: each thread's consumer, producer and commits see it. */
    private static final int PARTITIONS = 2;

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private static LocalSchemaRegistry registryServer;

    @BeforeAll
    static void startRegistry() {
        // The registry is not what this test takes away: it stays up, in this JVM.
        registryServer = LocalSchemaRegistry.start("127.0.0.1", 0, null);
    }

    @AfterAll
    static void stopRegistry() {
        if (registryServer != null) {
            registryServer.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"at_least_once", "exactly_once_v2"})
    void shouldAnswerEveryImageWhenTheBrokerRestartsMidStream(
            String guarantee, @TempDir Path dataDir) throws Exception {
        String name = "restart-" + (guarantee.startsWith("exactly") ? "eos" : "alo");
        try (Run run = new Run(name, guarantee, dataDir)) {
            run.startWorker();
            run.feed.start();

            run.await(() -> run.feed.sent() >= STOP_AT, STOP_AT + " images produced");
            // The worker must have answered some before the stop, or the test shows a worker
            // that started late, not one that resumed.
            run.await(() -> run.answers.distinct() >= 20, "20 images answered");
            run.stopBroker();
            Thread.sleep(OUTAGE.toMillis());
            run.restartBroker();

            run.feed.awaitAllSent();
            run.await(() -> run.answers.distinct() >= IMAGES, "all " + IMAGES + " images answered");
            run.note("all " + IMAGES + " answered");
            Throwable failure = run.worker.failure();
            KafkaStreams.State state = run.worker.state();
            run.closeWorker();
            run.answers.drain(Duration.ofSeconds(30));
            run.report();

            assertNull(failure, "the worker must not fail: " + failure + run.timeline());
            assertEquals(
                    KafkaStreams.State.RUNNING, state, "the worker at the end" + run.timeline());
            assertEquals(List.of(), run.missing(), "images with no prediction" + run.timeline());
            assertEquals(
                    Map.of(), run.answers.deadLetterReasons(), "dead letters" + run.timeline());
            if (guarantee.equals("exactly_once_v2")) {
                assertEquals(
                        Map.of(),
                        run.answers.duplicates(),
                        "exactly_once_v2: a read_committed consumer sees each prediction once"
                                + run.timeline());
            }
        }
    }

    /**
     * Starts a broker on a port below Linux's ephemeral range (32768 and up). The port must be free
     * again when the broker restarts; one in the ephemeral range could meanwhile become the local
     * port of an outgoing connection, even of a client reconnecting to this very port (TCP's
     * self-connect), and the restart would find it taken.
     */
    private static KafkaBroker startOnFixedPort(Path dataDir) {
        Random random = new Random();
        for (int attempt = 1; ; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            try {
                return KafkaBroker.start(settings(dataDir, port));
            } catch (BrokerException e) {
                if (!(e.getCause() instanceof BindException) || attempt == 20) {
                    throw e;
                }
            }
        }
    }

    private static BrokerSettings settings(Path dataDir, int port) {
        // The controller takes a free port each time: the quorum is read from the configuration
        // at every start, so it need not keep its port (KafkaBroker).
        return BrokerSettings.defaults().withDataDir(dataDir).withBrokerPort(port);
    }

    private static int port(KafkaBroker broker) {
        String servers = broker.bootstrapServers();
        return Integer.parseInt(servers.substring(servers.lastIndexOf(':') + 1));
    }

    /** One run: its broker, worker, feed of images and reader of answers, and a timeline. */
    private static final class Run implements AutoCloseable {
        private final String name;
        private final String guarantee;
        private final Path dataDir;
        private final SchemaRegistryClient registry =
                new HttpSchemaRegistryClient(registryServer.url());
        private final List<String> timeline = new CopyOnWriteArrayList<>();
        private final long startNanos = System.nanoTime();
        private final long deadline = startNanos + Duration.ofSeconds(80).plus(OUTAGE).toNanos();
        private final String images;
        private final String predictions;
        private final String deadLetters;
        private final String bootstrapServers;
        private final int port;
        private KafkaBroker broker;
        private FoveaWorker worker;
        private Thread stateWatcher;
        private final Feed feed;
        private final OutputReader answers;
        private long stoppedAtMillis;
        private long backAtMillis;

        Run(String name, String guarantee, Path dataDir) {
            this.name = name;
            this.guarantee = guarantee;
            this.dataDir = dataDir;
            this.images = name + ".images";
            this.predictions = name + ".predictions";
            this.deadLetters = name + ".dlq";
            this.broker = startOnFixedPort(dataDir);
            this.port = port(broker);
            this.bootstrapServers = broker.bootstrapServers();
            broker.createTopics(
                    Map.of(images, PARTITIONS, predictions, PARTITIONS, deadLetters, 1));
            note("broker up at " + bootstrapServers + ", data in " + dataDir + "; " + guarantee);
            this.feed = new Feed(this);
            this.answers =
                    new OutputReader(name, bootstrapServers, registry, predictions, deadLetters);
        }

        void startWorker() throws InterruptedException {
            Map<String, String> values = new HashMap<>();
            values.put(WorkerConfig.BOOTSTRAP_SERVERS, bootstrapServers);
            values.put(WorkerConfig.SCHEMA_REGISTRY_URL, registryServer.url());
            values.put(WorkerConfig.APPLICATION_ID, name);
            values.put(WorkerConfig.MODEL_PATH, Fixture.model().toString());
            values.put(WorkerConfig.TOPIC_IMAGES, images);
            values.put(WorkerConfig.TOPIC_PREDICTIONS, predictions);
            values.put(WorkerConfig.TOPIC_DEAD_LETTERS, deadLetters);
            values.put(WorkerConfig.WORKER_ID, name + "-worker");
            values.put(WorkerConfig.PROCESSING_GUARANTEE, guarantee);
            values.put(WorkerConfig.STREAM_THREADS, String.valueOf(PARTITIONS));
            // Commit often so that the outage catches commits in flight, as a busy worker's would.
            values.put("kafka.commit.interval.ms", "200");
            worker = FoveaWorker.start(WorkerConfig.of(values));
            assertTrue(worker.awaitRunning(PATIENCE), "worker did not reach RUNNING");
            note("worker RUNNING");
            stateWatcher = new Thread(this::watchState, name + "-state");
            stateWatcher.setDaemon(true);
            stateWatcher.start();
        }

        /** Notes each change of the worker's Kafka Streams state, to show what the outage did. */
        private void watchState() {
            KafkaStreams.State last = worker.state();
            while (!Thread.currentThread().isInterrupted()) {
                KafkaStreams.State now = worker.state();
                if (now != last) {
                    note("worker " + last + " -> " + now);
                    last = now;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stopBroker() {
            note("stopping the broker at " + progress());
            stoppedAtMillis = System.currentTimeMillis();
            broker.close();
            broker = null;
            note("broker stopped");
        }

        void restartBroker() {
            note("restarting the broker at " + progress());
            long start = System.nanoTime();
            broker = KafkaBroker.start(settings(dataDir, port));
            backAtMillis = System.currentTimeMillis();
            note(
                    "broker back at "
                            + broker.bootstrapServers()
                            + " in "
                            + Duration.ofNanos(System.nanoTime() - start).toMillis()
                            + " ms");
        }

        void closeWorker() {
            stateWatcher.interrupt();
            worker.close();
            worker = null;
            note("worker closed at " + progress());
        }

        void note(String event) {
            String line =
                    String.format("%6.1f s  %s", (System.nanoTime() - startNanos) / 1e9, event);
            timeline.add(line);
            System.out.println("[" + name + "] " + line);
        }

        String timeline() {
            return "\ntimeline:\n" + String.join("\n", timeline);
        }

        String progress() {
            return feed.sent() + " produced, " + answers.distinct() + " answered";
        }

        void await(BooleanSupplier condition, String what) throws InterruptedException {
            while (!condition.getAsBoolean()) {
                feed.rethrow();
                answers.rethrow();
                if (worker != null && worker.failure() != null) {
                    throw new AssertionError(
                            "the worker failed while waiting for "
                                    + what
                                    + ": "
                                    + FoveaWorker.explain(worker.failure())
                                    + timeline(),
                            worker.failure());
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(
                            "no " + what + " in time (" + progress() + ")" + timeline());
                }
                Thread.sleep(20);
            }
        }

        List<String> missing() {
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < IMAGES; i++) {
                if (answers.of(feed.id(i)).isEmpty()) {
                    missing.add(feed.id(i));
                }
            }
            return missing;
        }

        /**
         * How the outage looked from the worker's side: the predictions it made per second around
         * it (by their processedAt), and how long after the broker was back it made the first.
         */
        void report() {
            Map<Long, Integer> perSecond = new TreeMap<>();
            long firstAfterBack = Long.MAX_VALUE;
            int duringOutage = 0;
            for (long processedAt :
                    answers.all().stream()
                            .filter(a -> !a.deadLetter())
                            .mapToLong(OutputReader.Answer::processedAtMillis)
                            .toArray()) {
                perSecond.merge(
                        Math.floorDiv(processedAt - stoppedAtMillis, 1000), 1, Integer::sum);
                if (processedAt >= backAtMillis) {
                    firstAfterBack = Math.min(firstAfterBack, processedAt);
                } else if (processedAt >= stoppedAtMillis) {
                    duringOutage++;
                }
            }
            note(
                    "predictions per second from the broker's stop (s: count): "
                            + perSecond
                            + "; outage "
                            + (backAtMillis - stoppedAtMillis)
                            + " ms; made during it: "
                            + duringOutage
                            + "; first made "
                            + (firstAfterBack - backAtMillis)
                            + " ms after the broker was back");
            note(
                    guarantee
                            + ": "
                            + answers.total()
                            + " predictions read for "
                            + answers.distinct()
                            + " images; duplicates: "
                            + answers.duplicates().size()
                            + " images answered more than once "
                            + answers.duplicates());
        }

        @Override
        public void close() {
            if (stateWatcher != null) {
                stateWatcher.interrupt();
            }
            if (worker != null) {
                worker.close();
            }
            feed.close();
            answers.close();
            if (broker != null) {
                broker.close();
            }
        }
    }

    /**
     * Produces the run's images at {@link #RATE} from a thread of its own, through the outage: an
     * idempotent producer with acks=all retries what it could not send until its delivery timeout
     * (2 minutes), and {@code send()} waits up to max.block.ms (1 minute) for the topic's metadata,
     * so it rides out the restart without the test's help.
     */
    private static final class Feed implements AutoCloseable {
        private static final List<byte[]> PICTURES = pictures();

        private final Run run;
        private final KafkaProducer<String, ImageEvent> producer;
        private final AtomicInteger sent = new AtomicInteger();
        private final AtomicInteger acked = new AtomicInteger();
        private volatile long longestSendNanos;
        private volatile int longestSendAt;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Feed(Run run) {
            this.run = run;
            this.producer =
                    ImageProducer.kafkaProducer(run.bootstrapServers, run.registry, Map.of());
            this.thread = new Thread(this::produce, run.name + "-feed");
            thread.setDaemon(true);
        }

        String id(int i) {
            return String.format("%s-%03d", run.name, i);
        }

        void start() {
            run.note("producing " + IMAGES + " images at " + RATE + "/s");
            thread.start();
        }

        private void produce() {
            long period = (long) (1e9 / RATE);
            long due = System.nanoTime();
            try {
                for (int i = 0; i < IMAGES; i++) {
                    LockSupport.parkNanos(due - System.nanoTime());
                    due += period;
                    ImageEvent event =
                            ImageEvent.newBuilder()
                                    .setId(id(i))
                                    .setData(ByteBuffer.wrap(PICTURES.get(i % PICTURES.size())))
                                    .setTimestamp(Instant.now())
                                    .setAttributes(Map.of("n", String.valueOf(i)))
                                    .build();
                    long before = System.nanoTime();
                    producer.send(
                            new ProducerRecord<>(run.images, id(i), event),
                            (metadata, e) -> {
                                if (e != null) {
                                    failure.compareAndSet(null, e);
                                } else {
                                    acked.incrementAndGet();
                                }
                            });
                    long took = System.nanoTime() - before;
                    if (took > longestSendNanos) {
                        longestSendNanos = took;
                        longestSendAt = i;
                    }
                    sent.incrementAndGet();
                }
                producer.flush();
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }

        int sent() {
            return sent.get();
        }

        void awaitAllSent() throws InterruptedException {
            run.await(() -> acked.get() == IMAGES, "all " + IMAGES + " images acknowledged");
            run.note("all " + IMAGES + " produced and acknowledged (" + run.progress() + ")");
            // send() blocks while the producer has no metadata for the topic, up to max.block.ms.
            run.note(
                    "longest send(): "
                            + TimeUnit.NANOSECONDS.toMillis(longestSendNanos)
                            + " ms, of image "
                            + longestSendAt);
        }

        void rethrow() {
            Throwable e = failure.get();
            if (e != null) {
                throw new AssertionError("producing the images failed: " + e + run.timeline(), e);
            }
        }

        @Override
        public void close() {
            thread.interrupt();
            producer.close(Duration.ofSeconds(5));
        }

        /** Small images: they decode in well under a millisecond, the model's cost is the same. */
        private static List<byte[]> pictures() {
            List<byte[]> pictures = new ArrayList<>();
            for (int v = 0; v < 8; v++) {
                BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 64; y++) {
                    for (int x = 0; x < 64; x++) {
                        image.setRGB(x, y, (x * 4 + v * 32) % 256 << 16 | (y * 4) << 8 | v * 30);
                    }
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try {
                    ImageIO.write(image, v % 2 == 0 ? "png" : "jpg", out);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                pictures.add(out.toByteArray());
            }
            return pictures;
        }
    }
}
