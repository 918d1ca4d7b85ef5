package dev.fovea.schemas.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.ImageEvent;
import dev.fovea.avro.Prediction;
import dev.fovea.schemas.registry.ErrorCodes;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.RegistryUnavailableException;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryException;
import dev.fovea.schemas.registry.UnsupportedSchemaTypeException;
import dev.fovea.schemas.registry.server.LocalSchemaRegistry;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

class ConfluentAvroSerdeTest {
    private static final String TOPIC = "images.raw";
    private static final String SUBJECT = "images.raw-value";

    /** ImageEvent before contentType and attributes were added. */
    private static final Schema OLDER_IMAGE_EVENT =
            new Schema.Parser()
                    .parse(
                            """
{"type": "record", "name": "ImageEvent", "namespace": "dev.fovea.avro", "fields": [
  {"name": "id", "type": "string"},
  {"name": "data", "type": "bytes"},
  {"name": "timestamp", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}""");

    /** ImageEvent as a future producer might write it: one more field, with a default. */
    private static final Schema NEWER_IMAGE_EVENT =
            new Schema.Parser()
                    .parse(
                            """
{"type": "record", "name": "ImageEvent", "namespace": "dev.fovea.avro", "fields": [
  {"name": "id", "type": "string"},
  {"name": "data", "type": "bytes"},
  {"name": "contentType", "type": ["null", "string"], "default": null},
  {"name": "timestamp", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "attributes", "type": {"type": "map", "values": "string"}, "default": {}},
  {"name": "source", "type": "string", "default": "camera"}]}""");

    private LocalSchemaRegistry registry;
    private SchemaRegistryClient client;

    @BeforeEach
    void startRegistry() {
        registry = LocalSchemaRegistry.start("localhost", 0, null);
        client = new HttpSchemaRegistryClient(registry.url());
    }

    @AfterEach
    void stopRegistry() {
        registry.close();
    }

    @Test
    void shouldRoundTripAnImageEvent() {
        assertEquals(Records.imageEvent(), roundTrip(ImageEvent.class, Records.imageEvent()));
    }

    @Test
    void shouldRoundTripAPrediction() {
        assertEquals(Records.prediction(), roundTrip(Prediction.class, Records.prediction()));
    }

    @Test
    void shouldRoundTripADeadLetter() {
        assertEquals(Records.deadLetter(), roundTrip(DeadLetter.class, Records.deadLetter()));
    }

    @Test
    void shouldWriteAMultiMegabyteDeadLetterIntoAnArrayOfExactlyItsSize() throws IOException {
        byte[] image = new byte[5 << 20];
        new Random(42).nextBytes(image);
        DeadLetter letter = Records.deadLetter();
        letter.setValue(ByteBuffer.wrap(image));
        ConfluentAvroSerde<DeadLetter> serde = serde(DeadLetter.class);

        byte[] framed = serde.serializer().serialize("dead-letters", letter);

        byte[] plain = plainAvro(letter);
        assertEquals(WireFormat.HEADER_SIZE + plain.length, framed.length);
        assertArrayEquals(plain, Arrays.copyOfRange(framed, WireFormat.HEADER_SIZE, framed.length));
        assertEquals(0, letter.getValue().position(), "the record is left as it was");
        assertEquals(letter, serde.deserializer().deserialize("dead-letters", framed));
    }

