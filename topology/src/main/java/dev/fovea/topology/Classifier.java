package dev.fovea.topology;

import dev.fovea.topology.image.DecodedImage;

/**
 * The port through which the topology runs a model. The topology never sees TensorFlow: the workers
 * module implements this on a SavedModel, tests may implement it on anything.
 *
 * <p>Implementations are called concurrently by every stream thread of a worker and must be
 * thread-safe. They are called from {@code process()} and must return only when the result is
 * ready: a classifier never keeps an image across calls (see the batching design note on why a
 * record held across {@code process()} calls is lost on a crash or rebalance).
 */
public interface Classifier {

    /** What is served: the name, version and labels that go into every prediction. */
    ModelInfo info();

    /**
     * Classifies one decoded image.
     *
     * @throws InferenceException when this image cannot be classified; it becomes a dead letter.
     *     Any other exception means the classifier itself is broken and fails the stream thread.
     */
    Classification classify(DecodedImage image) throws InferenceException;
}
