package dev.fovea.topology;

import dev.fovea.topology.image.DecodedImage;

import java.util.List;

/**
 * A classifier whose answer a test can work out by hand: three classes, red, green and blue, with
 * probabilities proportional to the image's mean channel values. Images exactly {@link
 * #POISON_WIDTH} pixels wide make it fail, as a model may fail on one input.
 */
final class MeanColourClassifier implements Classifier {
    static final int POISON_WIDTH = 13;
    private final ModelInfo info =
            new ModelInfo(
                    "mean-colour", "7", List.of("red", "green", "blue"), List.of("mean-colour"));

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Classification classify(DecodedImage image) throws InferenceException {
        if (image.width() == POISON_WIDTH) {
            throw new InferenceException("poisoned width", null);
        }
        double[] sum = new double[3];
        byte[] rgb = image.rgb();
        for (int i = 0; i < rgb.length; i++) {
            sum[i % 3] += rgb[i] & 0xff;
        }
        double total = sum[0] + sum[1] + sum[2] + 1e-9;
        float[] p = {(float) (sum[0] / total), (float) (sum[1] / total), (float) (sum[2] / total)};
        return new Classification(p, "resize", 1, 0f, 0.5f);
    }
}
