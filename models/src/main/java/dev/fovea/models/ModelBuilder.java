package dev.fovea.models;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Builds one of the papers' networks with seeded weights and exports it as a {@link ModelDirectory}
 * a worker serves, with a {@value ModelDirectory#OUTPUT_LOGITS} output beside the probabilities
 * (for workers that average or calibrate logits, and to check that a fresh network is neither
 * saturated nor dead).
 */
public final class ModelBuilder {

    private static final Map<String, Architecture> ARCHITECTURES =
            Stream.of(new InceptionV3(), new Xception(), Vgg.vgg16(), Vgg.vgg19(), new GoogLeNet())
                    .collect(Collectors.toUnmodifiableMap(Architecture::name, Function.identity()));

    private ModelBuilder() {}

    /**
     * Builds and exports the model {@code req} describes, replacing {@code req.out()} if it holds a
     * previous Fovea model. The model is written next to it first and moved in place at the end, so
     * a failed build leaves the previous model as it was.
     *
     * @throws IllegalArgumentException for an unknown architecture, or when {@code req.out()}
     *     exists and is not empty and not a Fovea model
     * @throws UncheckedIOException when writing fails
     */
    public static BuildResult build(BuildRequest req) {
        return TensorFlowLog.captureUnchecked(() -> buildCaptured(req));
    }

    private static BuildResult buildCaptured(BuildRequest req) {
        long start = System.nanoTime();
        Architecture arch = architecture(req.arch());
        ModelMetadata metadata =
                ModelDirectory.write(
                        req.out(),
                        dir -> exportSavedModel(arch, req, dir),
                        req.labels() != null ? req.labels() : Labels.generated(req.classes()),
                        (name, version, parameters) ->
                                new ModelMetadata(
                                        name,
                                        version,
                                        arch.name(),
                                        arch.inputSize(),
                                        arch.preprocessing(),
                                        ModelMetadata.HALF_PIXEL,
                                        req.classes(),
                                        parameters,
                                        "probabilities",
                                        Labels.FILE_NAME,
                                        source(req)));
        return new BuildResult(
                req.out().toAbsolutePath().normalize(),
                metadata,
                Duration.ofNanos(System.nanoTime() - start));
    }

    /** How a model was made, for its metadata: the command that makes it again. */
    private static String source(BuildRequest req) {
        return String.format(
                "fovea model build --arch %s --classes %d --width %s --seed %d",
                req.arch(), req.classes(), req.width(), req.seed());
    }

    /**
     * The parameters of an architecture, counted as Keras counts them (batch-norm moving mean and
     * variance included), by building its graph without running or exporting it.
     */
    public static long countParameters(String arch, int classes, double width) {
        checkClassesAndWidth(classes, width);
        Architecture architecture = architecture(arch);
        try (Graph graph = new Graph()) {
            return Network.build(graph, architecture, classes, width, 0).parameters();
        }
    }

    /**
     * Builds the network of {@code arch} into {@code graph}, input to probabilities, without
     * drawing or exporting its weights: for analysing the graph ({@link ModelInspector}).
     */
    static void buildGraph(Graph graph, String arch, int classes, double width) {
        checkClassesAndWidth(classes, width);
        Network.build(graph, architecture(arch), classes, width, 0);
    }

    /** The names {@link BuildRequest#arch()} accepts, sorted. */
    public static List<String> architectures() {
        return ARCHITECTURES.keySet().stream().sorted().toList();
    }

    static void checkClassesAndWidth(int classes, double width) {
        if (classes < 2) {
            throw new IllegalArgumentException(
                    "classes must be at least 2 (a softmax over one class is always 1), got "
                            + classes);
        }
        if (!(width > 0) || Double.isInfinite(width)) {
            throw new IllegalArgumentException("width must be a positive number, got " + width);
        }
    }

    private static Architecture architecture(String name) {
        Architecture arch = ARCHITECTURES.get(name);
        if (arch == null) {
            throw new IllegalArgumentException(
                    "Unknown architecture '"
                            + name
                            + "'; known: "
                            + String.join(", ", architectures()));
        }
        return arch;
    }

    /** The network in a graph, with the two ends the signature needs. */
    private record Network(
            Operand<TFloat32> images,
            Operand<TFloat32> logits,
            Operand<TFloat32> probabilities,
            long parameters) {

        static Network build(Graph graph, Architecture arch, int classes, double width, long seed) {
            LayerBuilder layers = new LayerBuilder(graph, new SeededWeights(seed), width);
            Operand<TFloat32> images = layers.images("images", arch.inputSize(), arch.inputSize());
            Operand<TFloat32> logits = arch.logits(layers, images, classes);
            return new Network(
                    images, logits, layers.softmax("probabilities", logits), layers.parameters());
        }
    }

    /** Builds the network, draws its weights and writes the SavedModel into {@code dir}. */
    private static long exportSavedModel(Architecture arch, BuildRequest req, Path dir)
            throws IOException {
        try (Graph graph = new Graph()) {
            Network network = Network.build(graph, arch, req.classes(), req.width(), req.seed());
            try (Session session = new Session(graph)) {
                // Runs the seeded initialisers: the weights exist from here on.
                session.initialize();
                ModelDirectory.exportSavedModel(
                        session,
                        network.images(),
                        Map.of(
                                ModelDirectory.OUTPUT_PROBABILITIES,
                                network.probabilities(),
                                ModelDirectory.OUTPUT_LOGITS,
                                network.logits()),
                        dir);
            }
            return network.parameters();
        }
    }
}
