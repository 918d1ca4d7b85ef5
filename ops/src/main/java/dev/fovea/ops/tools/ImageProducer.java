package dev.fovea.ops.tools;

import dev.fovea.avro.ImageEvent;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.serde.ConfluentAvroSerializer;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Produces image files to the images topic as {@code ImageEvent}s keyed by their id, at an optional
 * rate, with a progress bar. Used by {@code ./fovea produce}, the demo and the tests.
 */
public final class ImageProducer implements AutoCloseable {
    private static final List<String> IMAGE_SUFFIXES =
            List.of(".jpg", ".jpeg", ".png", ".gif", ".bmp");

    private final KafkaProducer<String, ImageEvent> producer;
    private final String topic;

    public ImageProducer(
            String bootstrapServers,
            SchemaRegistryClient registry,
            String topic,
            Map<String, Object> overrides) {
        this.producer = kafkaProducer(bootstrapServers, registry, overrides);
        this.topic = topic;
    }

    /**
     * A producer of ImageEvents as Fovea's tools send them: idempotent, acks=all, values in the
     * Confluent wire format (schema registered on first use), requests up to 16 MiB for large
     * images; {@code overrides} are Kafka producer settings on top.
     */
    public static KafkaProducer<String, ImageEvent> kafkaProducer(
            String bootstrapServers, SchemaRegistryClient registry, Map<String, Object> overrides) {
        return new KafkaProducer<>(
                properties(bootstrapServers, overrides),
                new StringSerializer(),
                new ConfluentAvroSerializer<>(registry, true));
    }

    /**
     * A producer with the settings of {@link #kafkaProducer} that sends keys and values as the
     * bytes given: for records the Avro serializer refuses to write (not Avro, a wrong magic byte,
     * a tombstone, a key that is not text).
     */
    public static KafkaProducer<byte[], byte[]> rawProducer(
            String bootstrapServers, Map<String, Object> overrides) {
        return new KafkaProducer<>(
                properties(bootstrapServers, overrides),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private static Properties properties(String bootstrapServers, Map<String, Object> overrides) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.putAll(overrides);
        return props;
    }

    /** One image to send: its id and the file it comes from. */
    public record Item(String id, Path file) {}

    /** Image files given directly or found (not recursively) in the given directories, sorted. */
    public static List<Path> imageFiles(List<Path> paths) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path path : paths) {
            if (Files.isDirectory(path)) {
                try (Stream<Path> listed = Files.list(path)) {
                    listed.filter(ImageProducer::looksLikeImage).sorted().forEach(files::add);
                }
            } else if (Files.isRegularFile(path)) {
                files.add(path);
            } else {
                throw new IOException("no such file or directory: " + path);
            }
        }
        return files;
    }

    private static boolean looksLikeImage(Path p) {
        String name = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return Files.isRegularFile(p) && IMAGE_SUFFIXES.stream().anyMatch(name::endsWith);
    }

    /** {@code count} items cycling over {@code files}, ids {@code prefix + file stem + "-" + n}. */
    public static List<Item> items(List<Path> files, int count, String prefix) {
        List<Item> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Path file = files.get(i % files.size());
            String stem = file.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            items.add(new Item(prefix + stem + "-" + i, file));
        }
        return items;
    }

    /**
     * Sends every item and waits for the broker to acknowledge all of them.
     *
     * @param ratePerSecond images per second, or 0 for as fast as possible
     * @param progress where to draw progress, or null for none
     */
    public List<RecordMetadata> send(List<Item> items, double ratePerSecond, PrintStream progress)
            throws IOException {
        ProgressBar bar =
                progress == null ? null : new ProgressBar(progress, "produce", items.size());
        List<Future<RecordMetadata>> acks = new ArrayList<>(items.size());
        Map<Path, byte[]> cache = new java.util.HashMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            if (ratePerSecond > 0) {
                long due = start + (long) (i * 1e9 / ratePerSecond);
                LockSupport.parkNanos(due - System.nanoTime());
            }
            byte[] data = cache.computeIfAbsent(item.file(), ImageProducer::read);
            ImageEvent event =
                    ImageEvent.newBuilder()
                            .setId(item.id())
                            .setData(ByteBuffer.wrap(data))
                            .setTimestamp(Instant.now())
                            .setAttributes(Map.of("file", item.file().getFileName().toString()))
                            .build();
            acks.add(producer.send(new ProducerRecord<>(topic, item.id(), event)));
            if (bar != null) {
                bar.update(i + 1);
            }
        }
        producer.flush();
        List<RecordMetadata> written = new ArrayList<>(acks.size());
        for (Future<RecordMetadata> ack : acks) {
            try {
                written.add(ack.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the broker", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException(
                        "the broker refused an image: " + e.getCause().getMessage(), e.getCause());
            }
        }
        if (bar != null) {
            bar.finish(items.size());
        }
        return written;
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
