package dev.fovea.topology;

import java.util.List;

/**
 * What a {@link Classifier} returns for one image: every crop's probabilities, per member.
 *
 * @param probabilities {@code probabilities.get(m)[c]} holds the softmax probabilities of crop
 *     {@code c} of member {@code m} (the classifier applies softmax to logits itself); owned by the
 *     receiver
 * @param queueMs the longest any crop waited for its batch
 * @param inferenceMs the longest any crop's batch took to run
 */
public record CropScores(List<float[][]> probabilities, float queueMs, float inferenceMs) {
    public CropScores {
        probabilities = List.copyOf(probabilities);
    }
}
