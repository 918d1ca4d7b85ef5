package dev.fovea.topology.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.util.Arrays;
import java.util.Random;

class RgbConversionTest {

    /**
     * For sRGB types Java2D's own {@code getRGB} is the reference: whichever path the conversion
     * takes (array fast path or fallback), it must agree on opaque pixels.
     */
    @ParameterizedTest
    @ValueSource(
            ints = {
                BufferedImage.TYPE_INT_RGB,
                BufferedImage.TYPE_INT_ARGB,
                BufferedImage.TYPE_INT_ARGB_PRE,
                BufferedImage.TYPE_INT_BGR,
                BufferedImage.TYPE_3BYTE_BGR,
                BufferedImage.TYPE_4BYTE_ABGR,
                BufferedImage.TYPE_4BYTE_ABGR_PRE,
                BufferedImage.TYPE_USHORT_565_RGB,
                BufferedImage.TYPE_USHORT_555_RGB,
                BufferedImage.TYPE_BYTE_INDEXED,
                BufferedImage.TYPE_BYTE_BINARY
            })
    void shouldAgreeWithGetRgbForEverySrgbImageType(int imageType) {
        BufferedImage image = randomOpaque(imageType, 37, 23);

        assertArrayEquals(rgbViaGetRgb(image), RgbConversion.toRgb(image));
    }

    /** A subimage shares its parent's array; its raster's origin is an offset into it. */
    @ParameterizedTest
    @ValueSource(
            ints = {
                BufferedImage.TYPE_3BYTE_BGR,
                BufferedImage.TYPE_4BYTE_ABGR,
                BufferedImage.TYPE_INT_RGB
            })
    void shouldReadSubimagesFromTheirOffsetInTheParent(int imageType) {
        BufferedImage child = randomOpaque(imageType, 40, 30).getSubimage(7, 5, 20, 11);

        assertArrayEquals(rgbViaGetRgb(child), RgbConversion.toRgb(child));
    }

    @Test
    void shouldReadGraySubimagesFromTheirOffsetInTheParent() {
        BufferedImage parent = new BufferedImage(40, 30, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                parent.getRaster().setSample(x, y, 0, x + 7 * y);
            }
        }

        byte[] rgb = RgbConversion.toRgb(parent.getSubimage(7, 5, 20, 11));

