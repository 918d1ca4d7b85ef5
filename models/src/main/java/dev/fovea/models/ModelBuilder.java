package dev.fovea.models;

import static java.nio.charset.StandardCharsets.UTF_8;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.types.TFloat32;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Builds one of the papers' networks with seeded weights and exports it as a model directory a
 * worker serves:
 *
 * <pre>
 * saved_model.pb       the graph and the serving_default signature
 * variables/           the weights (TensorFlow checkpoint)
 * labels.txt           one label per line, in class index order
 * fovea-model.json     {@link ModelMetadata}
 * </pre>
 *
 * <p>The signature {@value #SIGNATURE_KEY} takes {@value #INPUT} (float {@code [-1, size, size,
 * 3]}, already preprocessed) and gives {@value #OUTPUT_PROBABILITIES} (softmax, {@code [-1,
 * classes]}) and {@value #OUTPUT_LOGITS} (the same before the softmax, for workers that average or
 * calibrate logits, and to check that a fresh network is neither saturated nor dead).
 */
public final class ModelBuilder {

    public static final String SIGNATURE_KEY = "serving_default";
    public static final String SERVE_TAG = "serve";
    public static final String INPUT = "input";
    public static final String OUTPUT_PROBABILITIES = "probs";
    public static final String OUTPUT_LOGITS = "logits";

    private static final Map<String, Architecture> ARCHITECTURES =
            Stream.of(new InceptionV3())
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
        long start = System.nanoTime();
        Architecture arch = architecture(req.arch());
        Path out = req.out().toAbsolutePath().normalize();
        checkReplaceable(out);
        try {
            Files.createDirectories(out.getParent());
            Path staging = out.resolveSibling("." + out.getFileName() + ".partial");
            deleteRecursively(staging); // left over by a build that died
            Files.createDirectory(staging);
            try {
                long parameters =
                        exportSavedModel(arch, req.classes(), req.width(), req.seed(), staging);
                List<String> labels =
                        req.labels() != null ? req.labels() : generatedLabels(req.classes());
                Files.write(staging.resolve(Labels.FILE_NAME), labels, UTF_8);
                new ModelMetadata(
                                out.getFileName().toString(),
                                version(staging),
                                arch.name(),
                                arch.inputSize(),
                                arch.preprocessing(),
                                req.classes(),
                                req.width(),
                                req.seed(),
                                parameters,
                                "probabilities",
                                Labels.FILE_NAME)
                        .write(staging);
                deleteRecursively(out);
                Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
                return new BuildResult(
                        out,
                        arch.name(),
                        arch.inputSize(),
                        arch.preprocessing(),
                        parameters,
                        Duration.ofNanos(System.nanoTime() - start));
            } finally {
                deleteRecursively(staging);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the model to " + out, e);
        }
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
            LayerBuilder layers = new LayerBuilder(graph, seed, width);
            Operand<TFloat32> images = layers.images("images", arch.inputSize());
            Operand<TFloat32> logits = arch.logits(layers, images, classes);
            return new Network(
                    images, logits, layers.softmax("probabilities", logits), layers.parameters());
        }
    }

    /** Builds the network, draws its weights and writes the SavedModel into {@code dir}. */
    private static long exportSavedModel(
            Architecture arch, int classes, double width, long seed, Path dir) throws IOException {
        try (Graph graph = new Graph()) {
            Network network = Network.build(graph, arch, classes, width, seed);
            try (Session session = new Session(graph)) {
                session.initialize(); // runs the seeded initialisers: the weights exist from here
                // on
                Signature signature =
                        Signature.builder()
                                .key(SIGNATURE_KEY)
                                .methodName("tensorflow/serving/predict")
                                .input(INPUT, network.images())
                                .output(OUTPUT_PROBABILITIES, network.probabilities())
                                .output(OUTPUT_LOGITS, network.logits())
                                .build();
                SavedModelBundle.exporter(dir.toString())
                        .withSession(session)
                        .withSignature(signature)
                        .withTags(SERVE_TAG)
                        .export();
            }
            return network.parameters();
        }
    }

    private static List<String> generatedLabels(int classes) {
        return IntStream.range(0, classes).mapToObj(i -> String.format("class_%04d", i)).toList();
    }

    /** The first 12 hex digits of the SHA-256 of the weights and labels files. */
    private static String version(Path dir) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
        List<Path> files;
        try (Stream<Path> variables = Files.list(dir.resolve("variables"))) {
            files =
                    Stream.concat(variables.sorted(), Stream.of(dir.resolve(Labels.FILE_NAME)))
                            .toList();
        }
        for (Path file : files) {
            // Streamed: the weights of a full-width network are 95 MB.
            try (InputStream in = Files.newInputStream(file);
                    OutputStream digest =
                            new DigestOutputStream(OutputStream.nullOutputStream(), sha256)) {
                in.transferTo(digest);
            }
        }
        return HexFormat.of().formatHex(sha256.digest()).substring(0, 12);
    }

    /** Refuses before any work to replace something that is not a previous Fovea model. */
    private static void checkReplaceable(Path out) {
        if (!Files.exists(out)) {
            return;
        }
        if (!Files.isDirectory(out)) {
            throw new IllegalArgumentException(
                    out
                            + " exists and is not a directory; refusing to "
                            + "replace it with a model");
        }
        boolean empty;
        try (Stream<Path> entries = Files.list(out)) {
            empty = entries.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + out, e);
        }
        if (!empty && !ModelMetadata.isModelDirectory(out)) {
            throw new IllegalArgumentException(
                    out
                            + " is not empty and holds no Fovea model (no "
                            + ModelMetadata.FILE_NAME
                            + "); refusing to overwrite it. Choose another directory or "
                            + "empty this one.");
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(path)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
