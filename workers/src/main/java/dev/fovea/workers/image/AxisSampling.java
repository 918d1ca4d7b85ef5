package dev.fovea.workers.image;

/**
 * For each output index along one axis, the two input indices it interpolates between and the
 * weight of the second, as {@link ResizeMode} defines them. Computed once per resize, so the
 * per-pixel loop only looks them up.
 */
final class AxisSampling {

    /** The first input index, times {@code stride}. */
    final int[] lower;

    /** The second input index, times {@code stride}. */
    final int[] upper;

    /** The weight of {@code upper}, in [0, 1). */
    final float[] weight;

    /**
     * @param stride what an index step is worth in the input array (3 across a row of RGB, the row
     *     length down a column), so the loop adds offsets instead of multiplying
     */
    AxisSampling(ResizeMode mode, int inSize, int outSize, int stride) {
        lower = new int[outSize];
        upper = new int[outSize];
        weight = new float[outSize];
        float scale = mode.scale(inSize, outSize);
        for (int i = 0; i < outSize; i++) {
            float source = mode.sourceCoordinate(i, scale);
            float floor = (float) Math.floor(source);
            lower[i] = Math.max((int) floor, 0) * stride;
            upper[i] = Math.min((int) Math.ceil(source), inSize - 1) * stride;
            weight[i] = source - floor;
        }
    }
}
