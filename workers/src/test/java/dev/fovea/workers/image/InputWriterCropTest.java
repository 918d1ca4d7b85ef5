package dev.fovea.workers.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.crops.CropScheme;
import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.ImageFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * Writing a {@link Crop}, checked against the whole-image write and against values worked out by
 * hand from the box formulas in {@link ResizeMode}. Images are built as in {@link InputWriterTest}:
 * red given, green = red + 1, blue = 255 - red.
 */
class InputWriterCropTest {

    /** 2x2, red: 0 30 / 60 90. */
    private static final DecodedImage TWO_BY_TWO = grayish(2, 2, 0, 30, 60, 90);

    /** 4x4, red = 40 * y + 10 * x. */
    private static final DecodedImage FOUR_BY_FOUR =
            grayish(4, 4, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150);

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldWriteAWholeImageCropBitForBitAsTheWholeImageWrite(ResizeMode mode) {
        Random random = new Random(3);
        int[][] imageSizes = {{1, 1}, {1, 9}, {9, 1}, {2, 2}, {37, 23}, {500, 375}};
        for (int[] imageSize : imageSizes) {
            DecodedImage image = random(random, imageSize[0], imageSize[1]);
            Crop whole = Crop.whole(image.width(), image.height());
            for (int size : new int[] {1, 7, 224}) {
                for (Preprocessing preprocessing : Preprocessing.values()) {
                    float[] expected = new float[InputWriter.inputLength(size)];
                    InputWriter.write(image, size, preprocessing, mode, expected, 0);
                    float[] actual = new float[expected.length];
                    InputWriter.write(image, whole, size, preprocessing, mode, actual, 0);

                    assertArrayEquals(
                            expected,
                            actual,
                            image + " to " + size + " " + mode + " " + preprocessing);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldWriteAMirroredCropAsTheColumnReversalOfTheUnmirroredOne(ResizeMode mode) {
        DecodedImage image = random(new Random(7), 13, 9);
        int size = 6;
        for (Crop crop :
                new Crop[] {
                    new Crop(1.3, 2.1, 7.7, 5.2, false),
                    Crop.whole(13, 9),
                    new Crop(12.5, 0, 0.5, 9, false)
                }) {
            float[] plain = write(image, crop, size, mode);
            float[] mirrored = write(image, crop.mirror(), size, mode);

            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    for (int c = 0; c < 3; c++) {
                        assertEquals(
                                plain[(y * size + size - 1 - x) * 3 + c],
                                mirrored[(y * size + x) * 3 + c],
                                crop + " at row " + y + ", column " + x + ", channel " + c);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldCopyTheBoxedPixelsExactlyWhenTheSizeMatches(ResizeMode mode) {
        // Box (1, 1) to (3, 3) at size 2. Half-pixel: scale 2/2 = 1, src = 1 + (j + 0.5) - 0.5
        // = 1, 2. Align corners: scale (2-1)/(2-1) = 1, src = 1 + j = 1, 2. Pixels (1..2, 1..2).
        assertRed(new float[] {50, 60, 90, 100}, write(FOUR_BY_FOUR, box(1, 1, 2, 2), 2, mode));
    }

    @Test
    void shouldSampleBetweenPixelsForAFractionalBoxWithHalfPixelCentres() {
        // Box (0.5, 0.5) to (2.5, 2.5) at size 2: scale 1, src = 0.5 + j = 0.5, 1.5 on both
        // axes, so each output is the mean of a 2x2 block:
        // (0+10+40+50)/4 = 25, (10+20+50+60)/4 = 35, (40+50+80+90)/4 = 65, (50+60+90+100)/4 = 75.
        assertRed(
                new float[] {25, 35, 65, 75},
                write(FOUR_BY_FOUR, box(0.5, 0.5, 2, 2), 2, ResizeMode.HALF_PIXEL));
    }

    @Test
    void shouldSpanTheBoxsCornerPixelCentresWithAlignedCorners() {
        // Box (0.5, 0) to (3.5, 4) at size 3: across, scale (3-1)/(3-1) = 1, src = 0.5, 1.5, 2.5;
        // down, scale (4-1)/(3-1) = 1.5, src = 0, 1.5, 3.
        // Row 0: 5, 15, 25; row 1.5 adds 60; row 3 adds 120.
        assertRed(
                new float[] {5, 15, 25, 65, 75, 85, 125, 135, 145},
                write(FOUR_BY_FOUR, box(0.5, 0, 3, 4), 3, ResizeMode.ALIGN_CORNERS));
    }

    @Test
    void shouldAverageTheBoxForASinglePixelWithHalfPixelCentres() {
        // Box (2, 2) to (4, 4) at size 1: src = 2 + 0.5 * 2 - 0.5 = 2.5 on both axes:
        // (100+110+140+150)/4 = 125.
        assertRed(
                new float[] {125}, write(FOUR_BY_FOUR, box(2, 2, 2, 2), 1, ResizeMode.HALF_PIXEL));
    }

    @Test
    void shouldSampleTheBoxCornerForASinglePixelWithAlignedCornersAsTensorFlowDoes() {
        // TensorFlow's single-pixel fallback samples src = 0 * scale, here the box's x and y:
        // pixel (1, 2), red 40 * 2 + 10 = 90.
        assertRed(
                new float[] {90},
                write(FOUR_BY_FOUR, box(1, 2, 2, 2), 1, ResizeMode.ALIGN_CORNERS));
    }

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldRepeatTheEdgePixelsWhereTheBoxReachesPastTheImage(ResizeMode mode) {
        // A sub-pixel box in the bottom-right pixel, one on the image's far edge and one wholly
        // outside it all read pixel (1, 1) only: red 90.
        float[] ninety = new float[9];
        Arrays.fill(ninety, 90);
        assertRed(ninety, write(TWO_BY_TWO, box(1.75, 1.75, 0.25, 0.25), 3, mode));
        assertRed(ninety, write(TWO_BY_TWO, box(2, 2, 0.5, 0.5), 3, mode));
        assertRed(ninety, write(TWO_BY_TWO, box(40, 7, 3, 3), 3, mode));
        // A box around the whole image: the corners are the image's corners.
        float[] around = write(TWO_BY_TWO, box(-1, -1, 4, 4), 4, mode);
        assertEquals(0, around[0]);
        assertEquals(90, around[around.length - 3]);
    }

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldStayWithinTheInputRangeForEveryCropOfEverySchemeOfSmallImages(ResizeMode mode) {
        // Interpolation is convex: every output lies between the darkest and brightest input, and
        // an index outside the image would throw.
        Random random = new Random(5);
        for (int width = 1; width <= 9; width += 2) {
            for (int height = 1; height <= 9; height += 4) {
                byte[] rgb = new byte[width * height * 3];
                for (int i = 0; i < rgb.length; i++) {
                    rgb[i] = (byte) (50 + random.nextInt(101));
                }
                DecodedImage image = new DecodedImage(width, height, rgb, ImageFormat.PNG);
                for (CropScheme scheme : CropScheme.values()) {
                    for (Crop crop : scheme.crops(width, height)) {
                        for (int size : new int[] {1, 2, 5}) {
                            for (float value : write(image, crop, size, mode)) {
                                assertTrue(
                                        value >= 50 && value <= 150,
                                        image + " " + crop + " to " + size + ": " + value);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void shouldWriteACropIntoADirectBufferTheSameValuesAsIntoAnArray() {
        DecodedImage image = random(new Random(9), 31, 17);
        Crop crop = CropScheme.TEN_CROP.crops(31, 17).get(8);
        FloatBuffer direct =
                ByteBuffer.allocateDirect(4 * (1 + InputWriter.inputLength(5)))
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        direct.position(1);

        InputWriter.write(
                image, crop, 5, Preprocessing.INCEPTION, ResizeMode.ALIGN_CORNERS, direct);

        assertEquals(1 + InputWriter.inputLength(5), direct.position());
        float[] buffered = new float[InputWriter.inputLength(5)];
        direct.get(1, buffered);
        float[] expected = new float[buffered.length];
        InputWriter.write(
                image, crop, 5, Preprocessing.INCEPTION, ResizeMode.ALIGN_CORNERS, expected, 0);
        assertArrayEquals(expected, buffered);
    }

    @Test
    void shouldRefuseADestinationTooSmallForACrop() {
        Crop crop = box(0, 0, 1, 1);
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        InputWriter.write(
                                TWO_BY_TWO,
                                crop,
                                3,
                                Preprocessing.RAW,
                                ResizeMode.HALF_PIXEL,
                                FloatBuffer.allocate(26)));
        assertThrows(
                IndexOutOfBoundsException.class,
                () ->
                        InputWriter.write(
                                TWO_BY_TWO,
                                crop,
                                3,
                                Preprocessing.RAW,
                                ResizeMode.HALF_PIXEL,
                                new float[27],
                                1));
    }

    private static Crop box(double x, double y, double width, double height) {
        return new Crop(x, y, width, height, false);
    }

    private static float[] write(DecodedImage image, Crop crop, int size, ResizeMode mode) {
        float[] out = new float[InputWriter.inputLength(size)];
        InputWriter.write(image, crop, size, Preprocessing.RAW, mode, out, 0);
        return out;
    }

    private static DecodedImage random(Random random, int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        random.nextBytes(rgb);
        return new DecodedImage(width, height, rgb, ImageFormat.PNG);
    }

    /** An image from its red values, with green = red + 1 and blue = 255 - red. */
    private static DecodedImage grayish(int width, int height, int... reds) {
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < reds.length; i++) {
            rgb[i * 3] = (byte) reds[i];
            rgb[i * 3 + 1] = (byte) (reds[i] + 1);
            rgb[i * 3 + 2] = (byte) (255 - reds[i]);
        }
        return new DecodedImage(width, height, rgb, ImageFormat.PNG);
    }

    /** Checks red against {@code expectedRed}, and green and blue against the same relation. */
    private static void assertRed(float[] expectedRed, float[] out) {
        assertEquals(expectedRed.length * 3, out.length);
        for (int i = 0; i < expectedRed.length; i++) {
            assertEquals(expectedRed[i], out[i * 3], 1e-4f, "red of output pixel " + i);
            assertEquals(expectedRed[i] + 1, out[i * 3 + 1], 1e-4f, "green of output pixel " + i);
            assertEquals(255 - expectedRed[i], out[i * 3 + 2], 1e-4f, "blue of output pixel " + i);
        }
    }
}
