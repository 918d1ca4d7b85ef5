package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.avro.ImageEvent;
import dev.fovea.avro.MemberRun;
import dev.fovea.avro.Prediction;
import dev.fovea.models.BuildRequest;
import dev.fovea.models.ModelBuilder;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.registry.server.LocalSchemaRegistry;
import dev.fovea.schemas.serde.ConfluentAvroDeserializer;
import dev.fovea.schemas.serde.ConfluentAvroSerializer;
import dev.fovea.topology.FoveaTopology;
import dev.fovea.topology.TopologySerdes;
import dev.fovea.topology.TopologySettings;
import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.crops.CropScheme;
import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.JdkImageDecoder;
import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.runtime.EnsembleClassifier;
import dev.fovea.workers.runtime.EnsembleSpec;
import dev.fovea.workers.runtime.ModelLoadException;
import dev.fovea.workers.runtime.ModelSpec;
import dev.fovea.workers.runtime.SavedModelClassifier;

import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Crop and ensemble averaging, end to end through the topology on real SavedModels: what is
 * published equals an independent computation, in which the test runs each crop on its own through
 * an unbatched copy of each model and averages the results itself.
 *
 * <p>Two small seeded models of different architectures share one label space: Inception v3 (299
 * pixels, inception preprocessing) and GoogLeNet (224 pixels, caffe preprocessing), so each member
 * is cut and preprocessed at its own input size.
 */
class EnsembleAveragingTest {
    private static final List<String> LABELS = List.of("ant", "bee", "cat", "dog");
    private static final double INCEPTION_WEIGHT = 3;
    private static final double GOOGLENET_WEIGHT = 1;

    private static Path inception;
    private static Path googlenet;
    private static Path fiveClasses;
    private static LocalSchemaRegistry registryServer;
    private static SchemaRegistryClient registry;

    @BeforeAll
    static void buildModels() {
        Path root = Path.of("target", "ensemble-models").toAbsolutePath();
        inception = build(root, "inception_v3", 0.125, LABELS);
        googlenet = build(root, "googlenet", 0.25, LABELS);
        fiveClasses =
                build(root, "inception_v3", 0.125, List.of("ant", "bee", "cat", "dog", "eel"));
        registryServer = LocalSchemaRegistry.start("127.0.0.1", 0, null);
        registry = new HttpSchemaRegistryClient(registryServer.url());
    }

    @AfterAll
    static void stopRegistry() {
        registryServer.close();
    }

    private static Path build(Path root, String arch, double width, List<String> labels) {
        Path dir = root.resolve(arch + "-" + labels.size());
        ModelBuilder.build(new BuildRequest(arch, labels.size(), width, 11, dir, labels));
        return dir;
    }

    @Test
    void shouldPublishTheWeightedMeanOfEveryCropRunAlone() throws Exception {
        WorkerConfig config =
                WorkerConfig.of(
                        Map.of(
                                WorkerConfig.ENSEMBLE_MEMBERS,
                                inception + "," + googlenet,
                                WorkerConfig.ENSEMBLE_NAME,
                                "pair",
                                WorkerConfig.ENSEMBLE_CROPS,
                                "10crop,144crop",
                                WorkerConfig.ENSEMBLE_WEIGHTS,
                                INCEPTION_WEIGHT + "," + GOOGLENET_WEIGHT));
        byte[] photo = Files.readAllBytes(Fixture.photographs().get(0));
        DecodedImage image = new JdkImageDecoder(100_000_000L).decode(photo, null);

        List<Prediction> published;
        try (EnsembleClassifier ensemble =
                EnsembleClassifier.load(
                        EnsembleSpec.resolve(config),
                        new SavedModelClassifier.Batching(
                                16, Duration.ofMillis(5), 1, Duration.ofSeconds(60)))) {
            published = run(ensemble, photo);
        }

        float[] inceptionAlone = meanOfCropsRunAlone(inception, CropScheme.TEN_CROP, image);
        float[] googlenetAlone = meanOfCropsRunAlone(googlenet, CropScheme.GOOGLENET_144, image);
        float[] weighted = new float[LABELS.size()];
        float[] equal = new float[LABELS.size()];
        double total = INCEPTION_WEIGHT + GOOGLENET_WEIGHT;
        for (int k = 0; k < weighted.length; k++) {
            weighted[k] =
                    (float)
                            ((INCEPTION_WEIGHT * inceptionAlone[k]
                                            + GOOGLENET_WEIGHT * googlenetAlone[k])
                                    / total);
            equal[k] = (inceptionAlone[k] + googlenetAlone[k]) / 2;
        }
        assertTrue(
                maxDifference(weighted, equal) > 1e-3,
                "the members disagree enough for the weights to show");

        assertEquals(3, published.size(), "the ensemble's prediction, then one per member");
        Prediction pair = published.get(0);
        assertEquals("pair", pair.getModel());
        assertEquals("10crop+144crop", pair.getCropScheme());
        assertEquals(144, pair.getCrops());
        assertEquals(
                List.of(
                        new MemberRun(name(inception), version(inception), "10crop", 10, 3.0),
                        new MemberRun(name(googlenet), version(googlenet), "144crop", 144, 1.0)),
                pair.getMemberRuns());
        assertClose(weighted, pair, "ensemble");
        assertClose(inceptionAlone, published.get(1), "inception member");
        assertClose(googlenetAlone, published.get(2), "googlenet member");
        assertEquals(10, published.get(1).getCrops());
        assertEquals(144, published.get(2).getCrops());
    }

