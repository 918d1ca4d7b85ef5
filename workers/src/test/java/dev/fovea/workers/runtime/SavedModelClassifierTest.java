package dev.fovea.workers.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.models.BuildRequest;
import dev.fovea.models.ModelBuilder;
import dev.fovea.models.ModelMetadata;
import dev.fovea.topology.Classification;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
        assertEquals(LABELS, classifier.info().labels());
        assertEquals(List.of(classifier.info().name()), classifier.info().members());
    }

    @Test
    void shouldReturnAProbabilityDistributionThatDependsOnTheImage() throws Exception {
        float[] dark = classifier.classify(uniform(40, 30, 10)).probabilities();
        float[] light = classifier.classify(uniform(640, 480, 240)).probabilities();
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
            Classification fromProbs = classifier.classify(image);
            Classification fromLogits = logits.classify(image);
            for (int i = 0; i < LABELS.size(); i++) {
                assertEquals(fromProbs.probabilities()[i], fromLogits.probabilities()[i], 1e-5);
            }
        }
    }

    @Test
    void shouldSayHowToGetAModelWhenTheDirectoryIsMissing() {
        Path missing = dir.resolve("nowhere");
        String message = resolveFailure(missing.toString());
        assertTrue(
                message.contains(missing.toString()) && message.contains("./fovea model build"),
                message);
    }

    @Test
    void shouldRefuseADirectoryThatIsNotASavedModel() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        String message = resolveFailure(empty.toString());
        assertTrue(message.contains("saved_model.pb"), message);
    }

    @Test
    void shouldRefuseLabelsThatDoNotMatchTheClasses() throws IOException {
        Path labels = dir.resolve("three-labels.txt");
        Files.write(labels, List.of("a", "b", "c"));
        ModelLoadException e =
                assertThrows(
                        ModelLoadException.class,
                        () ->
                                SavedModelClassifier.load(
                                        ModelSpec.resolve(
                                                config(
                                                        Map.of(
                                                                WorkerConfig.MODEL_LABELS,
                                                                labels.toString())))));
        assertTrue(
                e.getMessage().contains("5 classes") && e.getMessage().contains("3 lines"),
                e.getMessage());
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
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 7);
        }
        return new DecodedImage(width, height, rgb, ImageFormat.PNG);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : paths.toList()) {
                Files.copy(source, to.resolve(from.relativize(source).toString()));
            }
        }
    }
}
