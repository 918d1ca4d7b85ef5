package dev.fovea.topology.stages;

import dev.fovea.topology.Classifier;
import dev.fovea.topology.CropScores;
import dev.fovea.topology.InferenceException;
import dev.fovea.topology.Reason;
import dev.fovea.topology.crops.Crop;

import java.util.List;

/**
 * Stage 4: every crop of every member through the models, at once. Blocks until the classifier
 * answers, so the record's result is forwarded before {@code process()} returns and nothing is held
 * across calls.
 */
public final class Infer extends Stage {
    private final Classifier classifier;
    private final int classes;

    public Infer(Classifier classifier) {
        this.classifier = classifier;
        this.classes = classifier.info().labels().size();
    }

    @Override
    ImageWork apply(ImageWork work) {
        CropScores scores;
        try {
            scores = classifier.classify(work.image(), work.crops());
        } catch (InferenceException e) {
            return work.failedWith(new Failure(Reason.INFERENCE_FAILED, e.getMessage()));
        }
        checkShape(work.crops(), scores);
        return work.withScores(scores);
    }

    /** A classifier that answers the wrong shape is broken, not the image: fail the thread. */
    private void checkShape(List<List<Crop>> crops, CropScores scores) {
        List<float[][]> perMember = scores.probabilities();
        boolean ok = perMember.size() == crops.size();
        for (int m = 0; ok && m < crops.size(); m++) {
            float[][] rows = perMember.get(m);
            ok = rows.length == crops.get(m).size();
            for (int c = 0; ok && c < rows.length; c++) {
                ok = rows[c].length == classes;
            }
        }
        if (!ok) {
            throw new IllegalStateException(
                    "the classifier answered a shape other than members x crops x "
                            + classes
                            + " classes");
        }
    }
}