    @Test
    void shouldSerializeConcurrentlyFromManyThreads() throws Exception {
        ConfluentAvroSerde<ImageEvent> serde = serde(ImageEvent.class);
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> sameAfterRoundTrip = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                ImageEvent event = Records.imageEvent();
                event.setId("img-" + i);
                event.setData(ByteBuffer.wrap(new byte[i * 10_000 + 1]));
                sameAfterRoundTrip.add(
                        threads.submit(
                                () ->
                                        event.equals(
                                                serde.deserializer()
                                                        .deserialize(
                                                                TOPIC,
                                                                serde.serializer()
                                                                        .serialize(
                                                                                TOPIC, event)))));
            }
            for (Future<Boolean> same : sameAfterRoundTrip) {
                assertTrue(same.get());
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void shouldFrameValuesAsMagicByteThenBigEndianIdThenPlainAvro() throws IOException {
        client.register("other-value", Prediction.getClassSchema()); // so that the id is not 1
        ImageEvent event = Records.imageEvent();

        byte[] framed = serde(ImageEvent.class).serializer().serialize(TOPIC, event);

        int id = client.lookup(SUBJECT, ImageEvent.getClassSchema()).id();
        assertEquals(2, id);
        assertEquals(0, framed[0]);
        assertArrayEquals(new byte[] {0, 0, 0, 2}, Arrays.copyOfRange(framed, 1, 5));
        assertEquals(id, WireFormat.schemaId(framed));
        assertArrayEquals(plainAvro(event), Arrays.copyOfRange(framed, 5, framed.length));
    }

    @Test
    void shouldReadRecordsWrittenWithAnOlderSchema() throws IOException {
        GenericRecord old = new GenericData.Record(OLDER_IMAGE_EVENT);
        old.put("id", "img-1");
        old.put("data", ByteBuffer.wrap(new byte[] {1, 2, 3}));
        old.put("timestamp", Records.TAKEN.toEpochMilli());
        int id = client.register(SUBJECT, OLDER_IMAGE_EVENT);

        ImageEvent read = deserializer().deserialize(TOPIC, frame(id, OLDER_IMAGE_EVENT, old));

        assertEquals("img-1", read.getId());
        assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3}), read.getData());
        assertEquals(Records.TAKEN, read.getTimestamp());
        assertNull(read.getContentType(), "a field the writer lacked takes its default");
        assertEquals(Map.of(), read.getAttributes());
    }

    @Test
    void shouldReadRecordsWrittenWithANewerSchema() throws IOException {
        ImageEvent event = Records.imageEvent();
        GenericRecord newer = new GenericData.Record(NEWER_IMAGE_EVENT);
        newer.put("id", event.getId());
        newer.put("data", event.getData());
        newer.put("contentType", event.getContentType());
        newer.put("timestamp", event.getTimestamp().toEpochMilli());
        newer.put("attributes", event.getAttributes());
        newer.put("source", "scanner");
        client.register(SUBJECT, ImageEvent.getClassSchema());
        int id = client.register(SUBJECT, NEWER_IMAGE_EVENT);

        assertEquals(event, deserializer().deserialize(TOPIC, frame(id, NEWER_IMAGE_EVENT, newer)));
    }

    @Test
    void shouldDecodeInPlaceFromAByteBufferSlice() {
        byte[] framed = serde(ImageEvent.class).serializer().serialize(TOPIC, Records.imageEvent());
        byte[] batch = new byte[framed.length + 10];
        System.arraycopy(framed, 0, batch, 7, framed.length);
        ByteBuffer slice = ByteBuffer.wrap(batch, 7, framed.length).slice();

        assertEquals(
                Records.imageEvent(),
                deserializer().deserialize(TOPIC, new RecordHeaders(), slice));
    }

    @Test
    void shouldMapNullToNullBothWays() {
        ConfluentAvroSerde<ImageEvent> serde = serde(ImageEvent.class);

        assertNull(serde.serializer().serialize(TOPIC, null));
        assertNull(serde.deserializer().deserialize(TOPIC, null));
        assertTrue(client.subjects().isEmpty(), "nothing to register for a tombstone");
    }

    @Test
    void shouldRegisterKeysUnderTheKeySubject() {
        ConfluentAvroSerde<ImageEvent> serde = serde(ImageEvent.class);
        serde.configure(Map.of(), true);

        serde.serializer().serialize(TOPIC, Records.imageEvent());

        assertEquals(List.of("images.raw-key"), client.subjects());
    }

    @Test
    void shouldOnlyLookUpTheSchemaWhenAutoRegisterIsOff() {
        ConfluentAvroSerializer<ImageEvent> serializer =
                new ConfluentAvroSerializer<>(client, false);

        SchemaRegistryException missing =
                assertThrows(
                        SchemaRegistryException.class,
                        () -> serializer.serialize(TOPIC, Records.imageEvent()));
        assertEquals(ErrorCodes.SUBJECT_NOT_FOUND, missing.errorCode());
        assertTrue(client.subjects().isEmpty());

        int id = client.register(SUBJECT, ImageEvent.getClassSchema());
        assertEquals(id, WireFormat.schemaId(serializer.serialize(TOPIC, Records.imageEvent())));
    }

    @Test
    void shouldBuildItselfFromKafkaConfigs() {
        ConfluentAvroSerde<ImageEvent> serde = new ConfluentAvroSerde<>();
        serde.configure(Map.of(HttpSchemaRegistryClient.URL_CONFIG, registry.url()), false);

        byte[] framed = serde.serializer().serialize(TOPIC, Records.imageEvent());

        assertEquals(Records.imageEvent(), serde.deserializer().deserialize(TOPIC, framed));
        assertEquals(List.of(SUBJECT), client.subjects());
    }

    @Test
    void shouldRequireTheRegistryUrlWhenConfiguredByKafka() {
        ConfigException e =
                assertThrows(
                        ConfigException.class,
                        () -> new ConfluentAvroSerde<ImageEvent>().configure(Map.of(), false));
        assertTrue(e.getMessage().contains("schema.registry.url is required"), e.getMessage());
    }

    @Test
    void shouldSayWhichRecordCannotBeWritten() {
        ImageEvent withoutId =
                new ImageEvent(null, ByteBuffer.allocate(0), null, Records.TAKEN, Map.of());

        SerializationException e =
                assertThrows(
                        SerializationException.class,
                        () -> serde(ImageEvent.class).serializer().serialize(TOPIC, withoutId));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "cannot serialize a dev.fovea.avro.ImageEvent for topic images.raw:"
                                        + " "),
                e.getMessage());
        assertTrue(e.getMessage().contains("ImageEvent.id"), e.getMessage());
    }

    @Test
    void shouldSayHowToConfigureASerdeUsedTooEarly() {
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> new ConfluentAvroSerde<ImageEvent>().serializer());
        assertTrue(
                e.getMessage().startsWith("ConfluentAvroSerde is not configured"), e.getMessage());
    }

    @Test
    void shouldRejectAWrongMagicByte() {
        byte[] json = "{\"id\":\"img-1\"}".getBytes(StandardCharsets.UTF_8);

        WireFormatException e =
                assertThrows(
                        WireFormatException.class, () -> deserializer().deserialize(TOPIC, json));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "magic byte 0x7b, expected 0x00: the value is not in the Confluent"
                                        + " wire format (JSON?)"),
                e.getMessage());
    }

    @Test
    void shouldRejectValuesShorterThanTheHeader() {
        WireFormatException shorter =
                assertThrows(
                        WireFormatException.class,
                        () -> deserializer().deserialize(TOPIC, new byte[] {0, 0, 1}));
        assertTrue(
                shorter.getMessage()
                        .contains("value of 3 bytes is shorter than the 5-byte Confluent header"),
                shorter.getMessage());

        WireFormatException empty =
                assertThrows(
                        WireFormatException.class,
                        () -> deserializer().deserialize(TOPIC, new byte[0]));
        assertTrue(empty.getMessage().startsWith("empty value"), empty.getMessage());
    }

    @Test
    void shouldRejectBytesThatAreNotAvroOfTheWriterSchema() {
        int id = client.register(SUBJECT, ImageEvent.getClassSchema());
        // 0x01 is the zig-zag varint -1: a negative length for the id string.
        byte[] garbage = {0, 0, 0, 0, (byte) id, 0x01};

        WireFormatException e =
                assertThrows(
                        WireFormatException.class,
                        () -> deserializer().deserialize(TOPIC, garbage));
        assertTrue(
                e.getMessage()
                        .contains("does not decode as Avro with its writer schema (id " + id + ")"),
                e.getMessage());
        assertTrue(
                e.getMessage().endsWith(": a length prefix is negative (-1): not a valid record"),
                e.getMessage());
    }

    @Test
    void shouldSayARecordIsCutShortRatherThanGiveAnEmptyEofException() {
        byte[] framed = serde(ImageEvent.class).serializer().serialize(TOPIC, Records.imageEvent());
        byte[] cut = Arrays.copyOf(framed, framed.length - 4);

        WireFormatException e =
                assertThrows(
                        WireFormatException.class, () -> deserializer().deserialize(TOPIC, cut));

        // EOFException has no message: the dead letter said only "java.io.EOFException".
        assertTrue(
                e.getMessage()
                        .endsWith(
                                ": the bytes end in the middle of the record: the value was"
                                        + " cut short, or is not Avro written with that schema"),
                e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
    }

    @Test
    void shouldSayAUnionIndexIsOutOfRangeInWordsNotAsAJavaException() {
        int id = client.register(SUBJECT, ImageEvent.getClassSchema());
        // id "x", empty data, then contentType's union branch 4 of its 2.
        byte[] badUnion = {0, 0, 0, 0, (byte) id, 0x02, 'x', 0x00, 0x08};

        WireFormatException e =
                assertThrows(
                        WireFormatException.class,
                        () -> deserializer().deserialize(TOPIC, badUnion));

        assertTrue(
                e.getMessage()
                        .endsWith(
                                ": a union branch or enum symbol index is out of range:"
                                        + " not a valid record"),
                e.getMessage());
    }

    @Test
    void shouldRejectBytesLeftAfterTheRecord() {
        byte[] framed = serde(ImageEvent.class).serializer().serialize(TOPIC, Records.imageEvent());
        byte[] longer = Arrays.copyOf(framed, framed.length + 3);

        WireFormatException e =
                assertThrows(
                        WireFormatException.class, () -> deserializer().deserialize(TOPIC, longer));
        assertTrue(e.getMessage().contains("bytes are left after the record"), e.getMessage());
    }

    @Test
    void shouldRejectAWriterSchemaOfAnotherRecordType() {
        byte[] prediction =
                serde(Prediction.class).serializer().serialize(TOPIC, Records.prediction());

        SerializationException e =
                assertThrows(
                        SerializationException.class,
                        () -> deserializer().deserialize(TOPIC, prediction));
        assertTrue(
                e.getMessage()
                        .contains(
                                "(dev.fovea.avro.Prediction) cannot be read as"
                                        + " dev.fovea.avro.ImageEvent"),
                e.getMessage());
    }

    @Test
    void shouldPropagateAnUnknownSchemaIdAsBadDataNotAsAnOutage() {
        byte[] unknown = {0, 0, 0, 3, (byte) 0xe7, 0};

        SchemaRegistryException e =
                assertThrows(
                        SchemaRegistryException.class,
                        () -> deserializer().deserialize(TOPIC, unknown));
        assertEquals(ErrorCodes.SCHEMA_NOT_FOUND, e.errorCode());
        assertFalse(e instanceof RegistryUnavailableException);
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "unknown schema id 999: the record was written against a different "
                                        + "registry?"),
                e.getMessage());
    }

    @Test
    void shouldTreatARecordWithAProtobufSchemaIdAsBadData() throws IOException {
        HttpServer protobufRegistry = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        protobufRegistry.createContext(
                "/schemas/ids/",
                exchange -> {
                    byte[] body =
                            ("{\"schema\":\"syntax = \\\"proto3\\\"; message ImageEvent {}\","
                                            + "\"schemaType\":\"PROTOBUF\"}")
                                    .getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, body.length);
                    try (exchange) {
                        exchange.getResponseBody().write(body);
                    }
                });
        protobufRegistry.start();
        try {
            ConfluentAvroDeserializer<ImageEvent> deserializer =
                    new ConfluentAvroDeserializer<>(
                            new HttpSchemaRegistryClient(
                                    "http://localhost:" + protobufRegistry.getAddress().getPort()),
                            ImageEvent.class);

            WireFormatException e =
                    assertThrows(
                            WireFormatException.class,
                            () -> deserializer.deserialize(TOPIC, new byte[] {0, 0, 0, 0, 9, 10}));

            assertEquals(
                    "a value of 6 bytes from topic images.raw is not Avro: schema id 9 is"
                            + " PROTOBUF; Fovea reads Avro records only: the record was written by"
                            + " a PROTOBUF serializer, to a topic that should carry Avro",
                    e.getMessage());
            assertInstanceOf(UnsupportedSchemaTypeException.class, e.getCause());
        } finally {
            protobufRegistry.stop(0);
        }
    }

    @Test
    void shouldTellAnUnreachableRegistryApartFromBadData() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://localhost:" + closedPort;
        ConfluentAvroDeserializer<ImageEvent> deserializer =
                new ConfluentAvroDeserializer<>(
                        new HttpSchemaRegistryClient(url), ImageEvent.class);

        RegistryUnavailableException e =
                assertThrows(
                        RegistryUnavailableException.class,
                        () -> deserializer.deserialize(TOPIC, new byte[] {0, 0, 0, 0, 1, 0}));
        assertFalse(
                SerializationException.class.isInstance(e),
                "a handler dead-lettering bad data must not catch it");
        assertTrue(e.getMessage().contains(url), e.getMessage());
    }

    @Test
    void shouldReadTheClassNamedByTheWriterSchemaWithoutAReaderType() {
        byte[] framed =
                serde(DeadLetter.class)
                        .serializer()
                        .serialize("dead-letters", Records.deadLetter());

        SpecificRecord read =
                new ConfluentAvroDeserializer<>(client).deserialize("dead-letters", framed);

        assertEquals(Records.deadLetter(), assertInstanceOf(DeadLetter.class, read));
    }

    private <T extends SpecificRecord> T roundTrip(Class<T> type, T record) {
        ConfluentAvroSerde<T> serde = serde(type);
        return serde.deserializer().deserialize(TOPIC, serde.serializer().serialize(TOPIC, record));
    }

    private <T extends SpecificRecord> ConfluentAvroSerde<T> serde(Class<T> type) {
        return new ConfluentAvroSerde<>(client, type, true);
    }

    private ConfluentAvroDeserializer<ImageEvent> deserializer() {
        return new ConfluentAvroDeserializer<>(client, ImageEvent.class);
    }

    private static <T extends SpecificRecord> byte[] plainAvro(T record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<T>(record.getSchema()).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    /** What a producer on another schema version, or in another language, puts on the topic. */
    private static byte[] frame(int id, Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(
                new byte[] {
                    0, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id
                });
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
