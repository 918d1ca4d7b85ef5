package dev.fovea.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.ImageEvent;
import dev.fovea.avro.MemberRun;
import dev.fovea.avro.Prediction;
import dev.fovea.avro.TopClass;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.RegistryUnavailableException;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.server.LocalSchemaRegistry;
import dev.fovea.schemas.serde.ConfluentAvroDeserializer;
import dev.fovea.schemas.serde.ConfluentAvroSerializer;
import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.crops.CropScheme;
import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.DecoderLimits;
import dev.fovea.topology.image.JdkImageDecoder;

import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import javax.imageio.ImageIO;

/**
 * The topology as a pure function: real Avro and a real registry at the edges, a known classifier
 * inside.
 */
class FoveaTopologyTest {
    private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
    private static LocalSchemaRegistry registryServer;
    private static SchemaRegistryClient registry;

    private TopologySettings settings =
            new TopologySettings(
                    "images.raw",
                    "predictions",
                    "images.dlq",
                    2,
                    false,
                    false,
                    "worker-under-test",
                    1_000_000);
    private JdkImageDecoder decoder = new JdkImageDecoder(10_000_000L);
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> images;
    private TestOutputTopic<String, Prediction> predictions;
    private TestOutputTopic<String, DeadLetter> deadLetters;
    private ConfluentAvroSerializer<ImageEvent> eventSerializer;

    @BeforeAll
    static void startRegistry() {
        registryServer = LocalSchemaRegistry.start("127.0.0.1", 0, null);
        registry = new HttpSchemaRegistryClient(registryServer.url());
    }

    @AfterAll
    static void stopRegistry() {
        registryServer.close();
    }

    @BeforeEach
    void startDriver() {
        start(settings);
    }

    private void start(TopologySettings with) {
        start(with, new MeanColourClassifier());
    }

    private void start(TopologySettings with, Classifier classifier) {
        start(with, classifier, Telemetry.NONE);
    }

