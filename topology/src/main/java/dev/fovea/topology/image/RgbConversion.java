package dev.fovea.topology.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;

/**
 * Copies any {@link BufferedImage} into interleaved 8-bit RGB.
 *
 * <p>The common layouts that ImageIO's readers produce are read straight from the raster's backing
 * array, which is several times faster than {@link BufferedImage#getRGB} (a virtual call and a
 * colour-model conversion per pixel):
 *
 * <ul>
 *   <li>8-bit component layouts: TYPE_3BYTE_BGR (JPEG, BMP, PNG), TYPE_4BYTE_ABGR and the custom
 *       RGB/RGBA orders of PNG, TYPE_BYTE_GRAY;
 *   <li>packed ints with 8-bit channels: TYPE_INT_RGB, TYPE_INT_ARGB, TYPE_INT_BGR;
 *   <li>other byte or short component layouts (16-bit PNG), a row at a time, scaled to 8 bits.
 * </ul>
 *
 * Everything else (palettes, packed 16-bit, premultiplied alpha) goes through {@code getRGB}.
 *
 * <p>Deliberate departures from what Java2D would do:
 *
 * <ul>
 *   <li><b>Alpha is dropped</b>, not composited: the stored colour is kept as is. This is what
 *       {@code tf.io.decode_png(channels=3)}, PIL's {@code convert("RGB")} and therefore Keras'
 *       {@code load_img} do, so the models see transparent images as they saw them in training.
 *   <li><b>Gray is replicated</b> into R=G=B unchanged. Java2D labels TYPE_BYTE_GRAY as linear gray
 *       and {@code getRGB} brightens it to sRGB (gray 100 becomes 170), but gray samples in JPEG
 *       and PNG files are gamma-encoded already; replication is what TensorFlow and PIL do.
 *   <li><b>RGB samples are taken as they are</b>, whatever RGB colour space the image declares,
 *       again like TensorFlow and PIL. (The JDK's JPEG reader has already applied an embedded ICC
 *       profile by then; that one conversion stays.)
 * </ul>
 */
final class RgbConversion {

    private RgbConversion() {}

    static byte[] toRgb(BufferedImage image) {
        ColorModel colorModel = image.getColorModel();
        Raster raster = image.getRaster();
        DataBuffer buffer = raster.getDataBuffer();

        if (colorModel instanceof ComponentColorModel && !colorModel.isAlphaPremultiplied()) {
            boolean gray = colorModel.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
            if (gray || colorModel.getColorSpace().getType() == ColorSpace.TYPE_RGB) {
                if (buffer instanceof DataBufferByte bytes
                        && raster.getSampleModel() instanceof ComponentSampleModel layout
                        && hasEightBitColour(colorModel)) {
                    return fromByteComponents(raster, bytes, layout, gray);
                }
                if (buffer.getDataType() == DataBuffer.TYPE_BYTE
                        || buffer.getDataType() == DataBuffer.TYPE_USHORT) {
                    return fromComponentSamples(raster, colorModel, gray);
                }
            }
        }
        if (colorModel instanceof DirectColorModel
                && !colorModel.isAlphaPremultiplied()
                && buffer instanceof DataBufferInt ints
                && raster.getSampleModel() instanceof SinglePixelPackedSampleModel layout
                && hasEightBitColour(colorModel)) {
            return fromPackedInts(raster, ints, layout);
        }
        return fromArgb(image);
    }

    /**
     * One or more banks of byte samples, addressed as {@code bankOffset + y * scanlineStride + x *
     * pixelStride + bandOffset}. Gray reads band 0 for all three outputs.
     */
    private static byte[] fromByteComponents(
            Raster raster, DataBufferByte buffer, ComponentSampleModel layout, boolean gray) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        int pixelStride = layout.getPixelStride();
        int scanlineStride = layout.getScanlineStride();
        // Where this raster's (0, 0) lies in the sample model; non-zero only for child rasters.
        int origin =
                -raster.getSampleModelTranslateY() * scanlineStride
                        - raster.getSampleModelTranslateX() * pixelStride;

