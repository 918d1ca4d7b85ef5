package dev.fovea.topology.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * A decoded image as 8-bit RGB: {@code rgb[(y * width + x) * 3 + c]} is channel {@code c} (0 red, 1
 * green, 2 blue) of the pixel at column {@code x}, row {@code y}, rows top to bottom.
 *
 * <p>The array is not copied, on the way in or out: images are large and pass through a few stages
 * per record, so callers treat it as read-only rather than paying for defensive copies. {@link
 * #equals} and {@link #hashCode} compare pixel contents, as a record's would if it held a value
 * type.
 *
 * @param format the container format the image was decoded from
 */
public record DecodedImage(int width, int height, byte[] rgb, ImageFormat format) {

    public DecodedImage {
        Objects.requireNonNull(rgb, "rgb");
        Objects.requireNonNull(format, "format");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException(
                    "dimensions must be positive, got " + width + "x" + height);
        }
        if (rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException(
                    "rgb must hold width*height*3 = "
                            + (long) width * height * 3
                            + " bytes, got "
                            + rgb.length);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DecodedImage that
                && width == that.width
                && height == that.height
                && format == that.format
                && Arrays.equals(rgb, that.rgb);
    }

    @Override
    public int hashCode() {
        return Objects.hash(width, height, format, Arrays.hashCode(rgb));
    }

    /** Dimensions and format only: the default would print an array identity, useless in a log. */
    @Override
    public String toString() {
        return "DecodedImage[" + width + "x" + height + " " + format + "]";
    }
}
