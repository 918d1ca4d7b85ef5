package dev.fovea.workers.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.models.Labels;
import dev.fovea.models.ModelDirectory;
import dev.fovea.models.ModelMetadata;
import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.ImageFormat;
import dev.fovea.workers.config.WorkerConfig;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * Every way a model can be unservable, each refused as the worker refuses it at startup ({@link
 * EnsembleSpec#resolve} then {@link EnsembleClassifier#load}): with a {@link ModelLoadException} of
 * one line that names the file or directory at fault, says what is wrong and what to do, and at
 * once rather than on the first image. The models are a few kilobytes, built here with TensorFlow's
 * ops, so that each can be wrong in exactly one way.
 */
class ModelFailureTest {
    /** Far more than a refusal takes (milliseconds), far less than a real model takes to load. */
    private static final Duration FAST = Duration.ofSeconds(2);

    private static final String REBUILD =
            "copy the whole model directory again, or rebuild it with ./fovea model build or"
                    + " ./fovea model import";

    @TempDir static Path tmp;
    static Path good;

    @BeforeAll
    static void buildAGoodModelAndLoadTensorFlow() {
        good = model("good", Shape.of(-1, 8, 8, 3), 4, false);
        // The first load in a JVM also loads TensorFlow's native library, which takes seconds on a
        // busy machine: done here, it stays out of the refusals' timings.
        EnsembleClassifier.load(
                        EnsembleSpec.resolve(config(good)), SavedModelClassifier.Batching.NONE)
                .close();
    }

    @Test
    void shouldSayHowToBuildAModelWhenTheDirectoryIsMissing() {
        Path missing = tmp.resolve("nowhere");

        assertEquals(
                "model directory "
                        + missing
                        + " does not exist: set model.path (FOVEA_MODEL_PATH) to a SavedModel"
                        + " directory, or build one with ./fovea model build --arch inception_v3"
                        + " --out "
                        + missing,
                refusal(config(missing)));
    }

    @Test
    void shouldRefuseADirectoryWithoutSavedModelPb() throws IOException {
        Path photos = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(photos.resolve("cat.jpg"), "not a model");

        assertEquals(
                photos
                        + " is not a SavedModel: it has no saved_model.pb; point model.path at the"
                        + " directory that holds saved_model.pb and variables/, as ./fovea model"
                        + " build or ./fovea model import writes it",
                refusal(config(photos)));
    }

    @Test
    void shouldNameASavedModelPbOfRandomBytes() throws IOException {
        Path corrupt = copy(good, "corrupt-graph");
        Path graph = corrupt.resolve("saved_model.pb");
        byte[] junk = new byte[4096];
        new Random(7).nextBytes(junk);
        Files.write(graph, junk);

        // These bytes happen to declare a field longer than the file: TensorFlow reads past its
        // end.
        assertEquals(
                graph
                        + " is not a readable SavedModel graph (Read less bytes than requested):"
                        + " it is corrupt or truncated; "
                        + REBUILD,
                refusal(config(corrupt)));
    }

    @Test
    void shouldNameMissingVariablesRatherThanFailOnTheFirstImage() throws IOException {
        Path bare = copy(good, "no-variables");
        deleteRecursively(bare.resolve("variables"));

        // TensorFlow loads this as a model without weights; it is the warm-up that finds out.
        assertEquals(
                bare.resolve("variables").resolve("variables.index")
                        + " is missing, so the weights of model "
                        + bare
                        + " were not restored (Attempting to use uninitialized value kernel); "
                        + REBUILD,
                refusal(config(bare)));
    }

    @Test
    void shouldNameVariablesCutInHalf() throws IOException {
        Path truncated = copy(good, "truncated-variables");
        try (Stream<Path> files = Files.list(truncated.resolve("variables"))) {
            for (Path file : files.toList()) {
                if (file.getFileName().toString().startsWith("variables.data-")) {
                    byte[] data = Files.readAllBytes(file);
                    Files.write(file, Arrays.copyOf(data, data.length / 2));
                }
            }
        }

        assertEquals(
                "the weights of model "
                        + truncated
                        + " cannot be restored from "
                        + truncated.resolve("variables")
                        + " (Read less bytes than requested): its files are truncated or"
                        + " corrupt; "
                        + REBUILD,
                refusal(config(truncated)));
    }

    @Test
    void shouldNameMetadataThatIsNotJson() throws IOException {
        Path model = copy(good, "metadata-not-json");
        Path metadata = model.resolve(ModelMetadata.FILE_NAME);
        Files.writeString(metadata, "preprocessing = inception\n");

        assertEquals(
                metadata
                        + " is not valid JSON (Unrecognized token 'preprocessing': was expecting"
                        + " (JSON String, Number, Array, Object or token 'null', 'true' or"
                        + " 'false') at line 1, column 15); build or import the model again"
                        + " (./fovea model build, ./fovea model import), or delete the file and"
                        + " give the model.* settings instead",
                refusal(config(model)));
    }

    @Test
    void shouldNameTheFieldMissingFromTheMetadata() throws IOException {
        Path model = copy(good, "metadata-without-version");
        Path metadata = model.resolve(ModelMetadata.FILE_NAME);
        Files.writeString(
                metadata, Files.readString(metadata).replaceAll("\"version\" : \"[^\"]*\",", ""));

        assertEquals(
                metadata
                        + " has no 'version' (a model written by an older Fovea, or edited);"
                        + " build or import the model again (./fovea model build, ./fovea model"
                        + " import), or delete the file and give the model.* settings instead",
                refusal(config(model)));
    }

    @Test
    void shouldRefuseAnInputThatIsNotABatchOfImages() {
        Path vectors = model("vectors", Shape.of(-1, 10), 4, false);

        assertEquals(
                inputRefusal(vectors, "has rank 2, not 4 (DT_FLOAT [-1, 10])"),
                refusal(config(vectors)));
    }

    @Test
    void shouldRefuseANonSquareInput() {
        Path wide = model("wide", Shape.of(-1, 8, 6, 3), 4, false);

        assertEquals(
                inputRefusal(wide, "is not square (DT_FLOAT [-1, 8, 6, 3])"),
                refusal(config(wide)));
    }

    @Test
    void shouldRefuseAnInputThatIsNotRgb() {
        Path grey = model("grey", Shape.of(-1, 8, 8, 1), 4, false);

        assertEquals(
                inputRefusal(grey, "has 1 channels, not 3 (DT_FLOAT [-1, 8, 8, 1])"),
                refusal(config(grey)));
    }

    @Test
    void shouldRefuseAnOutputThatIsNotOneRowOfScoresPerImage() {
        // [-1, 1, 4] holds as many numbers as [-1, 4] for one image: only its rank gives it away.
        Path nested = model("nested-output", Shape.of(-1, 8, 8, 3), 4, true);

        assertEquals(
                "model "
                        + nested
                        + ": output 'Reshape:0' is DT_FLOAT [-1, 1, 4]; Fovea reads float scores"
                        + " [-1,classes], one row per image with the class count known: export the"
                        + " model with such an output (./fovea model inspect "
                        + nested
                        + " shows its signature)",
                refusal(config(nested)));
    }

    @Test
    void shouldNameTheLabelsFileWhoseCountIsNotTheClassCount() throws IOException {
        Path model = copy(good, "three-labels");
        Path labels = model.resolve(Labels.FILE_NAME);
        Files.write(labels, List.of("ant", "bee", "cat"));

        assertEquals(
                "labels file "
                        + labels
                        + " has 3 labels but model "
                        + model
                        + " has 4 classes (output 'Softmax:0' [-1, 4]): give one label per line,"
                        + " one line per class, in class index order",
                refusal(config(model)));
    }

    @Test
    void shouldListTheSignaturesWhenTheConfiguredOneIsMissing() {
        Map<String, String> settings = new HashMap<>();
        settings.put(WorkerConfig.MODEL_PATH, good.toString());
        settings.put(WorkerConfig.MODEL_SIGNATURE, "predict");

        assertEquals(
                "model "
                        + good
                        + " has no signature 'predict'; it has [serving_default]: set"
                        + " model.signature to one of them",
                refusal(WorkerConfig.of(settings)));
    }

    @Test
    void shouldNameTheBrokenEnsembleMemberAndCloseTheMembersLoadedBeforeIt() throws IOException {
        Path first = copy(good, "first");
        Path broken = model("second", Shape.of(-1, 10), 4, false);
        Path third = copy(good, "third");
        WorkerConfig config =
                WorkerConfig.of(
                        Map.of(WorkerConfig.ENSEMBLE_MEMBERS, first + "," + broken + "," + third));
        List<SavedModelClassifier> loaded = new ArrayList<>();
        BiFunction<ModelSpec, SavedModelClassifier.Batching, SavedModelClassifier> recording =
                (spec, batching) -> {
                    SavedModelClassifier model = SavedModelClassifier.load(spec, batching);
                    loaded.add(model);
                    return model;
                };

        String message =
                refusal(
                        () ->
                                EnsembleClassifier.load(
                                                EnsembleSpec.resolve(config),
                                                SavedModelClassifier.Batching.NONE,
                                                recording)
                                        .close());

        assertEquals(
                "ensemble member 2 of 3 (second): "
                        + inputRefusal(broken, "has rank 2, not 4 (DT_FLOAT [-1, 10])"),
                message);
        assertEquals(1, loaded.size(), "the members after the broken one are not loaded");
        DecodedImage grey = new DecodedImage(8, 8, new byte[8 * 8 * 3], ImageFormat.PNG);
        // A session still open would run: the first member's memory would leak with the worker.
        IllegalStateException closed =
                assertThrows(IllegalStateException.class, () -> loaded.get(0).classify(grey));
        assertTrue(closed.getMessage().contains("close"), closed.getMessage());
    }

    private static String inputRefusal(Path model, String problem) {
        return "model "
                + model
                + ": input 'images:0' "
                + problem
                + "; Fovea feeds a float batch of square RGB images, [-1,H,W,3] with H = W known:"
                + " export the model with such an input (./fovea model inspect "
                + model
                + " shows its signature)";
    }

    /** The one-line message with which the worker refuses the model of {@code config}. */
    private static String refusal(WorkerConfig config) {
        return refusal(
                () ->
                        EnsembleClassifier.load(
                                        EnsembleSpec.resolve(config),
                                        SavedModelClassifier.Batching.NONE)
                                .close());
    }

    private static String refusal(Runnable load) {
        long start = System.nanoTime();
        ModelLoadException e = assertThrows(ModelLoadException.class, load::run);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(FAST) < 0, "refused after " + took.toMillis() + " ms");
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static WorkerConfig config(Path model) {
        return WorkerConfig.of(Map.of(WorkerConfig.MODEL_PATH, model.toString()));
    }

    /**
     * A model directory as the model tool writes one, of a tiny network: the mean colour of the
     * image through one dense layer (rank 2 input: straight into it), softmaxed to {@code classes}
     * scores.
     *
     * @param nestedOutput gives the scores the shape {@code [-1, 1, classes]} instead
     */
    private static Path model(String name, Shape input, int classes, boolean nestedOutput) {
        Path dir = tmp.resolve(name);
        try (Graph g = new Graph()) {
            Ops tf = Ops.create(g);
            Placeholder<TFloat32> images =
                    tf.withName("images").placeholder(TFloat32.class, Placeholder.shape(input));
            Operand<TFloat32> features =
                    input.numDimensions() == 4
                            ? tf.math.mean(images, tf.constant(new int[] {1, 2}))
                            : images;
            long depth = input.size(input.numDimensions() - 1);
            // A variable, so that the model has a variables/ checkpoint to lose or truncate.
            Operand<TFloat32> kernel =
                    tf.withName("kernel")
                            .variable(
                                    tf.fill(
                                            tf.constant(new long[] {depth, classes}),
                                            tf.constant(0.01f)));
            Operand<TFloat32> scores = tf.nn.softmax(tf.linalg.matMul(features, kernel));
            if (nestedOutput) {
                scores = tf.reshape(scores, tf.constant(new long[] {-1, 1, classes}));
            }
            try (Session session = new Session(g)) {
                session.initialize();
                ModelDirectory.exportSavedModel(
                        session, images, Map.of(ModelDirectory.OUTPUT_PROBABILITIES, scores), dir);
            }
            Files.write(dir.resolve(Labels.FILE_NAME), Labels.generated(classes));
            new ModelMetadata(
                            name,
                            "1",
                            "tiny",
                            (int) input.size(1),
                            "inception",
                            ModelMetadata.HALF_PIXEL,
                            classes,
                            depth * classes,
                            "probabilities",
                            Labels.FILE_NAME,
                            "ModelFailureTest")
                    .write(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** A copy of {@code from} named {@code name}, which is also the model's name. */
    private static Path copy(Path from, String name) throws IOException {
        Path to = tmp.resolve(name);
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : paths.toList()) {
                Files.copy(source, to.resolve(from.relativize(source).toString()));
            }
        }
        Path metadata = to.resolve(ModelMetadata.FILE_NAME);
        // Ensemble members need names of their own.
        Files.writeString(
                metadata,
                Files.readString(metadata)
                        .replace(
                                "\"name\" : \"" + from.getFileName() + "\"",
                                "\"name\" : \"" + name + "\""));
        return to;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
