package dev.fovea.topology.stages;

import java.util.List;

/**
 * Stage 5: each member's probabilities, the arithmetic mean over its crops. The papers average
 * softmax outputs, not logits, and found it better than taking the maximum over crops (GoogLeNet,
 * Szegedy et al. 2014, section 10).
 */
public final class AverageCrops extends Stage {

    @Override
    ImageWork apply(ImageWork work) {
        List<float[][]> perMember = work.scores().probabilities();
        float[][] means = new float[perMember.size()][];
        for (int m = 0; m < means.length; m++) {
            means[m] = mean(perMember.get(m));
        }
        return work.withMemberProbabilities(means);
    }

    static float[] mean(float[][] rows) {
        double[] sum = new double[rows[0].length];
        for (float[] row : rows) {
            for (int k = 0; k < sum.length; k++) {
                sum[k] += row[k];
            }
        }
        float[] mean = new float[sum.length];
        for (int k = 0; k < sum.length; k++) {
            mean[k] = (float) (sum[k] / rows.length);
        }
        return mean;
    }
}
