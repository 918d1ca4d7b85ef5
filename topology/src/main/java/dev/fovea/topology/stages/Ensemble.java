package dev.fovea.topology.stages;

import dev.fovea.topology.Member;

import java.util.List;

/**
 * Stage 6: the members' probabilities, their weighted arithmetic mean, as the papers combine their
 * ensembles (GoogLeNet's 7 models, Inception v3's 4). A single model passes through unchanged.
 */
public final class Ensemble extends Stage {
    private final double[] weights;

    public Ensemble(List<Member> members) {
        double total = members.stream().mapToDouble(Member::weight).sum();
        this.weights = members.stream().mapToDouble(m -> m.weight() / total).toArray();
    }

    @Override
    ImageWork apply(ImageWork work) {
        float[][] members = work.memberProbabilities();
        if (members.length == 1) {
            return work.withProbabilities(members[0]);
        }
        double[] sum = new double[members[0].length];
        for (int m = 0; m < members.length; m++) {
            for (int k = 0; k < sum.length; k++) {
                sum[k] += weights[m] * members[m][k];
            }
        }
        float[] mean = new float[sum.length];
        for (int k = 0; k < sum.length; k++) {
            mean[k] = (float) sum[k];
        }
        return work.withProbabilities(mean);
    }
}
