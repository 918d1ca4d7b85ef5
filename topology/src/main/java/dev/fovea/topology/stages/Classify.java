package dev.fovea.topology.stages;

import dev.fovea.topology.Classifier;
import dev.fovea.topology.InferenceException;
import dev.fovea.topology.Reason;

/**
 * Stage 3: pixels to class probabilities. Blocks until the classifier answers, so the record's
 * result is forwarded before {@code process()} returns and nothing is held across calls.
 */
public final class Classify extends Stage {
    private final Classifier classifier;

    public Classify(Classifier classifier) {
        this.classifier = classifier;
    }

    @Override
    ImageWork apply(ImageWork work) {
        try {
            return work.withClassification(classifier.classify(work.image()));
        } catch (InferenceException e) {
            return work.failedWith(new Failure(Reason.INFERENCE_FAILED, e.getMessage()));
        }
    }
}
