package dev.fovea.topology;

/**
 * The result of classifying one image.
 *
 * @param probabilities softmax probabilities, one per class (the classifier applies softmax to
 *     logits itself); the array is owned by the receiver
 * @param cropScheme how the image was cropped, e.g. {@code resize}
 * @param crops crops averaged per member model
 * @param queueMs time spent waiting for the model
 * @param inferenceMs time spent in preprocessing and the model itself
 */
public record Classification(
        float[] probabilities, String cropScheme, int crops, float queueMs, float inferenceMs) {}
