package dev.fovea.workers.image;

import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.image.DecodedImage;

import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * Writes a decoded image, or a {@link Crop} of it, as a model input: stretched to {@code size x
 * size} by bilinear interpolation and mapped by a {@link Preprocessing}, in one pass, as {@code
 * size * size * 3} floats in HWC order (row by row, each pixel's three channels together), the
 * layout of a {@code [batch, size, size, 3]} tensor. A crop is sampled straight from the decoded
 * pixels, at its fractional box, so the crops of a test-time augmentation go into the batch rows
 * without an intermediate image each.
 *
 * <p>The interpolation runs on the 8-bit values and the preprocessing follows as one multiply-add.
 * Both are linear, so this equals TensorFlow's order (normalise, then resize) up to float rounding.
 * Checked against TF Java 1.1's {@code ResizeBilinear} on random images (2x2 to 500x375, to 1 to
 * 299 pixels square): with {@link Preprocessing#RAW} the output is bit-identical in both modes;
 * with {@link Preprocessing#UNIT} against divide-then-resize, within 2.4e-7. Crops are checked
 * against {@code CropAndResize} on the boxes of every {@link dev.fovea.topology.crops.CropScheme};
 * see {@code InputWriterCropTensorFlowTest} for how close.
 *
 * <p>Stateless and thread-safe.
 */
public final class InputWriter {

    private InputWriter() {}

    /** The number of floats one image takes: {@code size * size * 3}. */
    public static int inputLength(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be positive, got " + size);
        }
        return Math.multiplyExact(Math.multiplyExact(size, size), 3);
    }

    /**
     * Writes the whole image as {@link #inputLength(int)} floats at {@code dst}'s position and
     * advances it past them.
     *
     * @throws IllegalArgumentException if fewer floats than that remain; nothing is written then
     */
    public static void write(
            DecodedImage image,
            int size,
            Preprocessing preprocessing,
            ResizeMode mode,
            FloatBuffer dst) {
        write(image, whole(image), size, preprocessing, mode, dst);
    }

    /**
     * Writes the whole image as {@link #inputLength(int)} floats into {@code dst} from index {@code
     * offset} on.
     *
     * @throws IndexOutOfBoundsException if they do not fit; nothing is written then
     */
    public static void write(
            DecodedImage image,
            int size,
            Preprocessing preprocessing,
            ResizeMode mode,
            float[] dst,
            int offset) {
        write(image, whole(image), size, preprocessing, mode, dst, offset);
    }

    /**
     * Writes {@code crop} of the image as {@link #inputLength(int)} floats at {@code dst}'s
     * position and advances it past them. Where the box reaches past the image, the edge pixels
     * repeat.
     *
     * @throws IllegalArgumentException if fewer floats than that remain; nothing is written then
     */
    public static void write(
            DecodedImage image,
            Crop crop,
            int size,
            Preprocessing preprocessing,
            ResizeMode mode,
            FloatBuffer dst) {
        int length = inputLength(size);
        if (dst.remaining() < length) {
            throw new IllegalArgumentException(
                    "destination has "
                            + dst.remaining()
                            + " floats remaining, the input needs "
                            + length);
        }
        if (dst.hasArray()) {
            write(
                    image,
                    crop,
                    size,
                    preprocessing,
                    mode,
                    dst.array(),
                    dst.arrayOffset() + dst.position());
            dst.position(dst.position() + length);
            return;
        }
        // Direct memory (a tensor's buffer) is filled a row at a time from a small scratch
        // array: a bulk put is one memory copy, per-value puts a bounds check each.
        Resampler resampler = new Resampler(image, crop, size, preprocessing, mode);
        float[] row = new float[size * 3];
        for (int y = 0; y < size; y++) {
            resampler.writeRow(y, row, 0);
            dst.put(row);
        }
    }

    /**
     * Writes {@code crop} of the image as {@link #inputLength(int)} floats into {@code dst} from
     * index {@code offset} on. Where the box reaches past the image, the edge pixels repeat.
     *
     * @throws IndexOutOfBoundsException if they do not fit; nothing is written then
     */
    public static void write(
            DecodedImage image,
            Crop crop,
            int size,
            Preprocessing preprocessing,
            ResizeMode mode,
            float[] dst,
            int offset) {
        int length = inputLength(size);
        Objects.checkFromIndexSize(offset, length, dst.length);
        Resampler resampler = new Resampler(image, crop, size, preprocessing, mode);
        for (int y = 0; y < size; y++) {
            resampler.writeRow(y, dst, offset + y * size * 3);
        }
    }

    private static Crop whole(DecodedImage image) {
        return Crop.whole(image.width(), image.height());
    }

    /** One resize of one crop: the sampling tables of both axes and the preprocessing constants. */
    private static final class Resampler {
        private final byte[] rgb;
        private final AxisSampling columns;
        private final AxisSampling rows;
        // Where output channel c reads within an input pixel, and its affine map.
        private final int source0;
        private final int source1;
        private final int source2;
        private final float scale0;
        private final float scale1;
        private final float scale2;
        private final float offset0;
        private final float offset1;
        private final float offset2;

        Resampler(
                DecodedImage image,
                Crop crop,
                int size,
                Preprocessing preprocessing,
                ResizeMode mode) {
            rgb = image.rgb();
            // Mirroring left-right is only a reversed column table.
            columns =
                    new AxisSampling(
                            mode, image.width(), crop.x(), crop.width(), crop.mirrored(), size, 3);
            rows =
                    new AxisSampling(
                            mode,
                            image.height(),
                            crop.y(),
                            crop.height(),
                            false,
                            size,
                            image.width() * 3);
            source0 = preprocessing.sourceChannel(0);
            source1 = preprocessing.sourceChannel(1);
            source2 = preprocessing.sourceChannel(2);
            scale0 = preprocessing.scale(0);
            scale1 = preprocessing.scale(1);
            scale2 = preprocessing.scale(2);
            offset0 = preprocessing.offset(0);
            offset1 = preprocessing.offset(1);
            offset2 = preprocessing.offset(2);
        }

        /**
         * Writes output row {@code y}, {@code size * 3} floats, into {@code out} from {@code at}.
         */
        void writeRow(int y, float[] out, int at) {
            int top = rows.lower[y];
            int bottom = rows.upper[y];
            float ty = rows.weight[y];
            int[] left = columns.lower;
            int[] right = columns.upper;
            float[] tx = columns.weight;
            for (int x = 0; x < left.length; x++, at += 3) {
                int topLeft = top + left[x];
                int topRight = top + right[x];
                int bottomLeft = bottom + left[x];
                int bottomRight = bottom + right[x];
                out[at] =
                        bilinear(source0, topLeft, topRight, bottomLeft, bottomRight, tx[x], ty)
                                        * scale0
                                + offset0;
                out[at + 1] =
                        bilinear(source1, topLeft, topRight, bottomLeft, bottomRight, tx[x], ty)
                                        * scale1
                                + offset1;
                out[at + 2] =
                        bilinear(source2, topLeft, topRight, bottomLeft, bottomRight, tx[x], ty)
                                        * scale2
                                + offset2;
            }
        }

        /** TensorFlow's {@code compute_lerp}, on channel {@code c} of the four neighbours. */
        private float bilinear(
                int c,
                int topLeft,
                int topRight,
                int bottomLeft,
                int bottomRight,
                float tx,
                float ty) {
            float tl = rgb[topLeft + c] & 0xFF;
            float tr = rgb[topRight + c] & 0xFF;
            float bl = rgb[bottomLeft + c] & 0xFF;
            float br = rgb[bottomRight + c] & 0xFF;
            float top = tl + (tr - tl) * tx;
            float bottom = bl + (br - bl) * tx;
            return top + (bottom - top) * ty;
        }
    }
}
