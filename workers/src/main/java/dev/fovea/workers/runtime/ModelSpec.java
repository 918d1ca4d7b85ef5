package dev.fovea.workers.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.image.Preprocessing;
import dev.fovea.workers.image.ResizeMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Everything needed to serve one SavedModel, resolved from the worker's config and, for what the
 * config leaves open, from the {@code fovea-model.json} the model tool writes beside a model.
 *
 * @param labels one per class, or null to use {@code class_N}
 */
public record ModelSpec(
        Path dir,
        String name,
        String version,
        Preprocessing preprocessing,
        boolean outputsLogits,
        ResizeMode resize,
        List<String> labels,
        String signature,
        int intraOpThreads) {

    public static final String METADATA_FILE = "fovea-model.json";
    public static final String LABELS_FILE = "labels.txt";

    public static ModelSpec resolve(WorkerConfig config) {
        Path dir = Path.of(config.getString(WorkerConfig.MODEL_PATH)).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new ModelLoadException(
                    "model directory "
                            + dir
                            + " does not exist: set "
                            + WorkerConfig.MODEL_PATH
                            + " (FOVEA_MODEL_PATH) to a SavedModel, or build one with "
                            + "./fovea model build --arch inception_v3 --out "
                            + dir);
        }
        if (!Files.isRegularFile(dir.resolve("saved_model.pb"))) {
            throw new ModelLoadException(dir + " is not a SavedModel: it has no saved_model.pb");
        }
        JsonNode meta = readMetadata(dir);

        String preprocessing =
                pick(config, WorkerConfig.MODEL_PREPROCESSING, meta, "preprocessing", null);
        if (preprocessing == null) {
            throw new ModelLoadException(
                    "the preprocessing of "
                            + dir
                            + " is unknown (it has no "
                            + METADATA_FILE
                            + "): set "
                            + WorkerConfig.MODEL_PREPROCESSING
                            + " to inception, caffe, unit, torch or raw");
        }
        String output = pick(config, WorkerConfig.MODEL_OUTPUT, meta, "output", "probabilities");
        String resize = pick(config, WorkerConfig.MODEL_RESIZE, meta, "resize", "half_pixel");
        String labelsFile = pick(config, WorkerConfig.MODEL_LABELS, meta, "labels", LABELS_FILE);
        return new ModelSpec(
                dir,
                pick(config, WorkerConfig.MODEL_NAME, meta, "name", dir.getFileName().toString()),
                pick(config, WorkerConfig.MODEL_VERSION, meta, "version", "1"),
                Preprocessing.parse(preprocessing),
                output.equals("logits"),
                ResizeMode.valueOf(resize.toUpperCase(Locale.ROOT)),
                readLabels(
                        dir.resolve(labelsFile),
                        config.stringOrNull(WorkerConfig.MODEL_LABELS) != null),
                config.getString(WorkerConfig.MODEL_SIGNATURE),
                config.getInt(WorkerConfig.INFERENCE_THREADS));
    }

    /** The config wins; then the model's metadata; then the fallback. */
    private static String pick(
            WorkerConfig config, String key, JsonNode meta, String field, String fallback) {
        String configured = config.stringOrNull(key);
        if (configured != null) {
            return configured;
        }
        JsonNode value = meta.get(field);
        return value != null && value.isValueNode() && !value.asText().isEmpty()
                ? value.asText()
                : fallback;
    }

    private static JsonNode readMetadata(Path dir) {
        Path file = dir.resolve(METADATA_FILE);
        if (!Files.isRegularFile(file)) {
            return new ObjectMapper().createObjectNode();
        }
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static List<String> readLabels(Path file, boolean required) {
        if (!Files.isRegularFile(file)) {
            if (required) {
                throw new ModelLoadException(
                        "labels file "
                                + file
                                + " does not exist ("
                                + WorkerConfig.MODEL_LABELS
                                + ")");
            }
            return null;
        }
        try {
            return Files.readAllLines(file).stream()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty())
                    .toList();
        } catch (IOException e) {
            throw new ModelLoadException(
                    "cannot read labels file " + file + ": " + e.getMessage(), e);
        }
    }
}
