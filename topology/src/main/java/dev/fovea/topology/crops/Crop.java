package dev.fovea.topology.crops;

/**
 * A region of a decoded image to be resized to the model's input, optionally mirrored left-right.
 *
 * <p>Coordinates are continuous pixel coordinates of the original image: pixel {@code (i, j)}
 * covers {@code [i, i + 1) x [j, j + 1)}, so the whole of a {@code W x H} image is the box {@code
 * (0, 0, W, H)}. {@code x, y} is the top-left corner. Values may be fractional: the evaluation
 * protocols scale the image before cutting, and keeping the box in original coordinates without
 * rounding lets the resize sample the original pixels once instead of resizing twice.
 *
 * @param x the left edge
 * @param y the top edge
 * @param width positive
 * @param height positive
 * @param mirrored whether the model sees the region flipped left-right
 */
public record Crop(double x, double y, double width, double height, boolean mirrored) {

    public Crop {
        if (!Double.isFinite(x) || !Double.isFinite(y)) {
            throw new IllegalArgumentException("corner must be finite, got " + x + ", " + y);
        }
        if (!(width > 0 && height > 0) || !Double.isFinite(width) || !Double.isFinite(height)) {
            throw new IllegalArgumentException(
                    "size must be positive and finite, got " + width + "x" + height);
        }
    }

    /** The whole of a {@code width x height} image, unmirrored: a plain resize. */
    public static Crop whole(int width, int height) {
        return new Crop(0, 0, width, height, false);
    }

    /** The same region with {@link #mirrored()} toggled. */
    public Crop mirror() {
        return new Crop(x, y, width, height, !mirrored);
    }
}
