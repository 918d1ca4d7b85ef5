package dev.fovea.models;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A model {@link ModelBuilder#build} wrote.
 *
 * @param dir the model directory (absolute)
 * @param arch the architecture's name
 * @param inputSize height and width of the input images, in pixels
 * @param preprocessing how the worker must scale pixels; see {@link ModelMetadata#preprocessing()}
 * @param parameters the weights and batch-norm statistics, counted as Keras counts them
 * @param buildTime from the request to the model directory in place
 */
public record BuildResult(
        Path dir,
        String arch,
        int inputSize,
        String preprocessing,
        long parameters,
        Duration buildTime) {}
