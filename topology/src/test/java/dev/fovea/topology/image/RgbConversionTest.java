package dev.fovea.topology.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.image.BufferedImage;
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

    @Test
    void shouldDropAlphaOfPackedAndComponentLayouts() {
        for (int imageType :
                new int[] {BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_4BYTE_ABGR}) {
            BufferedImage image = new BufferedImage(2, 1, imageType);
            image.setRGB(0, 0, 0x00_123456);
            image.setRGB(1, 0, 0x7F_ABCDEF);

            assertArrayEquals(
                    new byte[] {0x12, 0x34, 0x56, (byte) 0xAB, (byte) 0xCD, (byte) 0xEF},
                    RgbConversion.toRgb(image),
                    "image type " + imageType);
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
