package dev.fovea.workers.runtime;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;

import dev.fovea.models.Labels;
import dev.fovea.models.ModelMetadata;
import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.image.Preprocessing;
import dev.fovea.workers.image.ResizeMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * Everything needed to serve one SavedModel, resolved from the worker's config and, for what the
 * config leaves open, from the {@code fovea-model.json} the model tool writes beside a model.
 *
 * @param labels one per class, or null to use {@code class_N}
 * @param labelsFile where {@code labels} come from, to name in errors; null when they are null
 */
public record ModelSpec(
        Path dir,
        String name,
        String version,
        Preprocessing preprocessing,
        boolean outputsLogits,
        ResizeMode resize,
        List<String> labels,
        Path labelsFile,
        String signature,
        int intraOpThreads,
        String gpuVisibleDevices,
        boolean gpuAllowGrowth) {

    /** The single model of {@code model.path}, with the {@code model.*} settings applied. */
    public static ModelSpec resolve(WorkerConfig config) {
        String path = config.stringOrNull(WorkerConfig.MODEL_PATH);
        if (path == null) {
            throw new ModelLoadException(
                    "no model to serve: set "
                            + WorkerConfig.MODEL_PATH
                            + " (FOVEA_MODEL_PATH) to a SavedModel directory, or "
                            + WorkerConfig.ENSEMBLE_MEMBERS
                            + " (FOVEA_ENSEMBLE_MEMBERS) to several");
        }
        return resolve(config, path, true);
    }

    /**
     * A member of an ensemble: everything the {@code model.*} settings would give comes from its
     * {@code fovea-model.json}, since one setting cannot speak for several models.
     */
    public static ModelSpec member(WorkerConfig config, String path) {
        return resolve(config, path, false);
    }

    private static ModelSpec resolve(WorkerConfig config, String path, boolean applySettings) {
        Path dir = Path.of(path).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new ModelLoadException(
                    "model directory "
                            + dir
                            + " does not exist: set "
                            + (applySettings
                                    ? WorkerConfig.MODEL_PATH + " (FOVEA_MODEL_PATH)"
                                    : WorkerConfig.ENSEMBLE_MEMBERS + " (FOVEA_ENSEMBLE_MEMBERS)")
                            + (applySettings
                                    ? " to a SavedModel directory"
                                    : " to SavedModel directories")
                            + ", or build one with "
                            + "./fovea model build --arch inception_v3 --out "
                            + dir);
        }
        if (!Files.isRegularFile(dir.resolve("saved_model.pb"))) {
            throw new ModelLoadException(
                    dir
                            + " is not a SavedModel: it has no saved_model.pb; point "
                            + (applySettings
                                    ? WorkerConfig.MODEL_PATH
                                    : WorkerConfig.ENSEMBLE_MEMBERS)
                            + " at the directory that holds saved_model.pb and variables/, as"
                            + " ./fovea model build or ./fovea model import writes it");
        }
        ModelMetadata meta = readMetadata(dir);
        Setting setting = new Setting(config, meta, dir, applySettings);

        String preprocessing =
                setting.pick(WorkerConfig.MODEL_PREPROCESSING, ModelMetadata::preprocessing);
        if (preprocessing == null && !applySettings) {
            throw new ModelLoadException(
                    "the preprocessing of ensemble member "
                            + dir
                            + " is unknown (it has no "
                            + ModelMetadata.FILE_NAME
                            + "): ensemble members must be models written by ./fovea model build"
                            + " or ./fovea model import; a model without one can be served alone"
                            + " with model.path and model.preprocessing");
        }
        if (preprocessing == null) {
            throw new ModelLoadException(
                    "the preprocessing of "
                            + dir
                            + " is unknown (it has no "
                            + ModelMetadata.FILE_NAME
                            + "): set "
                            + WorkerConfig.MODEL_PREPROCESSING
                            + " to one of "
                            + Preprocessing.ids());
        }
        String output = setting.pick(WorkerConfig.MODEL_OUTPUT, ModelMetadata::output);
        String resize = setting.pick(WorkerConfig.MODEL_RESIZE, ModelMetadata::resize);
        String labelsSetting = setting.pick(WorkerConfig.MODEL_LABELS, ModelMetadata::labels);
        Path labelsFile = dir.resolve(orElse(labelsSetting, Labels.FILE_NAME));
        List<String> labels = readLabels(labelsFile, labelsSetting != null);
        return new ModelSpec(
                dir,
                orElse(
                        setting.pick(WorkerConfig.MODEL_NAME, ModelMetadata::name),
                        dir.getFileName().toString()),
                orElse(setting.pick(WorkerConfig.MODEL_VERSION, ModelMetadata::version), "1"),
                setting.parse(
                        WorkerConfig.MODEL_PREPROCESSING, preprocessing, Preprocessing::parse),
                setting.parse(
                        WorkerConfig.MODEL_OUTPUT,
                        orElse(output, "probabilities"),
                        ModelSpec::outputsLogits),
                setting.parse(
                        WorkerConfig.MODEL_RESIZE,
                        orElse(resize, ModelMetadata.HALF_PIXEL),
                        ResizeMode::parse),
                labels,
                labels == null ? null : labelsFile,
                config.getString(WorkerConfig.MODEL_SIGNATURE),
                config.getInt(WorkerConfig.INFERENCE_THREADS),
                config.getString(WorkerConfig.GPU_VISIBLE_DEVICES),
                config.getBoolean(WorkerConfig.GPU_ALLOW_GROWTH));
    }

    /** A value from the config, else from the model's metadata; and where a bad one came from. */
    private record Setting(WorkerConfig config, ModelMetadata meta, Path dir, boolean applied) {
        String pick(String key, Function<ModelMetadata, String> field) {
            String configured = applied ? config.stringOrNull(key) : null;
            if (configured != null || meta == null) {
                return configured;
            }
            return field.apply(meta);
        }

        <T> T parse(String key, String value, Function<String, T> parser) {
            try {
                return parser.apply(value);
            } catch (IllegalArgumentException e) {
                String source =
                        applied && config.stringOrNull(key) != null
                                ? key
                                : dir.resolve(ModelMetadata.FILE_NAME).toString();
                throw new ModelLoadException(
                        "invalid " + key + " from " + source + ": " + e.getMessage(), e);
            }
        }
    }

    private static boolean outputsLogits(String output) {
        return switch (output) {
            case "logits" -> true;
            case "probabilities" -> false;
            default ->
                    throw new IllegalArgumentException(
                            "unknown output '" + output + "'; valid: probabilities, logits");
        };
    }

    private static String orElse(String value, String fallback) {
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static ModelMetadata readMetadata(Path dir) {
        if (!ModelMetadata.isModelDirectory(dir)) {
            return null;
        }
        Path file = dir.resolve(ModelMetadata.FILE_NAME);
        try {
            return ModelMetadata.read(dir);
        } catch (JsonMappingException e) {
            throw new ModelLoadException(file + " " + metadataProblem(e) + "; " + REWRITE, e);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new ModelLoadException(
                    file
                            + " is not valid JSON ("
                            + firstLine(e.getOriginalMessage())
                            + (at == null
                                    ? ""
                                    : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                            + "); "
                            + REWRITE,
                    e);
        } catch (IOException e) {
            throw new ModelLoadException(
                    file + " cannot be read (" + firstLine(e.getMessage()) + ")", e);
        }
    }

    /** How to get a metadata file that reads: only the model tool writes one whole. */
    private static final String REWRITE =
            "build or import the model again (./fovea model build, ./fovea model import), or"
                    + " delete the file and give the model.* settings instead";

    /**
     * Which field is wrong, in words: Jackson's own message names its class and feature flags, and
     * leaves out the field's name when it is missing.
     */
    private static String metadataProblem(JsonMappingException e) {
        List<JsonMappingException.Reference> path = e.getPath();
        String field = path.isEmpty() ? null : path.get(path.size() - 1).getFieldName();
        String original = firstLine(e.getOriginalMessage());
        if (field == null) {
            return "is not a Fovea model description (" + original + ")";
        }
        if (original.startsWith("Missing creator property")
                || original.startsWith("Null value for creator property")) {
            return "has no '" + field + "' (a model written by an older Fovea, or edited)";
        }
        return "has an invalid '" + field + "' (" + original + ")";
    }

    private static List<String> readLabels(Path file, boolean required) {
        if (!Files.isRegularFile(file)) {
            if (required) {
                throw new ModelLoadException("labels file " + file + " does not exist");
            }
            return null;
        }
        try {
            return Labels.read(file);
        } catch (IOException e) {
            throw new ModelLoadException(
                    "cannot read labels file " + file + " (" + firstLine(e.getMessage()) + ")", e);
        }
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
