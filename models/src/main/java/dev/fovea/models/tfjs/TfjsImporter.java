package dev.fovea.models.tfjs;

import dev.fovea.models.BuildResult;
import dev.fovea.models.Labels;
import dev.fovea.models.ModelDirectory;
import dev.fovea.models.ModelMetadata;
import dev.fovea.models.TensorFlowLog;

import org.tensorflow.Graph;
import org.tensorflow.Session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Converts a TF.js model, "layers-model" or "graph-model", into a model directory a worker serves:
 * the graph rebuilt with TensorFlow ops, the trained weights in {@code variables/}, and the
 * metadata the model's own code implies (preprocessing, resize, labels).
 */
public final class TfjsImporter {

    private TfjsImporter() {}

    /**
     * @throws IllegalArgumentException when the model cannot be read or uses what the converters do
     *     not support, naming it
     * @throws UncheckedIOException when reading or writing fails
     */
    public static BuildResult importModel(ImportRequest req) {
        return TensorFlowLog.captureUnchecked(() -> importModelCaptured(req));
    }

    private static BuildResult importModelCaptured(ImportRequest req) {
        long start = System.nanoTime();
        TfjsModel model;
        try {
            model = TfjsModel.read(req.from());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the TF.js model in " + req.from(), e);
        }
        try (Graph graph = new Graph()) {
            ConvertedModel converted = convert(model, graph);
            long[] shape = converted.input().shape().asArray();
            if (shape[1] != shape[2]) {
                throw new IllegalArgumentException(
                        "the model's input is "
                                + shape[1]
                                + "x"
                                + shape[2]
                                + "; Fovea serves square inputs");
            }
            int classes = Math.toIntExact(converted.probabilities().shape().get(1));
            List<String> labels = req.labels() != null ? req.labels() : Labels.generated(classes);
            if (labels.size() != classes) {
                throw new IllegalArgumentException(
                        labels.size() + " labels given for a model of " + classes + " classes");
            }
            ModelMetadata metadata =
                    ModelDirectory.write(
                            req.out(),
                            dir -> export(converted, graph, dir),
                            labels,
                            (name, version, parameters) ->
                                    new ModelMetadata(
                                            name,
                                            version,
                                            req.architecture() != null
                                                    ? req.architecture()
                                                    : "tfjs-" + model.format(),
                                            (int) shape[1],
                                            req.preprocessing(),
                                            req.resize(),
                                            classes,
                                            parameters,
                                            "probabilities",
                                            Labels.FILE_NAME,
                                            req.source()));
            return new BuildResult(
                    req.out().toAbsolutePath().normalize(),
                    metadata,
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static ConvertedModel convert(TfjsModel model, Graph graph) {
        return switch (model.format()) {
            case TfjsModel.LAYERS_MODEL -> LayersModelConverter.convert(model, graph);
            case TfjsModel.GRAPH_MODEL -> GraphModelConverter.convert(model, graph);
            default ->
                    throw new IllegalArgumentException(
                            "unknown TF.js model format '"
                                    + model.format()
                                    + "'; expected "
                                    + TfjsModel.LAYERS_MODEL
                                    + " or "
                                    + TfjsModel.GRAPH_MODEL);
        };
    }

    /** Exports the converted model with its trained weights; gives its parameter count. */
    private static long export(ConvertedModel converted, Graph graph, Path dir) throws IOException {
        try (Session session = new Session(graph)) {
            converted.weights().assign(session);
            ModelDirectory.exportSavedModel(
                    session,
                    converted.input(),
                    Map.of(ModelDirectory.OUTPUT_PROBABILITIES, converted.probabilities()),
                    dir);
        }
        return converted.parameters();
    }
}
