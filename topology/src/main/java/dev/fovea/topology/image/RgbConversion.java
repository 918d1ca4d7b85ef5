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
 *       RGB/RGBA orders of PNG, TYPE_BYTE_GRAY and gray with alpha;
 *   <li>packed ints with 8-bit channels: TYPE_INT_RGB, TYPE_INT_ARGB, TYPE_INT_BGR;
 *   <li>other byte or short component layouts (16-bit PNG), a row at a time, scaled to 8 bits.
 * </ul>
 *
 * Everything else (palettes, packed 16-bit, premultiplied alpha) goes through {@code getRGB}. CMYK,
 * which only the JPEG reader produces and whose samples need knowledge of the file, has its own
 * entry point, {@link #fromJdkCmyk}.
 *
 * <p>Deliberate departures from what Java2D would do:
 *
 * <ul>
 *   <li><b>Alpha is composited over white</b>, see {@link #overWhite}.
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
                        && hasEightBitComponents(colorModel)) {
                    return fromByteComponents(raster, bytes, layout, gray, colorModel.hasAlpha());
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
                && hasEightBitComponents(colorModel)) {
            return fromPackedInts(raster, ints, layout, colorModel.hasAlpha());
        }
        return fromArgb(image);
    }

    /**
     * The RGB of a CMYK image from the JDK's JPEG reader, as PIL's {@code convert("RGB")} computes
     * it: {@code R = (255 - C) * (255 - K) / 255}, and likewise G from M and B from Y. An embedded
     * CMYK colour profile is not applied, as PIL does not apply it either.
     *
     * <p>The JDK reader reports {@code 255 - stored} for every CMYK or YCCK file. That is right for
     * the files Photoshop writes, with an Adobe APP14 segment and inverted samples, but inverts the
     * ink of files without that segment, which store plain CMYK; browsers (Chrome, Firefox),
     * libjpeg-turbo's tools and PIL decide by the segment, and so does this.
     *
     * @param adobeInverted whether the file has an Adobe APP14 segment
     */
    static byte[] fromJdkCmyk(BufferedImage image, boolean adobeInverted) {
        Raster raster = image.getRaster();
        int width = raster.getWidth();
        int height = raster.getHeight();
        byte[] rgb = new byte[width * height * 3];
        int[] row = new int[width * 4];
        int out = 0;
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int i = x * 4;
                // What remains of white under each ink, 255 for no ink.
                int key = inkless(row[i + 3], adobeInverted);
                rgb[out++] = (byte) ((inkless(row[i], adobeInverted) * key + 127) / 255);
                rgb[out++] = (byte) ((inkless(row[i + 1], adobeInverted) * key + 127) / 255);
                rgb[out++] = (byte) ((inkless(row[i + 2], adobeInverted) * key + 127) / 255);
            }
        }
        return rgb;
    }

    /** {@code 255 - ink}, from a sample the JDK reader reported as {@code 255 - stored}. */
    private static int inkless(int jdkSample, boolean adobeInverted) {
        int sample = jdkSample & 0xFF;
        return adobeInverted ? 255 - sample : sample;
    }

    /**
     * Composites an 8-bit colour over white. Transparent pixels must be composited: their stored
     * colour is invisible to anyone looking at the image, often garbage left by an editor, and a
     * producer could hide content there for the model alone to see. White, because transparent
     * images are made to be shown on pages, which are mostly white: a dark logo or a line drawing
     * on a transparent background stays visible, where black would swallow it.
     */
    static int overWhite(int colour, int alpha) {
        // (255 - colour) * alpha / 255, rounded, by the exact shift form of a division by 255.
        int covered = (255 - colour) * alpha + 128;
        return 255 - ((covered + (covered >> 8)) >> 8);
    }

    /**
     * One or more banks of byte samples, addressed as {@code bankOffset + y * scanlineStride + x *
     * pixelStride + bandOffset}. Gray reads band 0 for all three outputs; alpha, if any, is the
     * band after the colour bands.
     */
    private static byte[] fromByteComponents(
            Raster raster,
            DataBufferByte buffer,
            ComponentSampleModel layout,
            boolean gray,
            boolean hasAlpha) {
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
        int alphaBand = gray ? 1 : 3;
        byte[] red = buffer.getData(layout.getBankIndices()[0]);
        byte[] green = buffer.getData(layout.getBankIndices()[greenBand]);
        byte[] blue = buffer.getData(layout.getBankIndices()[blueBand]);
        int redBase = firstSampleIndex(buffer, layout, 0) + origin;
        int greenBase = firstSampleIndex(buffer, layout, greenBand) + origin;
        int blueBase = firstSampleIndex(buffer, layout, blueBand) + origin;

        byte[] rgb = new byte[width * height * 3];
        int out = 0;
        if (hasAlpha) {
            byte[] alpha = buffer.getData(layout.getBankIndices()[alphaBand]);
            int alphaBase = firstSampleIndex(buffer, layout, alphaBand) + origin;
            for (int y = 0; y < height; y++) {
                int pixel = y * scanlineStride;
                for (int x = 0; x < width; x++, pixel += pixelStride) {
                    int a = alpha[alphaBase + pixel] & 0xFF;
                    if (a == 255) { // most pixels of most images with alpha
                        rgb[out++] = red[redBase + pixel];
                        rgb[out++] = green[greenBase + pixel];
                        rgb[out++] = blue[blueBase + pixel];
                    } else {
                        rgb[out++] = (byte) overWhite(red[redBase + pixel] & 0xFF, a);
                        rgb[out++] = (byte) overWhite(green[greenBase + pixel] & 0xFF, a);
                        rgb[out++] = (byte) overWhite(blue[blueBase + pixel] & 0xFF, a);
                    }
                }
            }
            return rgb;
        }
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
     * Byte or short components of any bit depth (16-bit PNG), a row at a time, rescaled to 8 bits;
     * with alpha, composited over white at full precision before the rescale.
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
        int alphaBand = colorModel.hasAlpha() ? colorModel.getNumColorComponents() : -1;
        long alphaMax = alphaBand < 0 ? 1 : (1L << colorModel.getComponentSize(alphaBand)) - 1;

        byte[] rgb = new byte[width * height * 3];
        int[] row = new int[width * bands];
        int out = 0;
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0; x < width; x++) {
                long alpha = alphaBand < 0 ? 1 : row[x * bands + alphaBand];
                for (int channel = 0; channel < 3; channel++) {
                    long sample = row[x * bands + band[channel]];
                    long max = maxValue[channel];
                    // sample/max * alpha/alphaMax + (1 - alpha/alphaMax), to 0-255, rounded; exact
                    // in a long for up to 16 bits. Opaque 16-bit 257*v maps back to v.
                    long scale = max * alphaMax;
                    long composited = sample * alpha + max * (alphaMax - alpha);
                    rgb[out++] = (byte) ((composited * 255 + scale / 2) / scale);
                }
            }
        }
        return rgb;
    }

    private static byte[] fromPackedInts(
            Raster raster,
            DataBufferInt buffer,
            SinglePixelPackedSampleModel layout,
            boolean hasAlpha) {
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
        int alphaShift = hasAlpha ? layout.getBitOffsets()[3] : 0;

        byte[] rgb = new byte[width * height * 3];
        int out = 0;
        for (int y = 0; y < height; y++) {
            int pixel = base + y * scanlineStride;
            for (int x = 0; x < width; x++) {
                int value = data[pixel + x];
                if (hasAlpha) {
                    int a = value >>> alphaShift & 0xFF;
                    rgb[out++] = (byte) overWhite(value >>> redShift & 0xFF, a);
                    rgb[out++] = (byte) overWhite(value >>> greenShift & 0xFF, a);
                    rgb[out++] = (byte) overWhite(value >>> blueShift & 0xFF, a);
                } else {
                    rgb[out++] = (byte) (value >>> redShift);
                    rgb[out++] = (byte) (value >>> greenShift);
                    rgb[out++] = (byte) (value >>> blueShift);
                }
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
                int a = argb >>> 24;
                rgb[out++] = (byte) overWhite(argb >>> 16 & 0xFF, a);
                rgb[out++] = (byte) overWhite(argb >>> 8 & 0xFF, a);
                rgb[out++] = (byte) overWhite(argb & 0xFF, a);
            }
        }
        return rgb;
    }

    /** Colour and alpha components alike: the fast paths read each as one byte. */
    private static boolean hasEightBitComponents(ColorModel colorModel) {
        for (int component = 0; component < colorModel.getNumComponents(); component++) {
            if (colorModel.getComponentSize(component) != 8) {
                return false;
            }
        }
        return true;
    }
}
