package dev.fovea.workers.image;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where output pixels sample the input in bilinear resizing. Models are sensitive to it: nsfwjs'
 * Inception v3 moves by up to 0.04 in probability between the two conventions, so use the one the
 * model was trained and exported with.
 *
 * <p>Both follow TensorFlow's {@code ResizeBilinear} kernel exactly, in float arithmetic, per axis
 * of input size {@code in} and output size {@code out}, for output index {@code i}:
 *
 * <pre>
 *   src   = sourceCoordinate(i)        (the two modes differ only here)
 *   lower = max(floor(src), 0)
 *   upper = min(ceil(src), in - 1)
 *   t     = src - floor(src)
 * </pre>
 *
 * and then, with {@code tx, ty} and the four neighbours from both axes:
 *
 * <pre>
 *   top    = topLeft    + (topRight    - topLeft)    * tx
 *   bottom = bottomLeft + (bottomRight - bottomLeft) * tx
 *   value  = top + (bottom - top) * ty
 * </pre>
 *
 * Neither mode antialiases: shrinking a large photo samples it, as TensorFlow does with {@code
 * antialias=False}.
 *
 * <p>A {@link dev.fovea.topology.crops.Crop} generalises {@code src} to a box {@code [x, x + w)} of
 * the axis in continuous pixel coordinates (the whole axis is {@code x = 0, w = in}, where the
 * formulas reduce to TensorFlow's bit for bit), and both indices are then clamped at both ends of
 * the axis, so that a box on or past the image's edge repeats the edge pixels.
 */
public enum ResizeMode {

    /**
     * Pixel centres at half-integer positions: {@code scale = in / out}, {@code src = (i + 0.5) *
     * scale - 0.5}; for a box, {@code scale = w / out}, {@code src = x + (i + 0.5) * scale - 0.5}.
     * TF2's {@code tf.image.resize(method="bilinear")} default, TF1 {@code
     * resize_bilinear(half_pixel_centers=True)}, PyTorch {@code interpolate(align_corners=False)}.
     */
    HALF_PIXEL("half_pixel") {
        @Override
        float sourceCoordinate(int i, float start, float scale) {
            return start + ((i + 0.5f) * scale - 0.5f);
        }

        @Override
        float scale(float length, int out) {
            return length / out;
        }
    },

    /**
     * Corner pixels of input and output coincide: {@code scale = (in - 1) / (out - 1)}, {@code src
     * = i * scale}. For a box, the output's corner pixels sit on the centres of the box's first and
     * last pixels, {@code x} and {@code x + w - 1} in pixel indices: {@code scale = (w - 1) / (out
     * - 1)}, {@code src = x + i * scale} (a box under one pixel wide thus runs backwards, as it
     * does in TensorFlow's {@code CropAndResize}). TF1 {@code resize_bilinear(align_corners=True)}
     * and TF.js {@code tf.image.resizeBilinear(x, size, true)}, which nsfwjs uses. For a single
     * output pixel TensorFlow falls back to {@code scale = in / out}, so it samples the top-left
     * input pixel; this mode does the same, and for a box samples {@code src = x}.
     */
    ALIGN_CORNERS("align_corners") {
        @Override
        float sourceCoordinate(int i, float start, float scale) {
            return start + i * scale;
        }

        @Override
        float scale(float length, int out) {
            return out > 1 ? (length - 1) / (out - 1) : length / out;
        }
    };

    private final String id;

    ResizeMode(String id) {
        this.id = id;
    }

    /** The name used in configuration, e.g. {@code "align_corners"}. */
    public String id() {
        return id;
    }

    /**
     * The input position, in pixel indices, that output index {@code i} samples in a box starting
     * at {@code start}, given {@link #scale}.
     */
    abstract float sourceCoordinate(int i, float start, float scale);

    /**
     * The ratio of input to output positions along one axis, for a box {@code length} pixels long
     * (the input size for the whole axis).
     */
    abstract float scale(float length, int out);

    /**
     * The mode with this {@link #id()}, ignoring case and surrounding blanks.
     *
     * @throws IllegalArgumentException naming the valid ids, for an unknown one
     */
    public static ResizeMode parse(String id) {
        String wanted = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (ResizeMode mode : values()) {
            if (mode.id.equals(wanted)) {
                return mode;
            }
        }
        throw new IllegalArgumentException(
                "unknown resize mode '" + id + "'; valid: " + String.join(", ", ids()));
    }

    /** Every id, in declaration order: what configuration accepts. */
    public static List<String> ids() {
        return Arrays.stream(values()).map(ResizeMode::id).toList();
    }
}