    @Test
    void shouldRefuseMembersWhoseLabelsDiffer() {
        WorkerConfig config =
                WorkerConfig.of(
                        Map.of(WorkerConfig.ENSEMBLE_MEMBERS, inception + "," + fiveClasses));
        ModelLoadException e =
                assertThrows(
                        ModelLoadException.class,
                        () ->
                                EnsembleClassifier.load(
                                                EnsembleSpec.resolve(config),
                                                SavedModelClassifier.Batching.NONE)
                                        .close());
        assertTrue(
                e.getMessage().contains(fiveClasses.toString())
                        && e.getMessage().contains("has 5 classes")
                        && e.getMessage().contains("has 4"),
                e.getMessage());
    }

    /** The independent reference: each crop through its own batch of one, averaged here. */
    private static float[] meanOfCropsRunAlone(Path model, CropScheme scheme, DecodedImage image)
            throws Exception {
        WorkerConfig config = WorkerConfig.of(Map.of(WorkerConfig.MODEL_PATH, model.toString()));
        try (SavedModelClassifier alone = SavedModelClassifier.load(ModelSpec.resolve(config))) {
            List<Crop> crops = scheme.crops(image.width(), image.height());
            double[] sum = new double[LABELS.size()];
            for (Crop crop : crops) {
                float[] p = alone.classify(image, crop);
                for (int k = 0; k < sum.length; k++) {
                    sum[k] += p[k];
                }
            }
            float[] mean = new float[sum.length];
            for (int k = 0; k < sum.length; k++) {
                mean[k] = (float) (sum[k] / crops.size());
            }
            return mean;
        }
    }

    private static List<Prediction> run(EnsembleClassifier ensemble, byte[] photo) {
        TopologySettings settings =
                new TopologySettings(
                        "images.raw",
                        "predictions",
                        "images.dlq",
                        LABELS.size(),
                        true,
                        true,
                        "averaging-test",
                        1_000_000);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ensemble-averaging-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (TopologyTestDriver driver =
                new TopologyTestDriver(
                        FoveaTopology.build(
                                settings,
                                TopologySerdes.onRegistry(registry, true),
                                new JdkImageDecoder(100_000_000L),
                                ensemble,
                                Clock.systemUTC()),
                        props)) {
            TestInputTopic<String, byte[]> images =
                    driver.createInputTopic(
                            "images.raw", new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, Prediction> predictions =
                    driver.createOutputTopic(
                            "predictions",
                            new StringDeserializer(),
                            new ConfluentAvroDeserializer<>(registry, Prediction.class));
            ImageEvent event =
                    ImageEvent.newBuilder()
                            .setId("photo")
                            .setData(ByteBuffer.wrap(photo))
                            .setTimestamp(Instant.now())
                            .build();
            images.pipeInput(
                    "photo",
                    new ConfluentAvroSerializer<ImageEvent>(registry, true)
                            .serialize("images.raw", event));
            return predictions.readValuesToList();
        }
    }

    private static void assertClose(float[] expected, Prediction p, String what) {
        List<Float> actual = p.getProbabilities();
        assertEquals(expected.length, actual.size(), what);
        List<String> diffs = new ArrayList<>();
        for (int k = 0; k < expected.length; k++) {
            if (Math.abs(expected[k] - actual.get(k)) > 1e-5) {
                diffs.add(k + ": " + expected[k] + " vs " + actual.get(k));
            }
        }
        assertTrue(diffs.isEmpty(), what + " differs from the crops run alone: " + diffs);
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int k = 0; k < a.length; k++) {
            max = Math.max(max, Math.abs(a[k] - b[k]));
        }
        return max;
    }

    private static String name(Path model) {
        return spec(model).name();
    }

    private static String version(Path model) {
        return spec(model).version();
    }

    private static ModelSpec spec(Path model) {
        Map<String, String> values = new HashMap<>();
        values.put(WorkerConfig.MODEL_PATH, model.toString());
        return ModelSpec.resolve(WorkerConfig.of(values));
    }
}