    private void start(TopologySettings with, Classifier classifier, Telemetry telemetry) {
        if (driver != null) {
            driver.close();
        }
        TopologySerdes serdes = TopologySerdes.onRegistry(registry, true);
        Topology topology =
                FoveaTopology.build(
                        with,
                        serdes,
                        decoder,
                        classifier,
                        Clock.fixed(NOW, ZoneOffset.UTC),
                        telemetry);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(topology, props);
        images =
                driver.createInputTopic(
                        "images.raw", new ByteArraySerializer(), new ByteArraySerializer());
        predictions =
                driver.createOutputTopic(
                        "predictions",
                        new StringDeserializer(),
                        new ConfluentAvroDeserializer<>(registry, Prediction.class));
        deadLetters =
                driver.createOutputTopic(
                        "images.dlq",
                        new StringDeserializer(),
                        new ConfluentAvroDeserializer<>(registry, DeadLetter.class));
        eventSerializer = new ConfluentAvroSerializer<>(registry, true);
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    @Test
    void shouldPublishTheTopClassesOfAnImageKeyedByItsId() throws IOException {
        byte[] value = event("cat-1", png(40, 30, new Color(200, 50, 10)), Map.of("camera", "3"));
        images.pipeInput("cat-1".getBytes(StandardCharsets.UTF_8), value);

        TestRecord<String, Prediction> out = predictions.readRecord();
        Prediction p = out.value();
        assertEquals("cat-1", out.key());
        assertEquals("cat-1", p.getImageId());
        assertEquals(List.of("red", "green"), p.getTop().stream().map(TopClass::getLabel).toList());
        assertEquals(List.of(0, 1), p.getTop().stream().map(TopClass::getIndex).toList());
        assertEquals(200f / 260f, p.getTop().get(0).getProbability(), 1e-4);
        assertEquals("mean-colour", p.getModel());
        assertEquals("7", p.getModelVersion());
        assertEquals(List.of("mean-colour"), p.getMembers());
        assertEquals("resize", p.getCropScheme());
        assertEquals(1, p.getCrops());
        assertEquals(Map.of("camera", "3"), p.getAttributes());
        assertEquals("worker-under-test", p.getWorker());
        assertEquals(NOW, p.getProcessedAt());
        assertEquals(Instant.ofEpochMilli(1_700_000_000_000L), p.getImageTimestamp());
        assertNull(p.getProbabilities(), "the full vector is off by default");
        assertTrue(
                p.getTimings().getTotalMs() >= p.getTimings().getDecodeMs()
                        && p.getTimings().getDecodeMs() > 0,
                p.getTimings().toString());
        assertTrue(deadLetters.isEmpty());
    }

    /**
     * Kafka Streams counts a record as consumed once its {@code process()} returns: a topology that
     * held a prediction back, to batch it with the next images, would lose it in a crash or a
     * rebalance. So when image N reaches the classifier, the predictions of images 0 to N-1 must
     * already be out, and after each input the driver has its answer.
     */
    @Test
    void shouldForwardEachPredictionBeforeTheNextRecordIsProcessed() throws IOException {
        MeanColourClassifier colours = new MeanColourClassifier();
        List<Long> publishedWhenClassifying = new ArrayList<>();
        start(
                settings,
                new Classifier() {
                    @Override
                    public ModelInfo info() {
                        return colours.info();
                    }

                    @Override
                    public CropScores classify(DecodedImage image, List<List<Crop>> crops)
                            throws InferenceException {
                        publishedWhenClassifying.add(predictions.getQueueSize());
                        return colours.classify(image, crops);
                    }
                });
        List<String> ids = List.of("n-0", "n-1", "n-2", "n-3", "n-4");
        List<Long> publishedAfterEachInput = new ArrayList<>();
        for (String id : ids) {
            images.pipeInput(key(id), event(id, png(8, 8, Color.BLUE), Map.of()));
            publishedAfterEachInput.add(predictions.getQueueSize());
        }

        assertEquals(
                List.of(0L, 1L, 2L, 3L, 4L),
                publishedWhenClassifying,
                "predictions already out each time the next image is classified");
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), publishedAfterEachInput);
        assertEquals(
                ids,
                predictions.readValuesToList().stream().map(Prediction::getImageId).toList(),
                "in input order");
    }

    @Test
    void shouldPublishTheFullProbabilityVectorWhenAsked() throws IOException {
        start(
                new TopologySettings(
                        "images.raw", "predictions", "images.dlq", 1, true, false, "w", 1_000_000));
        images.pipeInput(key("blue"), event("blue", png(8, 8, new Color(0, 0, 255)), Map.of()));

        Prediction p = predictions.readValue();
        assertEquals(List.of(0f, 0f, 1f), p.getProbabilities());
        assertEquals(1, p.getTop().size());
    }

    @Test
    void shouldDeadLetterACorruptImageWithItsOriginalBytes() throws IOException {
        byte[] jpeg = jpeg(64, 64);
        byte[] value = event("broken", Arrays.copyOf(jpeg, jpeg.length / 3), Map.of());
        images.pipeInput(key("broken"), value);

        TestRecord<String, DeadLetter> out = deadLetters.readRecord();
        DeadLetter d = out.value();
        assertEquals("broken", out.key());
        assertEquals("broken", d.getImageId());
        assertEquals("UNDECODABLE_IMAGE", d.getReason());
        assertEquals("images.raw", d.getSourceTopic());
        assertEquals(0, d.getPartition());
        assertEquals(0L, d.getOffset());
        assertArrayEquals(value, bytes(d.getValue()), "the original value, for replay");
        assertArrayEquals(key("broken"), bytes(d.getKey()));
        assertEquals("worker-under-test", d.getWorker());
        assertEquals(NOW, d.getFailedAt());
        assertTrue(predictions.isEmpty());
    }

    @Test
    void shouldPointAtTheSourceInsteadOfCopyingAnOriginalOverTheLimit() throws IOException {
        start(
                new TopologySettings(
                        "images.raw", "predictions", "images.dlq", 2, false, false, "w", 64));
        byte[] jpeg = jpeg(64, 64);
        images.pipeInput(
                key("huge"), event("huge", Arrays.copyOf(jpeg, jpeg.length / 3), Map.of()));

        DeadLetter d = deadLetters.readValue();
        assertEquals("UNDECODABLE_IMAGE", d.getReason());
        assertNull(d.getValue(), "the original is too large to travel with the dead letter");
        assertArrayEquals(key("huge"), bytes(d.getKey()));
        assertTrue(d.getMessage().contains("replay it from images.raw-0@0"), d.getMessage());
    }

    @Test
    void shouldReportEveryRecordInAndItsOneAnswerToTelemetry() throws IOException {
        List<String> seen = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger decodes =
                new java.util.concurrent.atomic.AtomicInteger();
        start(
                settings,
                new MeanColourClassifier(),
                new Telemetry() {
                    @Override
                    public void imageIn() {
                        seen.add("in");
                    }

                    @Override
                    public void decoded(long nanos) {
                        assertTrue(nanos >= 0);
                        decodes.incrementAndGet();
                    }

                    @Override
                    public void predicted(String imageId) {
                        seen.add("predicted " + imageId);
                    }

                    @Override
                    public void deadLettered(Reason reason, String imageId, String message) {
                        seen.add(reason + " " + imageId);
                    }
                });
        byte[] jpeg = jpeg(64, 64);
        images.pipeInput(key("ok"), event("ok", png(8, 8, Color.RED), Map.of()));
        images.pipeInput(
                key("broken"), event("broken", Arrays.copyOf(jpeg, jpeg.length / 3), Map.of()));
        images.pipeInput(key("junk"), "junk".getBytes(StandardCharsets.UTF_8));

        assertEquals(
                List.of(
                        "in",
                        "predicted ok",
                        "in",
                        "UNDECODABLE_IMAGE broken",
                        "in",
                        "INVALID_RECORD junk"),
                seen);
        assertEquals(2, decodes.get(), "the junk record never reached the decoder");
    }

    @Test
    void shouldDeadLetterAValueThatIsNotAnImageEvent() {
        byte[] json = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        images.pipeInput(key("x"), json);

        DeadLetter d = deadLetters.readValue();
        assertEquals("INVALID_RECORD", d.getReason());
        assertEquals("x", d.getImageId(), "the id falls back to the key");
        assertTrue(d.getMessage().contains("magic byte"), d.getMessage());
        assertArrayEquals(json, bytes(d.getValue()));
    }

    @Test
    void shouldShowAKeyThatIsNotUtf8InHexRatherThanAsReplacementCharacters() {
        // 0xC3 starts a two-byte sequence that 0x28 does not continue; 0xFF is never UTF-8.
        byte[] binaryKey = {'k', (byte) 0xC3, 0x28, (byte) 0xFF};
        byte[] json = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        images.pipeInput(binaryKey, json);

        TestRecord<String, DeadLetter> out = deadLetters.readRecord();
        DeadLetter d = out.value();
        assertEquals("0x6bc328ff", d.getImageId());
        assertEquals("0x6bc328ff", out.key());
        assertArrayEquals(binaryKey, bytes(d.getKey()), "the key's own bytes, for replay");
        assertTrue(
                d.getMessage()
                        .endsWith(
                                " (the key, 4 bytes, is not UTF-8: imageId shows it in hex after"
                                        + " 0x)"),
                d.getMessage());
    }

    @Test
    void shouldDeadLetterAnUnknownSchemaId() {
        byte[] framed = {0, 0x7f, 0x7f, 0x7f, 0x7f, 2, 'a'};
        images.pipeInput(key("ghost"), framed);

        DeadLetter d = deadLetters.readValue();
        assertEquals("INVALID_RECORD", d.getReason());
        assertTrue(d.getMessage().contains(String.valueOf(0x7f7f7f7f)), d.getMessage());
    }

    @Test
    void shouldDeadLetterATombstoneWithoutAKey() {
        images.pipeInput((byte[]) null, (byte[]) null);

        DeadLetter d = deadLetters.readValue();
        assertEquals("INVALID_RECORD", d.getReason());
        assertNull(d.getImageId());
        assertNull(d.getValue());
        assertTrue(d.getMessage().contains("tombstone"), d.getMessage());
    }

    /**
     * A dead letter that copied a 700 KB key (as key and as image id) next to the original value
     * would be too large to send, and the worker would stop on that record at every restart.
     */
    @Test
    void shouldKeepADeadLetterSmallWhateverTheSizeOfTheKey() {
        byte[] huge = "k".repeat(700_000).getBytes(StandardCharsets.UTF_8);
        images.pipeInput(huge, (byte[]) null);

        DeadLetter d = deadLetters.readValue();
        assertEquals("INVALID_RECORD", d.getReason());
        assertNull(d.getKey(), "a key over 64 KiB is not copied");
        assertEquals(1024, d.getImageId().length());
        assertTrue(d.getImageId().endsWith("\u2026"), "the cut is marked");
        assertTrue(
                d.getMessage().contains("the key, 700000 bytes, is over 65536 and was not copied")
                        && d.getMessage().contains("imageId cut to 1024 characters"),
                d.getMessage());
    }

    @Test
    void shouldDeadLetterAnEventWhoseIdOrAttributesAreTooLargeToRepeatInAPrediction()
            throws IOException {
        byte[] png = png(4, 4, Color.RED);
        images.pipeInput(key("long-id"), event("x".repeat(5000), png, Map.of()));
        images.pipeInput(
                key("fat-attributes"), event("fat", png, Map.of("note", "y".repeat(70_000))));
        images.pipeInput(key("fine"), event("fine", png, Map.of("note", "y".repeat(1000))));

        List<DeadLetter> letters = deadLetters.readValuesToList();
        assertEquals(2, letters.size());
        assertEquals("INVALID_RECORD", letters.get(0).getReason());
        assertEquals(
                "the id has 5000 characters, over the limit of 1024", letters.get(0).getMessage());
        assertEquals("long-id", letters.get(0).getImageId());
        assertTrue(
                letters.get(1).getMessage().startsWith("the attributes take 70004 bytes"),
                letters.get(1).getMessage());
        assertEquals("fine", predictions.readValue().getImageId());
    }

    @Test
    void shouldDeadLetterAnImageOverTheByteLimitBeforeDecodingIt() throws IOException {
        decoder = new JdkImageDecoder(new DecoderLimits(100, 10_000_000L, 20));
        start(settings);
        images.pipeInput(key("big"), event("big", png(64, 64, Color.RED), Map.of()));

        DeadLetter d = deadLetters.readValue();
        assertEquals("IMAGE_TOO_LARGE", d.getReason());
        assertTrue(d.getMessage().contains("image.max.bytes"), d.getMessage());
    }

    @Test
    void shouldDeadLetterAnImageTheModelFailsOn() throws IOException {
        images.pipeInput(
                key("poison"),
                event("poison", png(MeanColourClassifier.POISON_WIDTH, 5, Color.RED), Map.of()));

        DeadLetter d = deadLetters.readValue();
        assertEquals("INFERENCE_FAILED", d.getReason());
        assertEquals("poisoned width", d.getMessage());
    }

    @Test
    void shouldKeepClassifyingAfterBadRecords() throws IOException {
        images.pipeInput(key("bad-1"), new byte[] {1, 2, 3});
        images.pipeInput(key("bad-2"), event("bad-2", new byte[0], Map.of()));
        images.pipeInput(key("good"), event("good", png(10, 10, Color.GREEN), Map.of()));

        assertEquals(
                List.of("INVALID_RECORD", "UNDECODABLE_IMAGE"),
                deadLetters.readValuesToList().stream().map(DeadLetter::getReason).toList());
        Prediction p = predictions.readValue();
        assertEquals("good", p.getImageId());
        assertEquals("green", p.getTop().get(0).getLabel());
    }

    @Test
    void shouldFailRatherThanDeadLetterWhenTheRegistryIsUnreachable() throws IOException {
        byte[] value = event("fine", png(8, 8, Color.RED), Map.of());
        SchemaRegistryClient down = new HttpSchemaRegistryClient("http://127.0.0.1:1");
        Topology topology =
                FoveaTopology.build(
                        settings,
                        TopologySerdes.onRegistry(down, true),
                        new JdkImageDecoder(1000L),
                        new MeanColourClassifier(),
                        Clock.systemUTC());
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test-down");
        try (TopologyTestDriver broken = new TopologyTestDriver(topology, props)) {
            TestInputTopic<byte[], byte[]> in =
                    broken.createInputTopic(
                            "images.raw", new ByteArraySerializer(), new ByteArraySerializer());
            StreamsException e =
                    assertThrows(StreamsException.class, () -> in.pipeInput(key("fine"), value));
            assertTrue(
                    causes(e).anyMatch(RegistryUnavailableException.class::isInstance),
                    "the registry outage is the cause: " + e);
            assertTrue(
                    broken.createOutputTopic(
                                    "images.dlq",
                                    new StringDeserializer(),
                                    new ConfluentAvroDeserializer<>(registry, DeadLetter.class))
                            .isEmpty(),
                    "a good image must not be dead-lettered because a dependency is down");
        }
    }

    private static java.util.stream.Stream<Throwable> causes(Throwable e) {
        return java.util.stream.Stream.iterate(e, t -> t != null, Throwable::getCause);
    }

    /**
     * Left half red, right half blue. Member a sees (0.5, 0, 0.5); member b, rotated by one class,
     * (0.5, 0.5, 0). Weights 3 and 1: 0.75 x a + 0.25 x b = (0.5, 0.125, 0.375).
     */
    @Test
    void shouldPublishTheWeightedMeanOfTheMembers() throws IOException {
        start(
                settings,
                MeanColourClassifier.ensemble(
                        "duo",
                        List.of(
                                new Member("a", "1", CropScheme.RESIZE, 3),
                                new Member("b", "2", CropScheme.RESIZE, 1))));
        images.pipeInput(key("half"), event("half", halves(Color.RED, Color.BLUE), Map.of()));

        Prediction p = predictions.readValue();
        assertEquals("duo", p.getModel());
        assertEquals("e1", p.getModelVersion());
        assertEquals(List.of("a", "b"), p.getMembers());
        assertEquals("red", p.getTop().get(0).getLabel());
        assertEquals(0.5f, p.getTop().get(0).getProbability(), 1e-6f);
        assertEquals("blue", p.getTop().get(1).getLabel());
        assertEquals(0.375f, p.getTop().get(1).getProbability(), 1e-6f);
        assertTrue(predictions.isEmpty(), "one prediction per image unless members are asked for");
    }

    /** The stage averages whatever crops the scheme cuts: checked against the test's own mean. */
    @Test
    void shouldAverageEveryCropOfEachMember() throws Exception {
        settings = withMemberPredictions(settings);
        List<Member> members =
                List.of(
                        new Member("ten", "1", CropScheme.TEN_CROP, 1),
                        new Member("centre", "1", CropScheme.CENTER, 1));
        start(settings, MeanColourClassifier.ensemble("pair", members));
        byte[] png = quadrants();
        DecodedImage decoded = new JdkImageDecoder(10_000_000L).decode(png, null);
        images.pipeInput(key("q"), event("q", png, Map.of()));

        List<Prediction> out = predictions.readValuesToList();
        assertEquals(
                List.of("pair", "ten", "centre"), out.stream().map(Prediction::getModel).toList());
        float[][] expected = new float[2][];
        for (int m = 0; m < 2; m++) {
            List<Crop> crops = members.get(m).crops().crops(decoded.width(), decoded.height());
            double[] sum = new double[3];
            for (Crop crop : crops) {
                float[] p =
                        MeanColourClassifier.rotate(
                                MeanColourClassifier.meanColour(decoded, crop), m);
                for (int k = 0; k < 3; k++) {
                    sum[k] += p[k] / crops.size();
                }
            }
            expected[m] = new float[] {(float) sum[0], (float) sum[1], (float) sum[2]};
            assertProbabilities(expected[m], out.get(m + 1));
            assertEquals(members.get(m).crops().id(), out.get(m + 1).getCropScheme());
            assertEquals(members.get(m).crops().count(), out.get(m + 1).getCrops());
            assertEquals(List.of(members.get(m).name()), out.get(m + 1).getMembers());
        }
        float[] mean = new float[3];
        for (int k = 0; k < 3; k++) {
            mean[k] = (expected[0][k] + expected[1][k]) / 2;
        }
        Prediction ensemble = out.get(0);
        assertProbabilities(mean, ensemble);
        assertEquals("10crop+center", ensemble.getCropScheme());
        assertEquals(10, ensemble.getCrops());
        assertEquals(
                List.of(
                        new MemberRun("ten", "1", "10crop", 10, 1.0),
                        new MemberRun("centre", "1", "center", 1, 1.0)),
                ensemble.getMemberRuns());
    }

    private static void assertProbabilities(float[] expected, Prediction p) {
        assertEquals(expected.length, p.getProbabilities().size(), p.getModel());
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], p.getProbabilities().get(k), 1e-6f, p.getModel() + " " + k);
        }
    }

    private static TopologySettings withMemberPredictions(TopologySettings s) {
        return new TopologySettings(
                s.imagesTopic(),
                s.predictionsTopic(),
                s.deadLetterTopic(),
                3,
                true,
                true,
                s.workerId(),
                s.maxDeadLetterValueBytes());
    }

    static byte[] halves(Color left, Color right) throws IOException {
        BufferedImage image = new BufferedImage(20, 10, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(left);
        g.fillRect(0, 0, 10, 10);
        g.setColor(right);
        g.fillRect(10, 0, 10, 10);
        g.dispose();
        return encode(image, "png");
    }

    /** 64 x 48 in four colours, so that every crop of a scheme sees a different mix. */
    static byte[] quadrants() throws IOException {
        BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, new Color(200, 200, 40)};
        for (int q = 0; q < 4; q++) {
            g.setColor(colours[q]);
            g.fillRect((q % 2) * 32, (q / 2) * 24, 32, 24);
        }
        g.dispose();
        return encode(image, "png");
    }

    @Test
    void shouldDescribeItselfInNamedStages() {
        String description =
                FoveaTopology.build(
                                settings,
                                TopologySerdes.onRegistry(registry, true),
                                new JdkImageDecoder(1000L),
                                new MeanColourClassifier(),
                                Clock.systemUTC())
                        .describe()
                        .toString();
        List<String> stages =
                List.of(
                        "images-source",
                        "parse-event",
                        "decode-image",
                        "cut-crops",
                        "infer",
                        "average-crops",
                        "ensemble",
                        "route-");
        int last = -1;
        for (String stage : stages) {
            int at = description.indexOf(": " + stage + " (");
            assertTrue(at > last, stage + " missing or out of order in\n" + description);
            last = at;
        }
        for (String branch :
                List.of("top-k", "predictions-sink", "build-dead-letter", "dead-letter-sink")) {
            assertTrue(description.contains(": " + branch + " ("), branch + " missing");
        }
        assertEquals(
                1,
                description.split("Sub-topology").length - 1,
                "one sub-topology: no repartition");
    }

    private byte[] event(String id, byte[] image, Map<String, String> attributes) {
        ImageEvent event =
                ImageEvent.newBuilder()
                        .setId(id)
                        .setData(ByteBuffer.wrap(image))
                        .setTimestamp(Instant.ofEpochMilli(1_700_000_000_000L))
                        .setAttributes(attributes)
                        .build();
        return eventSerializer.serialize("images.raw", event);
    }

    private static byte[] key(String id) {
        return Serdes.String().serializer().serialize("images.raw", id);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    static byte[] png(int width, int height, Color colour) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return encode(image, "png");
    }

    static byte[] jpeg(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, (x * 4) << 16 | (y * 4) << 8 | 128);
            }
        }
        return encode(image, "jpg");
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, format, out);
        return out.toByteArray();
    }
}
