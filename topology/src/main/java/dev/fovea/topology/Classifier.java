package dev.fovea.topology;

import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.image.DecodedImage;

import java.util.List;

/**
 * The port through which the topology runs models. The topology never sees TensorFlow: the workers
 * module implements this on SavedModels, tests may implement it on anything.
 *
 * <p>Implementations are called concurrently by every stream thread of a worker and must be
 * thread-safe. They are called from {@code process()} and must return only when the result is
 * ready: a classifier never keeps an image across calls. Kafka Streams counts a record's offset as
 * consumed once {@code process()} returns, so a record still held after that is lost on a crash or
 * a rebalance, under either processing guarantee.
 */
public interface Classifier {

    /** What is served: the name, version, labels and members that go into every prediction. */
    ModelInfo info();

    /**
     * Runs every crop of one image through every member, all at once, so that one image's crops
     * fill a batch as well as other threads' images do.
     *
     * @param crops {@code crops.get(m)} are the regions member {@code m} of {@link #info()} runs,
     *     each resized to its input and mirrored as the crop says
     * @return one probability row per crop, per member, in the order given
     * @throws InferenceException when this image cannot be classified; it becomes a dead letter.
     *     Any other exception means the classifier itself is broken and fails the stream thread.
     */
    CropScores classify(DecodedImage image, List<List<Crop>> crops) throws InferenceException;
}
