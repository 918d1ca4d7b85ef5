package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static java.util.Map.entry;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.Prediction;
import dev.fovea.ops.tools.HostileCorpus;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.ops.tools.TopicReader;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.topology.image.DecoderLimits;
import dev.fovea.workers.FoveaWorker;
import dev.fovea.workers.config.WorkerConfig;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Every kind of bad input of {@link HostileCorpus} through one worker on a real broker: each record
 * ends as exactly one prediction or exactly one dead letter that says precisely what is wrong, and
 * the worker keeps classifying after all of them.
 */
class HostileInputTest {
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    /** Small, so the oversized record stays cheap; the photographs sent after fit under it. */
    private static final int MAX_IMAGE_BYTES = 256 * 1024;

    /**
     * Words each dead letter's message must contain: what is wrong and, where a setting decided it,
     * which one. Every rejected kind of the corpus must be listed.
     */
    private static final Map<String, List<String>> MESSAGE_WORDS =
            Map.ofEntries(
                    entry("empty-data", List.of("image data is empty")),
                    entry("random-bytes", List.of("does not start with a known image signature")),
                    entry("truncated-jpeg", List.of("JPEG", "truncated")),
                    entry("png-50000x50000", List.of("PNG", "50000x50000", "image.max.pixels")),
                    entry("jpeg-50000x50000", List.of("JPEG", "50000x50000", "image.max.pixels")),
                    entry(
                            "png-thin-over-max-aspect-ratio",
                            List.of("1x1000", "aspect ratio 1000:1", "image.max.aspect.ratio")),
                    entry("webp-header", List.of("WEBP images are not supported")),
                    entry("tiff-header", List.of("TIFF images are not supported")),
                    entry(
                            "over-image-max-bytes",
                            List.of(
                                    (MAX_IMAGE_BYTES + 1) + " bytes exceed the limit",
                                    "image.max.bytes")),
                    entry(
                            "non-utf8-key-not-framed",
                            List.of("magic byte 0x7b", "JSON", "key, 5 bytes, is not UTF-8")),
                    entry("not-avro", List.of("does not decode as Avro", "not a valid record")),
                    entry("avro-cut-short", List.of("does not decode as Avro", "cut short")),
                    entry("wrong-magic-byte", List.of("magic byte 0x01, expected 0x00")),
                    entry(
                            "unknown-schema-id",
                            List.of("unknown schema id " + HostileCorpus.UNKNOWN_SCHEMA_ID)),
                    entry("tombstone", List.of("value is null", "tombstone")));

    /** A path of this machine's file system, as a stack trace or an exception would show it. */
    private static final Pattern LOCAL_PATH = Pattern.compile("(^|[\\s(\"'=])/[\\w.-]+/");

    private static Fixture.Topics topics;
    private static FoveaWorker worker;
    private static SchemaRegistryClient registry;

    @BeforeAll
    static void startWorker() throws InterruptedException {
        // One partition: records are answered in the order sent, so once the photographs sent
        // last are classified, every record of the corpus has been answered.
        topics = Fixture.Topics.create("hostile", 1);
        registry = Fixture.registry();
        worker =
                FoveaWorker.start(
                        Fixture.workerConfig(
                                "hostile",
                                topics,
                                Map.of(
                                        WorkerConfig.IMAGE_MAX_BYTES,
                                        Integer.toString(MAX_IMAGE_BYTES))));
        assertTrue(worker.awaitRunning(Duration.ofMinutes(1)), "worker did not reach RUNNING");
    }

    @AfterAll
    static void stopWorker() {
        worker.close();
    }

    @Test
    void shouldAnswerEachHostileRecordOnceSayingWhatIsWrongAndKeepClassifying() throws Exception {
        DecoderLimits limits =
                new DecoderLimits(
                        MAX_IMAGE_BYTES,
                        DecoderLimits.DEFAULT_MAX_PIXELS,
                        DecoderLimits.DEFAULT_MAX_ASPECT_RATIO);
        List<HostileCorpus.Entry> corpus =
                HostileCorpus.generate(registry, topics.images(), "hostile-", limits);
        Set<String> rejectedKinds = new TreeSet<>();
        HostileCorpus.rejected(corpus).forEach(e -> rejectedKinds.add(e.kind()));
        assertEquals(
                new TreeSet<>(MESSAGE_WORDS.keySet()),
                rejectedKinds,
                "every rejected kind has its words");

        Map<Long, HostileCorpus.Entry> byOffset = sendRaw(corpus);
        List<Path> small =
                Fixture.photographs().stream().filter(HostileInputTest::fitsTheLimit).toList();
        List<ImageProducer.Item> after = ImageProducer.items(small, small.size(), "hostile-after-");
        try (ImageProducer producer =
                new ImageProducer(
                        Fixture.stack().bootstrapServers(), registry, topics.images(), Map.of())) {
            producer.send(after, 0, null);
        }

        Set<String> classified = new TreeSet<>();
        corpus.stream()
                .filter(HostileCorpus.Entry::classifiable)
                .forEach(e -> classified.add(e.id()));
        after.forEach(item -> classified.add(item.id()));
        Map<String, List<Prediction>> predictions =
                read(
                        Prediction.class,
                        topics.predictions(),
                        p -> p.getImageId().toString(),
                        seen -> seen.keySet().containsAll(classified));
        Map<Long, List<DeadLetter>> deadLetters =
                read(
                        DeadLetter.class,
                        topics.deadLetters(),
                        DeadLetter::getOffset,
                        seen -> seen.size() >= MESSAGE_WORDS.size());

        System.out.println(table(byOffset, predictions, deadLetters));
        assertEquals(classified, predictions.keySet(), "predictions for exactly these images");
        List<Executable> checks = new ArrayList<>();
        predictions.forEach(
                (id, all) -> checks.add(() -> assertEquals(1, all.size(), "predictions of " + id)));
        assertEquals(
                HostileCorpus.rejected(corpus).size(),
                deadLetters.size(),
                "dead letters, one per rejected record: " + deadLetters.keySet());
        for (Map.Entry<Long, HostileCorpus.Entry> sent : byOffset.entrySet()) {
            HostileCorpus.Entry entry = sent.getValue();
            List<DeadLetter> letters = deadLetters.getOrDefault(sent.getKey(), List.of());
            if (entry.classifiable()) {
                checks.add(() -> assertEquals(List.of(), letters, entry.kind()));
            } else {
                checks.add(() -> assertEquals(1, letters.size(), "dead letters of " + entry));
                if (letters.size() == 1) {
                    checks.add(() -> assertDeadLetter(entry, letters.get(0)));
                }
            }
        }
        assertAll(checks);
        assertNull(worker.failure(), "the worker never failed");
        assertEquals(KafkaStreams.State.RUNNING, worker.state());
    }

