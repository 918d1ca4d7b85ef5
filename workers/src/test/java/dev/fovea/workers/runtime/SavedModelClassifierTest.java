package dev.fovea.workers.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.models.BuildRequest;
import dev.fovea.models.ModelBuilder;
import dev.fovea.models.ModelMetadata;
import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.ImageFormat;
import dev.fovea.workers.config.WorkerConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

class SavedModelClassifierTest {
    private static final List<String> LABELS = List.of("ant", "bee", "cat", "dog", "eel");

    @TempDir static Path dir;
    static Path model;
    static SavedModelClassifier classifier;

    @BeforeAll
    static void buildAndLoad() {
        model = dir.resolve("tiny");
        ModelBuilder.build(
                new BuildRequest("inception_v3", LABELS.size(), 0.125, 3, model, LABELS));
        classifier = SavedModelClassifier.load(ModelSpec.resolve(config(Map.of())));
    }

    @AfterAll
    static void close() {
        classifier.close();
    }

    static WorkerConfig config(Map<String, String> extra) {
        Map<String, String> values = new HashMap<>(extra);
        values.putIfAbsent(WorkerConfig.MODEL_PATH, model.toString());
        return WorkerConfig.of(values);
    }

    @Test
    void shouldReadInputSizeLabelsAndIdentityFromTheModel() {
        assertEquals(299, classifier.inputSize());
        assertEquals(LABELS, classifier.labels());
        assertEquals("tiny", classifier.spec().name());
    }

    @Test
    void shouldReturnAProbabilityDistributionThatDependsOnTheImage() throws Exception {
        float[] dark = classifier.classify(uniform(40, 30, 10));
        float[] light = classifier.classify(uniform(640, 480, 240));
        assertEquals(LABELS.size(), dark.length);
        double sum = 0;
        for (float v : dark) {
            assertTrue(v >= 0f);
            sum += v;
        }
        assertEquals(1.0, sum, 1e-4);
        assertNotEquals(dark[0], light[0], "different pixels, different scores");
    }

    @Test
    void shouldAgreeWithItsOwnLogitsOnceSoftmaxed() throws Exception {
        try (SavedModelClassifier logits =
                SavedModelClassifier.load(
                        ModelSpec.resolve(config(Map.of(WorkerConfig.MODEL_OUTPUT, "logits"))))) {
            DecodedImage image = gradient(120, 90);
            float[] fromProbs = classifier.classify(image);
            float[] fromLogits = logits.classify(image);
            for (int i = 0; i < LABELS.size(); i++) {
                assertEquals(fromProbs[i], fromLogits[i], 1e-5);
            }
        }
    }

    @Test
    void shouldGiveEveryThreadOfABatchTheScoresOfItsOwnImage() throws Exception {
        int threads = 6;
        List<DecodedImage> images = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            images.add(i % 2 == 0 ? gradient(60 + 40 * i, 50 + 30 * i, 3 + 2 * i) : noise(80, i));
        }
        List<float[]> alone = new ArrayList<>();
        for (DecodedImage image : images) {
            alone.add(classifier.classify(image));
        }
        for (int i = 0; i < threads; i++) {
            for (int j = 0; j < i; j++) {
                assertTrue(
                        maxDifference(alone.get(i), alone.get(j)) > 1e-4,
                        "images " + j + " and " + i + " score alike: a swap would go unseen");
            }
        }

        SavedModelClassifier.Batching batching =
                new SavedModelClassifier.Batching(
                        8, Duration.ofMillis(50), threads, Duration.ofSeconds(60));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (SavedModelClassifier batched =
                SavedModelClassifier.load(ModelSpec.resolve(config(Map.of())), batching)) {
            CyclicBarrier barrier = new CyclicBarrier(threads);
            List<Future<float[]>> results = new ArrayList<>();
            for (DecodedImage image : images) {
                results.add(
                        pool.submit(
                                () -> {
                                    barrier.await(30, TimeUnit.SECONDS);
                                    return batched.classify(image);
                                }));
            }
            for (int i = 0; i < threads; i++) {
                float[] together = results.get(i).get(60, TimeUnit.SECONDS);
                for (int c = 0; c < LABELS.size(); c++) {
                    assertEquals(alone.get(i)[c], together[c], 1e-5, "image " + i + " class " + c);
                }
            }
            BatcherStats stats = batched.batcherStats().orElseThrow();
            assertEquals(threads, stats.inputs());
            long[] sizes = stats.batchSizes();
            assertTrue(
                    Arrays.stream(sizes, 2, sizes.length).sum() > 0,
                    "some batch held more than one image: " + Arrays.toString(sizes));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldAskForThePreprocessingOfAModelFoveaDidNotMake() throws IOException {
        Path foreign = dir.resolve("foreign");
        copy(model, foreign);
        Files.delete(foreign.resolve(ModelMetadata.FILE_NAME));
        String message = resolveFailure(foreign.toString());
        assertTrue(message.contains(WorkerConfig.MODEL_PREPROCESSING), message);

        ModelSpec spec =
                ModelSpec.resolve(
                        config(
                                Map.of(
                                        WorkerConfig.MODEL_PATH,
                                        foreign.toString(),
                                        WorkerConfig.MODEL_PREPROCESSING,
                                        "inception")));
        assertEquals("foreign", spec.name(), "the directory names a model without metadata");
    }

    @Test
    void shouldNameTheFileAndKeyOfAnInvalidMetadataValue() throws IOException {
        Path typo = dir.resolve("typo");
        copy(model, typo);
        Path metadata = typo.resolve(ModelMetadata.FILE_NAME);
        Files.writeString(
                metadata, Files.readString(metadata).replace("\"probabilities\"", "\"logit\""));
        String message = resolveFailure(typo.toString());
        assertTrue(message.contains(metadata.toString()) && message.contains("'logit'"), message);
    }

    /** The message with which the model at {@code path} is refused. */
    private static String resolveFailure(String path) {
        return assertThrows(
                        ModelLoadException.class,
                        () -> ModelSpec.resolve(config(Map.of(WorkerConfig.MODEL_PATH, path))))
                .getMessage();
    }

    private static DecodedImage uniform(int width, int height, int value) {
        byte[] rgb = new byte[width * height * 3];
        java.util.Arrays.fill(rgb, (byte) value);
        return new DecodedImage(width, height, rgb, ImageFormat.PNG);
    }

    private static DecodedImage gradient(int width, int height) {
        return gradient(width, height, 7);
    }

    private static DecodedImage gradient(int width, int height, int step) {
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * step);
        }
        return new DecodedImage(width, height, rgb, ImageFormat.PNG);
    }

    private static DecodedImage noise(int size, long seed) {
        byte[] rgb = new byte[size * size * 3];
        new java.util.Random(seed).nextBytes(rgb);
        return new DecodedImage(size, size, rgb, ImageFormat.PNG);
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : paths.toList()) {
                Files.copy(source, to.resolve(from.relativize(source).toString()));
            }
        }
    }
}