        for (int y = 0; y < 11; y++) {
            for (int x = 0; x < 20; x++) {
                int expected = (x + 7) + 7 * (y + 5);
                assertEquals(expected, rgb[(y * 20 + x) * 3] & 0xFF, "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void shouldReplicateEightBitGrayWithoutGammaConversion() {
        BufferedImage gray = new BufferedImage(256, 1, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 256; x++) {
            gray.getRaster().setSample(x, 0, 0, x);
        }

        byte[] rgb = RgbConversion.toRgb(gray);

        for (int x = 0; x < 256; x++) {
            assertEquals(x, rgb[x * 3] & 0xFF);
            assertEquals(x, rgb[x * 3 + 1] & 0xFF);
            assertEquals(x, rgb[x * 3 + 2] & 0xFF);
        }
        // What the conversion avoids: Java2D reads gray 100 as linear light and brightens it.
        gray.getRaster().setSample(0, 0, 0, 100);
        assertEquals(170, gray.getRGB(0, 0) & 0xFF, 2);
    }

    @Test
    void shouldRoundSixteenBitSamplesToTheNearestEightBitValue() {
        int[] samples = {0, 128, 129, 200, 257, 32767, 65279, 65534, 65535};
        int[] expected = {0, 0, 1, 1, 1, 127, 254, 255, 255};
        BufferedImage gray = new BufferedImage(samples.length, 1, BufferedImage.TYPE_USHORT_GRAY);
        gray.getRaster().setSamples(0, 0, samples.length, 1, 0, samples);

        byte[] rgb = RgbConversion.toRgb(gray);

        for (int i = 0; i < samples.length; i++) {
            assertEquals(expected[i], rgb[i * 3] & 0xFF, "sample " + samples[i]);
        }
    }

    @ParameterizedTest
    @ValueSource(
            ints = {
                BufferedImage.TYPE_INT_ARGB,
                BufferedImage.TYPE_4BYTE_ABGR,
                BufferedImage.TYPE_INT_ARGB_PRE,
                BufferedImage.TYPE_4BYTE_ABGR_PRE
            })
    void shouldCompositeAlphaOverWhiteInEveryLayout(int imageType) {
        BufferedImage image = new BufferedImage(3, 1, imageType);
        image.setRGB(0, 0, 0x00_123456);
        image.setRGB(1, 0, 0xFF_ABCDEF);
        image.setRGB(2, 0, 0x80_000000);

        byte[] rgb = RgbConversion.toRgb(image);

        assertArrayEquals(
                new byte[] {-1, -1, -1, (byte) 0xAB, (byte) 0xCD, (byte) 0xEF},
                Arrays.copyOf(rgb, 6),
                "image type " + imageType);
        // Half-transparent black is mid gray; premultiplied storage may round by one.
        for (int channel = 6; channel < 9; channel++) {
            assertEquals(127, rgb[channel] & 0xFF, 1, "image type " + imageType);
        }
    }

    @Test
    void shouldCompositeOverWhiteRoundedToTheNearestValue() {
        for (int colour = 0; colour < 256; colour++) {
            for (int alpha = 0; alpha < 256; alpha++) {
                double exact = colour * alpha / 255.0 + 255 * (1 - alpha / 255.0);
                assertEquals(
                        Math.round(exact),
                        RgbConversion.overWhite(colour, alpha),
                        "colour " + colour + " alpha " + alpha);
            }
        }
    }

    @Test
    void shouldConvertJdkCmykByTheAdobeConvention() {
        ColorModel cmyk =
                new ComponentColorModel(
                        new CmykSpace(), false, false, ColorModel.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cmyk.createCompatibleWritableRaster(2, 1);
        // As the JDK reader reports samples: 255 - stored.
        raster.setPixel(0, 0, new int[] {200, 50, 0, 30});
        raster.setPixel(1, 0, new int[] {0, 0, 0, 0});
        BufferedImage image = new BufferedImage(cmyk, raster, false, null);

        // Adobe: the reported samples are the inks. (255 - 200) * (255 - 30) / 255 = 48.5, ...
        assertArrayEquals(
                new int[] {49, 181, 225, 255, 255, 255},
                unsigned(RgbConversion.fromJdkCmyk(image, true)));
        // No Adobe segment: 255 - sample is the ink. 200 * 30 / 255 = 23.5, ...
        assertArrayEquals(
                new int[] {24, 6, 0, 0, 0, 0}, unsigned(RgbConversion.fromJdkCmyk(image, false)));
    }

    private static int[] unsigned(byte[] bytes) {
        int[] values = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            values[i] = bytes[i] & 0xFF;
        }
        return values;
    }

    /** Only a label: the conversion under test reads samples, never the colour space. */
    private static final class CmykSpace extends ColorSpace {
        CmykSpace() {
            super(TYPE_CMYK, 4);
        }

        @Override
        public float[] toRGB(float[] value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public float[] fromRGB(float[] value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public float[] toCIEXYZ(float[] value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public float[] fromCIEXYZ(float[] value) {
            throw new UnsupportedOperationException();
        }
    }

    private static BufferedImage randomOpaque(int imageType, int width, int height) {
        Random random = new Random(imageType);
        BufferedImage image = new BufferedImage(width, height, imageType);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, 0xFF000000 | random.nextInt(0x1000000));
            }
        }
        return image;
    }

    private static byte[] rgbViaGetRgb(BufferedImage image) {
        byte[] rgb = new byte[image.getWidth() * image.getHeight() * 3];
        int i = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int argb = image.getRGB(x, y);
                rgb[i++] = (byte) (argb >> 16);
                rgb[i++] = (byte) (argb >> 8);
                rgb[i++] = (byte) argb;
            }
        }
        return rgb;
    }
}
