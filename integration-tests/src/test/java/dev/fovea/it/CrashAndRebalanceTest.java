package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.avro.ImageEvent;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.workers.config.WorkerConfig;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import javax.imageio.ImageIO;

/**
 * Nothing is lost when workers crash, restart, join and leave: workers run as child processes
 * ({@link WorkerProcess}) on the real broker, are killed with SIGKILL or stopped with SIGTERM while
 * 2,000 images stream in, and at the end every offset of the images topic has its prediction (or,
 * for the images made broken on purpose, its dead letter), read with {@code read_committed}. Under
 * exactly_once_v2 each image is answered exactly once; under at_least_once the duplicates a crash
 * causes are counted and printed.
 *
 * <p>The moments of the kills, joins and leaves are drawn from a seeded {@link Random}; the seed is
 * printed, and {@code -Dfovea.it.seed=N} replays a run's choices. Images are produced at a steady
 * rate, and every change happens while they are: the producer is held at a mark ahead of the next
 * change until it is done, so that on a slow machine the stream waits for the workers rather than
 * ending before the changes it is meant to see (the timeline says when the producer was held). What
 * each run did (timeline with the workers' memory, duplicates and who wrote them, images per
 * worker) goes to the test's output, {@code
 * target/surefire-reports/dev.fovea.it.CrashAndRebalanceTest-output.txt}.
 */
class CrashAndRebalanceTest {
    private static final int IMAGES = 2_000;

    /** Every 100th image is a truncated JPEG, answered by a dead letter: 20 of 2,000. */
    private static final int BROKEN_EVERY = 100;

    /** Enough for three workers of two stream threads each to be busy. */
    private static final int PARTITIONS = 6;

    /**
     * Images per second produced: less than one worker answers on 2 cores (55-60), so that the
     * stream lasts 50 s, long enough for workers to start (6-15 s each), join and leave in it.
     */
    private static final double RATE = 40;

    /** From the start of a run (topics created, no worker yet) to its last answer. */
    private static final Duration RUN_DEADLINE = Duration.ofMinutes(5);

    /** A worker starts in a new JVM: TensorFlow, the model, its warm-up, the group join. */
    private static final Duration STARTUP = Duration.ofSeconds(90);

    private static final long SEED = Long.getLong("fovea.it.seed", System.nanoTime());

