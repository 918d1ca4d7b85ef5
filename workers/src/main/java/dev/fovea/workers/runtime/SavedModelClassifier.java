package dev.fovea.workers.runtime;

import dev.fovea.models.TensorFlowLog;
import dev.fovea.topology.InferenceException;
import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.ImageFormat;
import dev.fovea.workers.image.InputWriter;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFFailedPreconditionException;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.FloatDataBuffer;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.types.TFloat32;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One TensorFlow SavedModel, ready to serve: loaded once, checked against what the worker needs (a
 * float image input {@code [-1,H,W,3]}, one class-score output), warmed up, with its dynamic
 * batcher, and then shared by every stream thread. TensorFlow sessions are thread-safe; each batch
 * feeds its own input tensor. {@link EnsembleClassifier} serves one or several of these.
 */
public final class SavedModelClassifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SavedModelClassifier.class);

    private static final String SERVE_TAG = "serve";
    private static final String SAVED_MODEL_FILE = "saved_model.pb";
    private static final String VARIABLES_DIR = "variables";

    /** How to replace a model whose files are damaged. */
    private static final String REBUILD =
            "copy the whole model directory again, or rebuild it with ./fovea model build or"
                    + " ./fovea model import";

    private final ModelSpec spec;
    private final SavedModelBundle bundle;
    private final Session session;
    private final String inputName;
    private final String outputName;
    private final int height;
    private final int width;
    private final int classes;
    private final List<String> labels;
    private final BatchModel batches = new TensorBatches();
    private DynamicBatcher batcher; // null: every stream thread runs the session itself

    /**
     * How inputs are batched. With {@code maxBatchSize} 1 there is no batcher: each stream thread
     * runs the shared session on its own image, the per-record way.
     *
     * @param maxInFlight the most inputs that can wait at once: the worker's stream threads
     */
    public record Batching(
            int maxBatchSize, Duration maxQueueDelay, int maxInFlight, Duration timeout) {
        public static final Batching NONE =
                new Batching(1, Duration.ZERO, 1, Duration.ofMinutes(1));
    }

    private SavedModelClassifier(ModelSpec spec, SavedModelBundle bundle) {
        this.spec = spec;
        this.bundle = bundle;
        this.session = bundle.session();
        Signature signature = signature(bundle, spec);
        Signature.TensorDescription input = single(signature.getInputs(), "input", spec);
        Signature.TensorDescription output = single(signature.getOutputs(), "output", spec);
        Shape shape = input.shape;
        String inputProblem = inputProblem(input);
        if (inputProblem != null) {
            throw new ModelLoadException(
                    "model "
                            + spec.dir()
                            + ": input '"
                            + input.name
                            + "' "
                            + inputProblem
                            + "; Fovea feeds a float batch of square RGB images, [-1,H,W,3] with"
                            + " H = W known: export the model with such an input"
                            + inspect(spec));
        }
        Shape scores = output.shape;
        if (output.dataType != DataType.DT_FLOAT
                || scores.numDimensions() != 2
                || scores.size(1) <= 0) {
            throw new ModelLoadException(
                    "model "
                            + spec.dir()
                            + ": output '"
                            + output.name
                            + "' is "
                            + output.dataType
                            + " "
                            + scores
                            + "; Fovea reads float scores [-1,classes], one row per image with"
                            + " the class count known: export the model with such an output"
                            + inspect(spec));
        }
        this.inputName = input.name;
        this.outputName = output.name;
        this.height = (int) shape.size(1);
        this.width = (int) shape.size(2);
        this.classes = (int) scores.size(1);
        if (spec.labels() != null && spec.labels().size() != classes) {
            throw new ModelLoadException(
                    "labels file "
                            + spec.labelsFile()
                            + " has "
                            + spec.labels().size()
                            + " labels but model "
                            + spec.dir()
                            + " has "
                            + classes
                            + " classes (output '"
                            + output.name
                            + "' "
                            + scores
                            + "): give one label per line, one line per class, in class index"
                            + " order");
        }
        this.labels = spec.labels() != null ? spec.labels() : generatedLabels(classes);
    }

    /**
     * Loads, checks and warms up the model, so that a bad model fails here and not on the first
     * image.
     */
    public static SavedModelClassifier load(ModelSpec spec) {
        return load(spec, Batching.NONE);
    }

    /** {@link #load(ModelSpec)}, with a dynamic batcher when {@code batching} asks for one. */
    public static SavedModelClassifier load(ModelSpec spec, Batching batching) {
        // Loading and the first run are when TensorFlow's native code prints its notices.
        return TensorFlowLog.captureUnchecked(() -> loadAndWarmUp(spec, batching));
    }

    private static SavedModelClassifier loadAndWarmUp(ModelSpec spec, Batching batching) {
        long start = System.nanoTime();
        ConfigProto config =
                ConfigProto.newBuilder()
                        .setIntraOpParallelismThreads(spec.intraOpThreads())
                        // Read by the GPU build only; the CPU build has no GPU device to apply
                        // them to.
                        .setGpuOptions(
                                GPUOptions.newBuilder()
                                        .setAllowGrowth(spec.gpuAllowGrowth())
                                        .setVisibleDeviceList(spec.gpuVisibleDevices()))
                        .build();
        SavedModelBundle bundle;
        try {
            bundle =
                    SavedModelBundle.loader(spec.dir().toString())
                            .withTags(SERVE_TAG)
                            .withConfigProto(config)
                            .load();
        } catch (TensorFlowException e) {
            throw loadFailure(spec.dir(), e);
        }
        SavedModelClassifier classifier;
        try {
            classifier = new SavedModelClassifier(spec, bundle);
            classifier.warmUp();
            if (batching.maxBatchSize() > 1) {
                classifier.batcher =
                        new DynamicBatcher(
                                spec.name(),
                                classifier.batches,
                                batching.maxBatchSize(),
                                batching.maxQueueDelay(),
                                batching.maxInFlight(),
                                batching.timeout());
            }
        } catch (RuntimeException e) {
            bundle.close();
            throw e;
        }
        log.info(
                "model {} {} loaded from {} in {} ms: input {}x{}, {} classes, {} preprocessing",
                spec.name(),
                spec.version(),
                spec.dir(),
                (System.nanoTime() - start) / 1_000_000,
                classifier.width,
                classifier.height,
                classifier.classes,
                spec.preprocessing());
        return classifier;
    }

    public ModelSpec spec() {
        return spec;
    }

    /** One per class: from the labels file, else {@code class_N}. */
    public List<String> labels() {
        return labels;
    }

    public int inputSize() {
        return width;
    }

    /** The probabilities of the whole image, stretched to the input: the {@code resize} crop. */
    public float[] classify(DecodedImage image) throws InferenceException {
        return classify(image, Crop.whole(image.width(), image.height()));
    }

    /** The probabilities of one crop, through the batcher if there is one. */
    public float[] classify(DecodedImage image, Crop crop) throws InferenceException {
        try (InferenceRound round = new InferenceRound()) {
            CropResult result = submit(round, image, crop);
            round.await();
            return result.probabilities();
        }
    }

    /**
     * Starts one crop of an image: queued on the batcher, for {@code round}'s thread to write when
     * its batch forms; without a batcher, run at once on the calling thread. Its result is ready
     * once {@code round} has been awaited.
     *
     * @throws InferenceException when the model rejects the crop (only without a batcher; with one,
     *     the round's await throws)
     */
    CropResult submit(InferenceRound round, DecodedImage image, Crop crop)
            throws InferenceException {
        if (batcher == null) {
            long start = System.nanoTime();
            float[] probabilities = run(image, crop);
            // Without a batcher every thread calls the shared session itself: no queue to wait in.
            return new CropResult.Done(probabilities, 0, System.nanoTime() - start);
        }
        InferenceRound.Ticket ticket =
                round.submit(
                        batcher,
                        row ->
                                InputWriter.write(
                                        image,
                                        crop,
                                        width,
                                        spec.preprocessing(),
                                        spec.resize(),
                                        row));
        return new CropResult.Queued(ticket, spec.outputsLogits());
    }

    /** One crop's probabilities and timings, valid once its round is awaited. */
    interface CropResult {
        float[] probabilities() throws InferenceException;

        long queueNanos();

        long inferenceNanos();

        record Done(float[] probs, long queueNanos, long inferenceNanos) implements CropResult {
            @Override
            public float[] probabilities() throws InferenceException {
                return checked(probs);
            }
        }

        record Queued(InferenceRound.Ticket ticket, boolean logits) implements CropResult {
            @Override
            public float[] probabilities() throws InferenceException {
                float[] scores = ticket.scores();
                return checked(logits ? Softmax.inPlace(scores) : scores);
            }

            @Override
            public long queueNanos() {
                return ticket.queueNanos();
            }

            @Override
            public long inferenceNanos() {
                return ticket.inferenceNanos();
            }
        }
    }

    private static float[] checked(float[] probabilities) throws InferenceException {
        if (!allFinite(probabilities)) {
            throw new InferenceException(
                    "the model returned non-finite scores (NaN or infinity) for this image", null);
        }
        return probabilities;
    }

    /**
     * The input is the one thing that changes between calls, so an invalid argument is this
     * image's. Any other TensorFlow error (out of memory, internal) is the model's or the
     * machine's: it propagates and stops the worker rather than dead-lettering good images.
     */
    private static InferenceException rejected(TFInvalidArgumentException e) {
        return new InferenceException(
                "the model rejected this image: " + firstLine(e.getMessage()), e);
    }

    /**
     * Batches of input tensors on this model's session, with its signature, shapes and session
     * options: what the batcher runs, and what a benchmark of the model alone should run.
     */
    public BatchModel batches() {
        return batches;
    }

    /** What the batcher has run, if there is one. */
    public Optional<BatcherStats> batcherStats() {
        return Optional.ofNullable(batcher).map(DynamicBatcher::stats);
    }

    /** Batches of input tensors on this model's session, for the {@link DynamicBatcher}. */
    private final class TensorBatches implements BatchModel {
        @Override
        public int inputLength() {
            return InputWriter.inputLength(width);
        }

        @Override
        public int classes() {
            return classes;
        }

        @Override
        public Batch allocate(int rows) {
            TFloat32 input = TFloat32.tensorOf(Shape.of(rows, height, width, 3));
            FloatBuffer pixels = TensorViews.floats(input);
            return new Batch() {
                private Result result;
                private FloatDataBuffer scores;

                @Override
                public FloatBuffer input() {
                    return pixels;
                }

                @Override
                public void run() throws InferenceException {
                    if (result != null) {
                        result.close(); // a benchmark runs one batch many times
                    }
                    try {
                        result = session.runner().feed(inputName, input).fetch(outputName).run();
                    } catch (TFInvalidArgumentException e) {
                        throw rejected(e);
                    }
                    Tensor output = result.get(0);
                    if (output.shape().size() != (long) rows * classes) {
                        throw new ModelLoadException(
                                "model "
                                        + spec.dir()
                                        + " computed an output of shape "
                                        + output.shape()
                                        + " for "
                                        + rows
                                        + " image(s); its signature declares "
                                        + classes
                                        + " classes");
                    }
                    scores = output.asRawTensor().data().asFloats();
                }

                @Override
                public void scores(int row, float[] dst) {
                    scores.offset((long) row * classes).read(dst);
                }

                @Override
                public void close() {
                    if (result != null) {
                        result.close();
                    }
                    input.close();
                }
            };
        }
    }

    private static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** One crop through a batch of one, on the calling thread. */
    private float[] run(DecodedImage image, Crop crop) throws InferenceException {
        try (BatchModel.Batch batch = batches.allocate(1)) {
            InputWriter.write(
                    image, crop, width, spec.preprocessing(), spec.resize(), batch.input());
            batch.run();
            float[] scores = new float[classes];
            batch.scores(0, scores);
            return spec.outputsLogits() ? Softmax.inPlace(scores) : scores;
        }
    }

    private void warmUp() {
        // The first run allocates and autotunes (oneDNN); doing it now keeps it out of the first
        // image's latency and proves the graph runs before the worker reports ready.
        byte[] grey = new byte[width * height * 3];
        java.util.Arrays.fill(grey, (byte) 128);
        // Any format will do: these pixels come from no file.
        try {
            run(new DecodedImage(width, height, grey, ImageFormat.PNG), Crop.whole(width, height));
        } catch (InferenceException | TensorFlowException e) {
            Path index = spec.dir().resolve(VARIABLES_DIR).resolve("variables.index");
            if (e instanceof TFFailedPreconditionException && !Files.isRegularFile(index)) {
                // TensorFlow loads a SavedModel without variables/variables.index as a model
                // without weights: its variables stay uninitialised, which shows only now.
                throw new ModelLoadException(
                        index
                                + " is missing, so the weights of model "
                                + spec.dir()
                                + " were not restored ("
                                + firstLine(e.getMessage())
                                + "); "
                                + REBUILD,
                        e);
            }
            // Any other TensorFlow error here is the model's: the input is a plain grey image.
            throw new ModelLoadException(
                    "model "
                            + spec.dir()
                            + " fails on a blank image ("
                            + firstLine(e.getMessage())
                            + "); check it with ./fovea model inspect "
                            + spec.dir()
                            + ", or "
                            + REBUILD,
                    e);
        }
    }

    @Override
    public void close() {
        if (batcher != null) {
            batcher.close();
        }
        bundle.close();
    }

    private static Signature signature(SavedModelBundle bundle, ModelSpec spec) {
        return bundle.signatures().stream()
                .filter(s -> s.key().equals(spec.signature()))
                .findFirst()
                .orElseThrow(
                        () ->
                                new ModelLoadException(
                                        "model "
                                                + spec.dir()
                                                + " has no signature '"
                                                + spec.signature()
                                                + "'; it has "
                                                + bundle.signatures().stream()
                                                        .map(Signature::key)
                                                        .collect(Collectors.toList())
                                                + ": set model.signature to one of them"));
    }

    /** What is wrong with the input for Fovea to feed it images, or null if nothing is. */
    private static String inputProblem(Signature.TensorDescription input) {
        Shape shape = input.shape;
        String described = "(" + input.dataType + " " + shape + ")";
        if (input.dataType != DataType.DT_FLOAT) {
            return "is not float " + described;
        }
        if (shape.numDimensions() != 4) {
            return "has rank " + shape.numDimensions() + ", not 4 " + described;
        }
        if (shape.size(3) != 3) {
            return "has " + shape.size(3) + " channels, not 3 " + described;
        }
        if (shape.size(1) <= 0 || shape.size(2) <= 0) {
            return "has no fixed height and width " + described;
        }
        if (shape.size(1) != shape.size(2)) {
            return "is not square " + described;
        }
        return null;
    }

    private static String inspect(ModelSpec spec) {
        return " (./fovea model inspect " + spec.dir() + " shows its signature)";
    }

    /**
     * Which part of the model directory TensorFlow could not read, in one line: its own message
     * runs to several, with graph nodes, and names no directory for the weights.
     */
    private static ModelLoadException loadFailure(Path dir, TensorFlowException e) {
        String message = String.valueOf(e.getMessage());
        String first = firstLine(message);
        Path graph = dir.resolve(SAVED_MODEL_FILE);
        Path variables = dir.resolve(VARIABLES_DIR);
        if (message.contains("meta graph def matching supplied tags")) {
            return new ModelLoadException(
                    graph
                            + " has no graph tagged '"
                            + SERVE_TAG
                            + "' ("
                            + first
                            + "): export the model with that tag, as ./fovea model build and"
                            + " ./fovea model import do",
                    e);
        }
        // A checkpoint that cannot be restored fails in the saver's restore op, or names its file.
        if (message.contains("Restore") || message.contains(variables.toString())) {
            return new ModelLoadException(
                    "the weights of model "
                            + dir
                            + " cannot be restored from "
                            + variables
                            + " ("
                            + first
                            + "): its files are truncated or corrupt; "
                            + REBUILD,
                    e);
        }
        // Before the restore, TensorFlow reads only the graph: a parse error names it, a read past
        // its end (a length in the bytes that runs over) does not.
        if (message.contains(graph.toString()) || e instanceof TFOutOfRangeException) {
            return new ModelLoadException(
                    graph
                            + " is not a readable SavedModel graph ("
                            + first.replace(graph.toString(), "the file")
                            + "): it is corrupt or truncated; "
                            + REBUILD,
                    e);
        }
        return new ModelLoadException(
                "cannot load the SavedModel at "
                        + dir
                        + " with tag '"
                        + SERVE_TAG
                        + "' ("
                        + first
                        + "); "
                        + REBUILD,
                e);
    }

    private static Signature.TensorDescription single(
            Map<String, Signature.TensorDescription> tensors, String what, ModelSpec spec) {
        if (tensors.size() == 1) {
            return tensors.values().iterator().next();
        }
        // Models made by Fovea export both probabilities and logits; prefer what the spec says.
        String preferred =
                what.equals("output") ? (spec.outputsLogits() ? "logits" : "probs") : "input";
        Signature.TensorDescription named = tensors.get(preferred);
        if (named == null) {
            throw new ModelLoadException(
                    "model "
                            + spec.dir()
                            + ": signature '"
                            + spec.signature()
                            + "' has "
                            + tensors.size()
                            + " "
                            + what
                            + "s "
                            + tensors.keySet()
                            + "; Fovea needs exactly one, or one named '"
                            + preferred
                            + "'");
        }
        return named;
    }

    private static List<String> generatedLabels(int classes) {
        List<String> labels = new ArrayList<>(classes);
        for (int i = 0; i < classes; i++) {
            labels.add("class_" + i);
        }
        return labels;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no message";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