        int greenBand = gray ? 0 : 1;
        int blueBand = gray ? 0 : 2;
        byte[] red = buffer.getData(layout.getBankIndices()[0]);
        byte[] green = buffer.getData(layout.getBankIndices()[greenBand]);
        byte[] blue = buffer.getData(layout.getBankIndices()[blueBand]);
        int redBase = firstSampleIndex(buffer, layout, 0) + origin;
        int greenBase = firstSampleIndex(buffer, layout, greenBand) + origin;
        int blueBase = firstSampleIndex(buffer, layout, blueBand) + origin;

        byte[] rgb = new byte[width * height * 3];
        int out = 0;
        for (int y = 0; y < height; y++) {
            int pixel = y * scanlineStride;
            for (int x = 0; x < width; x++, pixel += pixelStride) {
                rgb[out++] = red[redBase + pixel];
                rgb[out++] = green[greenBase + pixel];
                rgb[out++] = blue[blueBase + pixel];
            }
        }
        return rgb;
    }

    /** Where the sample model's pixel (0, 0) keeps {@code band}, within that band's bank. */
    private static int firstSampleIndex(
            DataBufferByte buffer, ComponentSampleModel layout, int band) {
        return buffer.getOffsets()[layout.getBankIndices()[band]] + layout.getBandOffsets()[band];
    }

    /**
     * Byte or short components of any bit depth (16-bit PNG), a row at a time, rescaled to 8 bits.
     */
    private static byte[] fromComponentSamples(Raster raster, ColorModel colorModel, boolean gray) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        int bands = raster.getNumBands();
        int[] maxValue = new int[3];
        int[] band = new int[3];
        for (int channel = 0; channel < 3; channel++) {
            band[channel] = gray ? 0 : channel;
            maxValue[channel] = (1 << colorModel.getComponentSize(band[channel])) - 1;
        }

        byte[] rgb = new byte[width * height * 3];
        int[] row = new int[width * bands];
        int out = 0;
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0; x < width; x++) {
                for (int channel = 0; channel < 3; channel++) {
                    int sample = row[x * bands + band[channel]];
                    int max = maxValue[channel];
                    // Rounded rescale (fits an int for up to 16 bits): 16-bit 257*v maps back to v.
                    rgb[out++] = (byte) ((sample * 255 + max / 2) / max);
                }
            }
        }
        return rgb;
    }

    private static byte[] fromPackedInts(
            Raster raster, DataBufferInt buffer, SinglePixelPackedSampleModel layout) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        int scanlineStride = layout.getScanlineStride();
        int[] data = buffer.getData();
        int base =
                buffer.getOffset()
                        - raster.getSampleModelTranslateY() * scanlineStride
                        - raster.getSampleModelTranslateX();
        // Bands of a DirectColorModel raster are red, green, blue (, alpha), whatever the masks.
        int redShift = layout.getBitOffsets()[0];
        int greenShift = layout.getBitOffsets()[1];
        int blueShift = layout.getBitOffsets()[2];

        byte[] rgb = new byte[width * height * 3];
        int out = 0;
        for (int y = 0; y < height; y++) {
            int pixel = base + y * scanlineStride;
            for (int x = 0; x < width; x++) {
                int value = data[pixel + x];
                rgb[out++] = (byte) (value >>> redShift);
                rgb[out++] = (byte) (value >>> greenShift);
                rgb[out++] = (byte) (value >>> blueShift);
            }
        }
        return rgb;
    }

    /** The slow, universal path: non-premultiplied sRGB through the image's colour model. */
    private static byte[] fromArgb(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] rgb = new byte[width * height * 3];
        int[] row = new int[width];
        int out = 0;
        for (int y = 0; y < height; y++) {
            image.getRGB(0, y, width, 1, row, 0, width);
            for (int argb : row) {
                rgb[out++] = (byte) (argb >>> 16);
                rgb[out++] = (byte) (argb >>> 8);
                rgb[out++] = (byte) argb;
            }
        }
        return rgb;
    }

    private static boolean hasEightBitColour(ColorModel colorModel) {
        int colourComponents = colorModel.getNumColorComponents();
        for (int component = 0; component < colourComponents; component++) {
            if (colorModel.getComponentSize(component) != 8) {
                return false;
            }
        }
        return true;
    }
}