    static {
        System.out.println("CrashAndRebalanceTest seed " + SEED + " (-Dfovea.it.seed to replay)");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"at_least_once", "exactly_once_v2"})
    void shouldAnswerEveryImageThoughTheWorkerIsKilledTwiceMidStream(String guarantee)
            throws Exception {
        Random random = new Random(SEED + guarantee.hashCode());
        // One kill in each of two windows of the stream, in images produced so far, once the
        // worker has answered images of its own, plus up to 400 ms so that a kill is not tied to
        // the moment an image was sent.
        int[] killAt = {
            percent(15 + 25 * random.nextDouble()), percent(55 + 25 * random.nextDouble())
        };
        try (Run run = new Run("crash-" + shortName(guarantee), guarantee)) {
            WorkerProcess worker = run.startWorker("w1").awaitRunning(STARTUP);
            run.feed.holdAt(killAt[0] + percent(10));
            run.feed.start();
            List<WorkerProcess> all = new ArrayList<>(List.of(worker));
            for (int k = 0; k < killAt.length; k++) {
                run.awaitProduced(killAt[k]);
                run.awaitAnsweredBy(worker, 20);
                Thread.sleep(random.nextInt(400));
                run.kill(worker);
                run.feed.holdAt(k + 1 < killAt.length ? killAt[k + 1] + percent(10) : IMAGES);
                worker = run.startWorker("w" + (k + 2)).awaitRunning(STARTUP);
                run.note(worker + " RUNNING after the restart");
                all.add(worker);
            }
            run.awaitEverythingAnswered();
            run.stop(worker);
            run.verify(all);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"at_least_once", "exactly_once_v2"})
    void shouldAnswerEveryImageWhileThreeWorkersJoinAndLeave(String guarantee) throws Exception {
        Random random = new Random(SEED + 31L * guarantee.hashCode());
        // In images produced so far. A worker starts in 6 to 15 s, 240 to 600 images at RATE.
        int joinSecondAt = percent(5 + 5 * random.nextDouble());
        int leaveThirdAt = percent(60 + 10 * random.nextDouble());
        int killSecondAt = percent(75 + 10 * random.nextDouble());
        try (Run run = new Run("scale-" + shortName(guarantee), guarantee)) {
            WorkerProcess first = run.startWorker("w1").awaitRunning(STARTUP);
            run.feed.holdAt(percent(50));
            run.feed.start();

            run.awaitProduced(joinSecondAt);
            WorkerProcess second = run.startWorker("w2").awaitRunning(STARTUP);
            run.note(second + " joined: RUNNING");
            run.feed.holdAt(percent(70));
            // A worker must answer images of its own before the next change, or the test would
            // not show that it took part.
            run.awaitAnsweredBy(second, 10);

            WorkerProcess third = run.startWorker("w3").awaitRunning(STARTUP);
            run.note(third + " joined: RUNNING");
            run.feed.holdAt(percent(90));
            run.awaitAnsweredBy(third, 10);

            run.awaitProduced(leaveThirdAt);
            run.stop(third);
            run.awaitProduced(killSecondAt);
            run.kill(second);
            run.feed.holdAt(IMAGES);

            run.awaitEverythingAnswered();
            run.stop(first);
            run.verify(List.of(first, second, third));
        }
    }

    private static int percent(double p) {
        return (int) (IMAGES * p / 100);
    }

    private static String shortName(String guarantee) {
        return guarantee.startsWith("exactly") ? "eos" : "alo";
    }

    /**
     * One run: its own topics and application id, a producer feeding the images at {@link #RATE}, a
     * reader collecting every answer as it becomes visible, and the worker processes it started.
     */
    private static final class Run implements AutoCloseable {
        private final String name;
        private final String guarantee;
        private final Fixture.Topics topics;
        private final SchemaRegistryClient registry = Fixture.registry();
        private final Feed feed;
        private final OutputReader answers;
        private final List<WorkerProcess> workers = new ArrayList<>();
        private final List<String> timeline = new CopyOnWriteArrayList<>();
        private final long startNanos = System.nanoTime();
        private final long deadline = startNanos + RUN_DEADLINE.toNanos();

        Run(String name, String guarantee) {
            this.name = name;
            this.guarantee = guarantee;
            this.topics = Fixture.Topics.create(name, PARTITIONS);
            this.feed = new Feed(this);
            this.answers =
                    new OutputReader(
                            name,
                            Fixture.stack().bootstrapServers(),
                            registry,
                            topics.predictions(),
                            topics.deadLetters());
            note("run " + name + " under " + guarantee + ", seed " + SEED);
        }

        WorkerProcess startWorker(String worker) {
            Map<String, String> extra = new HashMap<>();
            extra.put(WorkerConfig.PROCESSING_GUARANTEE, guarantee);
            extra.put(WorkerConfig.STREAM_THREADS, "2");
            extra.put(WorkerConfig.WORKER_ID, name + "-" + worker);
            // A killed worker stays in the group until its session times out (45 s by default);
            // 6 s is the broker's minimum.
            extra.put("kafka.session.timeout.ms", "6000");
            extra.put("kafka.heartbeat.interval.ms", "1500");
            extra.put(
                    "kafka.state.dir",
                    Path.of("target", "worker-processes", name + "-" + worker + "-state")
                            .toAbsolutePath()
                            .toString());
            WorkerProcess process =
                    WorkerProcess.start(
                            name + "-" + worker, Fixture.workerSettings(name, topics, extra));
            workers.add(process);
            note("started " + process);
            return process;
        }

        /** SIGTERM: the worker commits, leaves the group and exits with 0. */
        void stop(WorkerProcess worker) throws InterruptedException {
            note("SIGTERM to " + worker + " at " + progress() + memory());
            int status = worker.stop(Duration.ofSeconds(60));
            assertEquals(
                    WorkerProcess.STOPPED,
                    status,
                    worker + " should exit after its shutdown hook" + worker.tail());
            assertTrue(
                    worker.closedCleanly(),
                    worker + " did not close Kafka Streams" + worker.tail());
            note(worker + " exited with " + status + " after closing Kafka Streams");
        }

        /** SIGKILL: the worker stops dead, between any two instructions. */
        void kill(WorkerProcess worker) throws InterruptedException {
            note("kill -9 " + worker + " at " + progress() + memory());
            int status = worker.kill();
            // destroyForcibly() is SIGKILL on Linux; the JDK reports death by signal N as 128 + N,
            // so 137 proves the worker was killed, not shut down.
            assertEquals(
                    WorkerProcess.KILLED,
                    status,
                    worker + " should have died of SIGKILL" + worker.tail());
            note(worker + " died with " + status);
        }

        /** Resident memory of the live workers: each runs with -Xmx512m plus TensorFlow's own. */
        private String memory() {
            return workers.stream()
                    .filter(WorkerProcess::isAlive)
                    .map(w -> w.name() + " " + w.residentMegabytes() + " MiB")
                    .collect(Collectors.joining(", ", " (RSS: ", ")"));
        }

        void note(String event) {
            String line =
                    String.format("%7.1f s  %s", (System.nanoTime() - startNanos) / 1e9, event);
            timeline.add(line);
            System.out.println("[" + name + "] " + line);
        }

        String progress() {
            return feed.sent() + " produced, " + answers.distinct() + " answered";
        }

        void awaitProduced(int count) throws InterruptedException {
            await(() -> feed.sent() >= count, count + " images produced");
        }

        void awaitAnsweredBy(WorkerProcess worker, int count) throws InterruptedException {
            await(
                    () -> answers.byWorker(worker.name()) >= count,
                    count + " images answered by " + worker);
        }

        void awaitEverythingAnswered() throws InterruptedException {
            feed.awaitSent();
            note("all " + IMAGES + " produced; " + answers.distinct() + " answered");
            await(() -> answers.distinct() >= IMAGES, "every image answered");
            note("every image answered");
        }

        private void await(BooleanSupplier condition, String what) throws InterruptedException {
            while (!condition.getAsBoolean()) {
                feed.rethrow();
                answers.rethrow();
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(
                            "run "
                                    + name
                                    + ": no "
                                    + what
                                    + " within "
                                    + RUN_DEADLINE
                                    + " ("
                                    + progress()
                                    + ")"
                                    + missingReport()
                                    + diagnostics());
                }
                if (workers.stream().noneMatch(WorkerProcess::isAlive)) {
                    throw new AssertionError(
                            "run "
                                    + name
                                    + ": every worker exited while waiting for "
                                    + what
                                    + diagnostics());
                }
                Thread.sleep(20);
            }
        }

        /**
         * Reads what is left, then checks every offset of the images topic against its answers.
         *
         * @param participants workers that must each have answered images
         */
        void verify(List<WorkerProcess> participants) throws InterruptedException {
            Map<TopicPartition, Long> imageEnds =
                    OutputReader.highWatermarks(
                            Fixture.stack().bootstrapServers(), topics.images());
            Map<String, Long> answerEnds = new TreeMap<>();
            answers.drain(Duration.ofSeconds(90))
                    .forEach((tp, end) -> answerEnds.put(tp.toString(), end));
            note("drained the outputs, end offsets " + answerEnds);

            // The images topic holds exactly the images produced: offsets 0 to end - 1 of each
            // partition, each one an image of this run.
            List<RecordMetadata> acks = feed.acks();
            Map<TopicPartition, Set<Long>> offsets = new HashMap<>();
            for (RecordMetadata m : acks) {
                offsets.computeIfAbsent(
                                new TopicPartition(m.topic(), m.partition()), tp -> new HashSet<>())
                        .add(m.offset());
            }
            long total = 0;
            for (Map.Entry<TopicPartition, Long> end : imageEnds.entrySet()) {
                Set<Long> seen = offsets.getOrDefault(end.getKey(), Set.of());
                assertEquals(
                        end.getValue(),
                        (long) seen.size(),
                        end.getKey() + ": offsets 0.." + (end.getValue() - 1) + " are our images");
                total += end.getValue();
            }
            assertEquals(IMAGES, total, "images in " + topics.images());

            List<String> missing = new ArrayList<>();
            List<String> wrong = new ArrayList<>();
            Map<String, Integer> duplicated = new TreeMap<>();
            Map<String, Integer> duplicatedBy = new TreeMap<>();
            Map<String, Integer> perWorker = new TreeMap<>();
            int duplicates = 0;
            for (int i = 0; i < IMAGES; i++) {
                String id = feed.id(i);
                RecordMetadata at = acks.get(i);
                List<OutputReader.Answer> got = answers.of(id);
                if (got.isEmpty()) {
                    missing.add(id + " (" + at.partition() + "@" + at.offset() + ")");
                    continue;
                }
                boolean broken = Feed.isBroken(i);
                for (OutputReader.Answer a : got) {
                    perWorker.merge(a.worker(), 1, Integer::sum);
                    if (broken != a.deadLetter()
                            || !id.equals(a.key())
                            || !id.equals(a.imageId())
                            || (a.deadLetter()
                                    && (a.sourcePartition() != at.partition()
                                            || a.sourceOffset() != at.offset()))) {
                        wrong.add(id + " (" + at.partition() + "@" + at.offset() + "): " + a);
                    }
                }
                if (got.size() > 1) {
                    duplicated.put(id, got.size());
                    duplicates += got.size() - 1;
                    for (OutputReader.Answer again : got.subList(1, got.size())) {
                        duplicatedBy.merge(
                                got.get(0).worker() + " then " + again.worker(), 1, Integer::sum);
                    }
                }
            }
            note(
                    "answers: "
                            + answers.total()
                            + " records for "
                            + (IMAGES - missing.size())
                            + " images; duplicates "
                            + duplicates
                            + " (of "
                            + duplicated.size()
                            + " images) "
                            + duplicatedBy
                            + "; per worker "
                            + perWorker);
            System.out.println(
                    "["
                            + name
                            + "] SUMMARY "
                            + guarantee
                            + ": duplicates="
                            + duplicates
                            + ", seed="
                            + SEED
                            + "\n"
                            + String.join("\n", timeline));
            assertTrue(
                    missing.isEmpty(),
                    missing.size()
                            + " images with no prediction and no dead letter, first "
                            + missing.subList(0, Math.min(50, missing.size()))
                            + diagnostics());
            assertTrue(
                    wrong.isEmpty(),
                    wrong.size()
                            + " answers that do not match their image: "
                            + wrong.subList(0, Math.min(50, wrong.size())));
            if (guarantee.equals("exactly_once_v2")) {
                assertEquals(
                        Map.of(),
                        duplicated,
                        "exactly_once_v2: a read_committed consumer sees each answer once"
                                + diagnostics());
            }
            for (WorkerProcess worker : participants) {
                assertTrue(
                        perWorker.getOrDefault(worker.name(), 0) > 0,
                        worker + " answered no image: " + perWorker + diagnostics());
            }
        }

        private String missingReport() {
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < feed.sent() && missing.size() < 20; i++) {
                if (answers.of(feed.id(i)).isEmpty()) {
                    RecordMetadata at = feed.ackOrNull(i);
                    missing.add(
                            feed.id(i)
                                    + (at == null
                                            ? ""
                                            : " (" + at.partition() + "@" + at.offset() + ")"));
                }
            }
            return "\nfirst unanswered: " + missing;
        }

        private String diagnostics() {
            StringBuilder out = new StringBuilder("\nseed " + SEED + "; timeline:\n");
            timeline.forEach(line -> out.append(line).append('\n'));
            for (WorkerProcess worker : workers) {
                out.append(worker.tail(15)).append('\n');
            }
            return out.toString();
        }

        @Override
        public void close() {
            workers.forEach(WorkerProcess::close);
            feed.close();
            answers.close();
        }
    }

    /**
     * Produces the run's images at {@link #RATE}, keeping where each one was written, and can be
     * held at an image until a test's step is done, so that every step happens mid-stream.
     */
    private static final class Feed implements AutoCloseable {
        private static final List<byte[]> GOOD = pictures();
        private static final byte[] BROKEN = truncatedJpeg();

        private final Run run;
        private final KafkaProducer<String, ImageEvent> producer;
        private final AtomicReferenceArray<RecordMetadata> acks =
                new AtomicReferenceArray<>(IMAGES);
        private final AtomicInteger sent = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;
        private volatile int limit = IMAGES;

        Feed(Run run) {
            this.run = run;
            this.producer =
                    ImageProducer.kafkaProducer(
                            Fixture.stack().bootstrapServers(), run.registry, Map.of());
            this.thread = new Thread(this::produce, run.name + "-feed");
            thread.setDaemon(true);
        }

        static boolean isBroken(int i) {
            return i % BROKEN_EVERY == BROKEN_EVERY - 1;
        }

        String id(int i) {
            return String.format("%s-%04d", run.name, i);
        }

        void start() {
            run.note("producing " + IMAGES + " images at " + RATE + "/s");
            thread.start();
        }

        /** Produces images up to (not including) {@code index} only, until told otherwise. */
        void holdAt(int index) {
            limit = index;
        }

        private void produce() {
            long period = (long) (1e9 / RATE);
            long due = System.nanoTime();
            try {
                for (int i = 0; i < IMAGES; i++) {
                    if (i >= limit) {
                        run.note("feed held at image " + i + " (" + run.progress() + ")");
                        while (i >= limit) {
                            Thread.sleep(5);
                        }
                        run.note("feed resumed, up to image " + limit);
                        due = System.nanoTime();
                    }
                    LockSupport.parkNanos(due - System.nanoTime());
                    due += period;
                    byte[] image = isBroken(i) ? BROKEN : GOOD.get(i % GOOD.size());
                    ImageEvent event =
                            ImageEvent.newBuilder()
                                    .setId(id(i))
                                    .setData(ByteBuffer.wrap(image))
                                    .setTimestamp(Instant.now())
                                    .setAttributes(Map.of("n", String.valueOf(i)))
                                    .build();
                    int n = i;
                    producer.send(
                            new ProducerRecord<>(run.topics.images(), id(i), event),
                            (metadata, e) -> {
                                if (e != null) {
                                    failure.compareAndSet(null, e);
                                } else {
                                    acks.set(n, metadata);
                                }
                            });
                    sent.incrementAndGet();
                }
                producer.flush();
            } catch (InterruptedException e) {
                // closed before the end: the test has failed already
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }

        int sent() {
            return sent.get();
        }

        RecordMetadata ackOrNull(int i) {
            return acks.get(i);
        }

        List<RecordMetadata> acks() {
            List<RecordMetadata> all = new ArrayList<>(IMAGES);
            for (int i = 0; i < IMAGES; i++) {
                all.add(acks.get(i));
            }
            return all;
        }

        void awaitSent() throws InterruptedException {
            thread.join(RUN_DEADLINE.toMillis());
            rethrow();
            for (int i = 0; i < IMAGES; i++) {
                if (acks.get(i) == null) {
                    throw new AssertionError("image " + id(i) + " was not acknowledged");
                }
            }
        }

        void rethrow() {
            Throwable e = failure.get();
            if (e != null) {
                throw new AssertionError("producing the images failed: " + e, e);
            }
        }

        @Override
        public void close() {
            thread.interrupt();
            producer.close(Duration.ofSeconds(10));
        }

        /** Small images decode in well under a millisecond; the model's cost does not change. */
        private static List<byte[]> pictures() {
            List<byte[]> pictures = new ArrayList<>();
            for (int v = 0; v < 16; v++) {
                BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 64; y++) {
                    for (int x = 0; x < 64; x++) {
                        image.setRGB(x, y, (x * 4 + v * 16) % 256 << 16 | (y * 4) << 8 | v * 15);
                    }
                }
                pictures.add(encode(image, v % 2 == 0 ? "png" : "jpg"));
            }
            return pictures;
        }

        private static byte[] truncatedJpeg() {
            byte[] whole = pictures().get(1);
            return Arrays.copyOf(whole, whole.length / 3);
        }

        private static byte[] encode(BufferedImage image, String format) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                ImageIO.write(image, format, out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }
    }
}
