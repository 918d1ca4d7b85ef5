package dev.fovea.topology;

import java.util.Objects;

/**
 * What the topology needs to know besides its ports: topic names, output shape and the dead-letter
 * size limit.
 *
 * @param imagesTopic source topic of {@code ImageEvent}s
 * @param predictionsTopic sink of {@code Prediction}s
 * @param deadLetterTopic sink of {@code DeadLetter}s
 * @param topK classes per prediction
 * @param publishProbabilities whether predictions carry the full probability vector
 * @param publishMemberPredictions whether an ensemble also publishes one prediction per member,
 *     besides its own
 * @param workerId written into every output record, to tell which instance did the work
 * @param maxDeadLetterValueBytes original values larger than this are not copied into a dead letter
 *     (which points at their topic, partition and offset instead), so that a dead letter always
 *     fits the dead-letter topic's size limit
 */
public record TopologySettings(
        String imagesTopic,
        String predictionsTopic,
        String deadLetterTopic,
        int topK,
        boolean publishProbabilities,
        boolean publishMemberPredictions,
        String workerId,
        int maxDeadLetterValueBytes) {

    public TopologySettings {
        Objects.requireNonNull(imagesTopic, "imagesTopic");
        Objects.requireNonNull(predictionsTopic, "predictionsTopic");
        Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
        Objects.requireNonNull(workerId, "workerId");
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be at least 1, was " + topK);
        }
        if (maxDeadLetterValueBytes < 0) {
            throw new IllegalArgumentException(
                    "maxDeadLetterValueBytes must not be negative, was " + maxDeadLetterValueBytes);
        }
    }
}