    private static void assertDeadLetter(HostileCorpus.Entry entry, DeadLetter d) {
        String message = d.getMessage().toString();
        String kind = entry.kind();
        assertAll(
                kind,
                () -> assertEquals(entry.expected().name(), d.getReason().toString(), "reason"),
                () -> {
                    for (String word : MESSAGE_WORDS.get(kind)) {
                        assertTrue(message.contains(word), "'" + word + "' in: " + message);
                    }
                },
                () -> assertEquals(1, message.lines().count(), "one line: " + message),
                () -> assertFalse(message.contains("Exception"), "no exception: " + message),
                () -> assertFalse(message.contains(".java"), "no stack frame: " + message),
                () -> assertFalse(LOCAL_PATH.matcher(message).find(), "no path: " + message),
                () -> assertTrue(message.length() <= 300, "short: " + message),
                () -> assertEquals(expectedImageId(entry), str(d.getImageId()), "imageId"),
                // Never more than the original record: its own key and value, or less.
                () -> assertArrayEquals(entry.key(), bytes(d.getKey()), "key"),
                () -> {
                    byte[] value = bytes(d.getValue());
                    if (value != null) {
                        assertArrayEquals(entry.value(), value, "value");
                    }
                });
    }

    /** The event's id; else the key's text; else, for a key that is not text, its hex. */
    private static String expectedImageId(HostileCorpus.Entry entry) {
        if (entry.id() != null || entry.key() == null) {
            return entry.id();
        }
        if (entry.kind().startsWith("non-utf8-key")) {
            return "0x" + HexFormat.of().formatHex(entry.key());
        }
        return new String(entry.key(), StandardCharsets.UTF_8);
    }

    /** Sends the corpus as raw bytes, as the serializer would refuse some, in order. */
    private static Map<Long, HostileCorpus.Entry> sendRaw(List<HostileCorpus.Entry> corpus)
            throws InterruptedException, ExecutionException {
        Map<Long, HostileCorpus.Entry> byOffset = new TreeMap<>();
        try (KafkaProducer<byte[], byte[]> producer =
                ImageProducer.rawProducer(Fixture.stack().bootstrapServers(), Map.of())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (HostileCorpus.Entry e : corpus) {
                acks.add(producer.send(new ProducerRecord<>(topics.images(), e.key(), e.value())));
            }
            for (int i = 0; i < corpus.size(); i++) {
                byOffset.put(acks.get(i).get().offset(), corpus.get(i));
            }
        }
        return byOffset;
    }

    /** Reads {@code topic} from the start, grouping records by {@code key}, until {@code done}. */
    private static <T extends SpecificRecord, K> Map<K, List<T>> read(
            Class<T> type, String topic, Function<T, K> key, Predicate<Map<K, List<T>>> done) {
        Map<K, List<T>> seen = new HashMap<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        try (TopicReader<T> reader =
                new TopicReader<>(
                        Fixture.stack().bootstrapServers(),
                        registry,
                        type,
                        topic,
                        true,
                        Map.of())) {
            while (!done.test(seen) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, T> record : reader.poll(Duration.ofMillis(500))) {
                    seen.computeIfAbsent(key.apply(record.value()), k -> new ArrayList<>())
                            .add(record.value());
                }
            }
            // A duplicate would come right behind: one more poll shows it.
            for (ConsumerRecord<String, T> record : reader.poll(Duration.ofSeconds(1))) {
                seen.computeIfAbsent(key.apply(record.value()), k -> new ArrayList<>())
                        .add(record.value());
            }
        }
        return seen;
    }

    /** What happened to each record, for the log: kind, then the prediction or the dead letter. */
    private static String table(
            Map<Long, HostileCorpus.Entry> byOffset,
            Map<String, List<Prediction>> predictions,
            Map<Long, List<DeadLetter>> deadLetters) {
        StringBuilder out = new StringBuilder("| input | outcome |\n|---|---|\n");
        byOffset.forEach(
                (offset, e) -> {
                    String outcome;
                    if (deadLetters.containsKey(offset)) {
                        DeadLetter d = deadLetters.get(offset).get(0);
                        outcome = d.getReason() + ": " + d.getMessage();
                    } else if (e.id() != null && predictions.containsKey(e.id())) {
                        outcome = "prediction";
                    } else {
                        outcome = "(nothing)";
                    }
                    out.append("| ").append(e.kind()).append(" | ").append(outcome).append(" |\n");
                });
        return out.toString();
    }

    private static boolean fitsTheLimit(Path photo) {
        try {
            return Files.size(photo) <= MAX_IMAGE_BYTES;
        } catch (IOException e) {
            return false;
        }
    }

    private static String str(CharSequence text) {
        return text == null ? null : text.toString();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
