package dev.fovea.workers.runtime;

/** Numerically stable softmax (subtracting the maximum keeps exp() from overflowing). */
final class Softmax {
    private Softmax() {}

    static float[] inPlace(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.exp(logits[i] - max);
            sum += logits[i];
        }
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (logits[i] / sum);
        }
        return logits;
    }
}
