package dev.fovea.topology;

import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.crops.CropScheme;
import dev.fovea.topology.image.DecodedImage;

import java.util.ArrayList;
import java.util.List;

/**
 * A classifier whose answers a test can work out by hand: three classes, red, green and blue. For
 * each crop, member {@code m} answers probabilities proportional to the mean channel values of the
 * pixels the crop covers, rotated by {@code m} classes (member 1 calls red "green"), so that
 * members disagree in a known way. Images exactly {@link #POISON_WIDTH} pixels wide make it fail,
 * as a model may fail on one input.
 */
final class MeanColourClassifier implements Classifier {
    static final int POISON_WIDTH = 13;
    static final List<String> LABELS = List.of("red", "green", "blue");
    private final ModelInfo info;

    MeanColourClassifier() {
        this(ModelInfo.single("mean-colour", "7", LABELS, CropScheme.RESIZE));
    }

    MeanColourClassifier(ModelInfo info) {
        this.info = info;
    }

    static MeanColourClassifier ensemble(String name, List<Member> members) {
        return new MeanColourClassifier(new ModelInfo(name, "e1", LABELS, members));
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public CropScores classify(DecodedImage image, List<List<Crop>> crops)
            throws InferenceException {
        if (image.width() == POISON_WIDTH) {
            throw new InferenceException("poisoned width", null);
        }
        List<float[][]> answers = new ArrayList<>();
        for (int m = 0; m < crops.size(); m++) {
            float[][] rows = new float[crops.get(m).size()][];
            for (int c = 0; c < rows.length; c++) {
                rows[c] = rotate(meanColour(image, crops.get(m).get(c)), m);
            }
            answers.add(rows);
        }
        return new CropScores(answers, 0f, 0.5f);
    }

    /** Channel shares of the pixels whose centres lie inside the crop. */
    static float[] meanColour(DecodedImage image, Crop crop) {
        double[] sum = new double[3];
        byte[] rgb = image.rgb();
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                if (inside(x + 0.5, crop.x(), crop.width())
                        && inside(y + 0.5, crop.y(), crop.height())) {
                    int at = (y * image.width() + x) * 3;
                    for (int c = 0; c < 3; c++) {
                        sum[c] += rgb[at + c] & 0xff;
                    }
                }
            }
        }
        double total = sum[0] + sum[1] + sum[2] + 1e-9;
        return new float[] {
            (float) (sum[0] / total), (float) (sum[1] / total), (float) (sum[2] / total)
        };
    }

    private static boolean inside(double centre, double start, double length) {
        return centre >= start && centre < start + length;
    }

    static float[] rotate(float[] p, int by) {
        float[] out = new float[p.length];
        for (int k = 0; k < p.length; k++) {
            out[(k + by) % p.length] = p[k];
        }
        return out;
    }
}
