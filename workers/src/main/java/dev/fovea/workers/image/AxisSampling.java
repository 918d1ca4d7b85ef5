package dev.fovea.workers.image;

/**
 * For each output index along one axis, the two input indices it interpolates between and the
 * weight of the second, as {@link ResizeMode} defines them for a span {@code [start, start +
 * length)} of the input (the whole axis is {@code [0, in)}). Computed once per resize, so the
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
     * @param start where the span begins, in continuous pixel coordinates (pixel {@code k} covers
     *     {@code [k, k + 1)})
     * @param length the span's extent, positive
     * @param reversed whether output index {@code i} takes what {@code outSize - 1 - i} would: a
     *     mirror image
     * @param stride what an index step is worth in the input array (3 across a row of RGB, the row
     *     length down a column), so the loop adds offsets instead of multiplying
     */
    AxisSampling(
            ResizeMode mode,
            int inSize,
            double start,
            double length,
            boolean reversed,
            int outSize,
            int stride) {
        lower = new int[outSize];
        upper = new int[outSize];
        weight = new float[outSize];
        // Float, as TensorFlow computes; for the whole axis (start 0, length in) this is its
        // ResizeBilinear arithmetic to the bit.
        float from = (float) start;
        float scale = mode.scale((float) length, outSize);
        int last = inSize - 1;
        for (int i = 0; i < outSize; i++) {
            float source = mode.sourceCoordinate(i, from, scale);
            float floor = (float) Math.floor(source);
            // TensorFlow clamps only lower below and upper above, which is all the whole axis
            // needs; a span on the image's edge, or a sub-pixel one, can land a sample past the
            // last pixel centre or before the first, so both are clamped both ways. A clamped
            // neighbour then equals the other, and the weight no longer matters.
            int at = reversed ? outSize - 1 - i : i;
            lower[at] = Math.min(Math.max((int) floor, 0), last) * stride;
            upper[at] = Math.min(Math.max((int) Math.ceil(source), 0), last) * stride;
            weight[at] = source - floor;
        }
    }
}
