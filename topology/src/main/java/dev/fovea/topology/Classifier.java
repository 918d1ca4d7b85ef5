package dev.fovea.topology;

import dev.fovea.topology.image.DecodedImage;

/**
 * The port through which the topology runs a model. The topology never sees TensorFlow: the workers
 * module implements this on a SavedModel, tests may implement it on anything.
 *
 * <p>Implementations are called concurrently by every stream thread of a worker and must be
 * thread-safe. They are called from {@code process()} and must return only when the result is
 * ready: a classifier never keeps an image across calls. Kafka Streams counts a record's offset as
 * consumed once {@code process()} returns, so a record still held after that is lost on a crash or
 * a rebalance, under either processing guarantee.
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
