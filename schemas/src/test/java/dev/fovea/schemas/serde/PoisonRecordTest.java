package dev.fovea.schemas.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeout;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.avro.ImageEvent;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.server.LocalSchemaRegistry;

import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;

/**
 * Records whose length prefixes claim far more than they hold: each must fail as bad data, fast,
 * rather than make Avro allocate what the prefix claims (an OutOfMemoryError kills the worker, and
 * the record kills it again on restart).
 */
class PoisonRecordTest {
    private static final String TOPIC = "images.raw";
    private static final long ONE_GIB = 1L << 30;

    private LocalSchemaRegistry registry;
    private ConfluentAvroDeserializer<ImageEvent> deserializer;
    private int id;

    @BeforeEach
    void startRegistry() {
        registry = LocalSchemaRegistry.start("localhost", 0, null);
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
        id = client.register(TOPIC + "-value", ImageEvent.getClassSchema());
        deserializer = new ConfluentAvroDeserializer<>(client, ImageEvent.class);
        deserializer.deserialize(TOPIC, frame(Records.imageEvent())); // the reader is cached
    }

    @AfterEach
    void stopRegistry() {
        registry.close();
    }

    @Test
    void shouldRejectAStringLengthClaimingAGibibyteWithoutAllocatingIt() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        BinaryEncoder avro = EncoderFactory.get().directBinaryEncoder(body, null);
        avro.writeLong(ONE_GIB); // the length of the id string
        body.write(new byte[] {'i', 'm', 'g'});
        byte[] poison = frame(body.toByteArray());
        assertEquals(13, poison.length);

        WireFormatException e = rejectedFast(poison);

        assertTrue(
                e.getMessage()
                        .endsWith(
                                ": a length prefix claims 1073741824 bytes, more than the 8"
                                        + " bytes of the whole Avro body: the value was cut short,"
                                        + " or is not a valid record"),
                e.getMessage());
        assertTrue(e.getMessage().contains("(id " + id + ")"), e.getMessage());
    }

    @Test
    void shouldRejectABytesLengthClaimingAGibibyteWithoutAllocatingIt() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        BinaryEncoder avro = EncoderFactory.get().directBinaryEncoder(body, null);
        avro.writeString("img-1");
        avro.writeLong(ONE_GIB); // the length of the image bytes
        byte[] poison = frame(body.toByteArray());

        WireFormatException e = rejectedFast(poison);

        assertTrue(
                e.getMessage().contains("a length prefix claims 1073741824 bytes, more than the"),
                e.getMessage());
    }

    /**
     * A value as long as its claim, but longer than any image Fovea takes: Avro's own limit, which
     * AvroLimits sets to 64 MiB (Avro's default is 2 GiB), must refuse it.
     */
    @Test
    void shouldApplyTheBytesLimitToAValueAsLongAsItsClaim() throws IOException {
        int length = AvroLimits.MAX_BYTES_LENGTH + 1;
        ByteArrayOutputStream body = new ByteArrayOutputStream(length + 64);
        BinaryEncoder avro = EncoderFactory.get().directBinaryEncoder(body, null);
        avro.writeString("img-1");
        avro.writeBytes(new byte[length]);
        avro.writeIndex(0); // contentType: null
        avro.writeLong(0); // timestamp
        avro.writeMapStart();
        avro.writeMapEnd();

        WireFormatException e =
                assertThrows(
                        WireFormatException.class,
                        () -> deserializer.deserialize(TOPIC, frame(body.toByteArray())));

        assertTrue(
                e.getMessage()
                        .endsWith(
                                ": a length prefix claims 67108865 bytes, over the limit of"
                                        + " 67108864 bytes set by AvroLimits: not a valid record"),
                e.getMessage());
    }

    @Test
    void shouldRejectAMapClaimingMoreItemsThanTheLimit() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        BinaryEncoder avro = EncoderFactory.get().directBinaryEncoder(body, null);
        avro.writeString("img-1");
        avro.writeBytes(new byte[] {1, 2, 3});
        avro.writeIndex(0); // contentType: null
        avro.writeLong(0); // timestamp
        avro.writeLong(2_000_000); // attributes: a block of two million entries
        byte[] poison = frame(body.toByteArray());

        WireFormatException e = rejectedFast(poison);

        assertTrue(
                e.getMessage()
                        .endsWith(
                                ": a collection claims 2000000 items, over the limit of 1000000"
                                        + " items set by AvroLimits: not a valid record"),
                e.getMessage());
    }

    private WireFormatException rejectedFast(byte[] poison) {
        return assertTimeout(
                Duration.ofSeconds(2),
                () ->
                        assertThrows(
                                WireFormatException.class,
                                () -> deserializer.deserialize(TOPIC, poison)));
    }

    private byte[] frame(ImageEvent event) {
        return new ConfluentAvroSerializer<ImageEvent>(
                        new HttpSchemaRegistryClient(registry.url()), true)
                .serialize(TOPIC, event);
    }

    private byte[] frame(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 5);
        WireFormat.writeHeader(out, id);
        out.writeBytes(body);
        return out.toByteArray();
    }
}
