package dev.fovea.workers.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Resizing checked against values worked out by hand from the formulas in {@link ResizeMode}. Most
 * tests use {@link Preprocessing#RAW} so expected values read as pixel values, and an image whose
 * red, green and blue are related (green = red + 1, blue = 255 - red) so channel mix-ups show.
 */
class InputWriterTest {

    /** 2x2, red: 0 30 / 60 90. */
    private static final DecodedImage TWO_BY_TWO = grayish(2, 2, 0, 30, 60, 90);

    /** 4x4, red = 40 * y + 10 * x. */
    private static final DecodedImage FOUR_BY_FOUR =
            grayish(4, 4, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150);

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldUpsampleTwoByTwoToThreeByThreeWithMidpoints(ResizeMode mode) {
        // Both modes sample the same positions here.
        // Half-pixel: scale 2/3, src = (i + 0.5) * 2/3 - 0.5 = -1/6, 1/2, 7/6
        //   -> i=0 clamps to index 0, i=1 is halfway between 0 and 1, i=2 clamps to index 1.
        // Align corners: scale (2-1)/(3-1) = 1/2, src = 0, 1/2, 1.
        // Red rows: 0 15 30 / 30 45 60 / 60 75 90
        assertRed(new float[] {0, 15, 30, 30, 45, 60, 60, 75, 90}, resize(TWO_BY_TWO, 3, mode));
    }

    @Test
    void shouldUpsampleTwoByTwoToFourByFourWithHalfPixelCentres() {
        // scale 1/2, src = (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25
        //   -> weights of the second pixel: clamp to first, 0.25, 0.75, clamp to second.
        // Top row 0..30: 0, 7.5, 22.5, 30; bottom row 60..90: 60, 67.5, 82.5, 90.
        // Rows between at 0.25 and 0.75 of the way down (+15 and +45).
        assertRed(
                new float[] {
                    0, 7.5f, 22.5f, 30,
                    15, 22.5f, 37.5f, 45,
                    45, 52.5f, 67.5f, 75,
                    60, 67.5f, 82.5f, 90
                },
                resize(TWO_BY_TWO, 4, ResizeMode.HALF_PIXEL));
    }

    @Test
    void shouldUpsampleTwoByTwoToFourByFourWithAlignedCorners() {
        // scale (2-1)/(4-1) = 1/3, src = 0, 1/3, 2/3, 1: thirds, corners kept.
        // Top row 0..30: 0, 10, 20, 30; each row down adds a third of 60.
        assertRed(
                new float[] {
                    0, 10, 20, 30,
                    20, 30, 40, 50,
                    40, 50, 60, 70,
                    60, 70, 80, 90
                },
                resize(TWO_BY_TWO, 4, ResizeMode.ALIGN_CORNERS));
    }

    @Test
    void shouldDownsampleFourByFourToTwoByTwoAsBlockMeansWithHalfPixelCentres() {
        // scale 2, src = (i + 0.5) * 2 - 0.5 = 0.5, 2.5: halfway between 0 and 1, and 2 and 3,
        // on both axes, so each output is the mean of a 2x2 block:
        // (0+10+40+50)/4 = 25, (20+30+60+70)/4 = 45, (80+90+120+130)/4 = 105, (100+110+140+150)/4 =
        // 125
        assertRed(new float[] {25, 45, 105, 125}, resize(FOUR_BY_FOUR, 2, ResizeMode.HALF_PIXEL));
    }

    @Test
    void shouldDownsampleFourByFourToTwoByTwoAsCornersWithAlignedCorners() {
        // scale (4-1)/(2-1) = 3, src = 0, 3: the four corner pixels exactly.
        assertRed(new float[] {0, 30, 120, 150}, resize(FOUR_BY_FOUR, 2, ResizeMode.ALIGN_CORNERS));
    }

    @Test
    void shouldStretchANonSquareImageAlongEachAxisSeparately() {
        // 4 wide, 2 high -> 2x2, half-pixel: columns average pairs (scale 2), rows map 1:1 (scale
        // 1).
        DecodedImage wide = grayish(4, 2, 0, 10, 20, 30, 100, 110, 120, 130);

        assertRed(new float[] {5, 25, 105, 125}, resize(wide, 2, ResizeMode.HALF_PIXEL));
    }

    @Test
    void shouldSampleTheCentreForASinglePixelWithHalfPixelCentres() {
        // scale 2, src = 0.5 * 2 - 0.5 = 0.5 on both axes: the mean of all four, (0+30+60+90)/4.
        assertRed(new float[] {45}, resize(TWO_BY_TWO, 1, ResizeMode.HALF_PIXEL));
    }

    @Test
    void shouldSampleTheTopLeftForASinglePixelWithAlignedCornersAsTensorFlowDoes() {
        // TensorFlow uses scale = in / out when out == 1, and src = 0 * scale = 0.
        assertRed(new float[] {0}, resize(TWO_BY_TWO, 1, ResizeMode.ALIGN_CORNERS));
    }

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldCopyPixelsExactlyWhenTheSizeAlreadyMatches(ResizeMode mode) {
        byte[] rgb = new byte[7 * 7 * 3];
        new Random(11).nextBytes(rgb);
        DecodedImage image = new DecodedImage(7, 7, rgb, ImageFormat.PNG);

        float[] out = resize(image, 7, mode);

        for (int i = 0; i < rgb.length; i++) {
            assertEquals(rgb[i] & 0xFF, out[i], "value " + i);
        }
    }

    @Test
    void shouldPreprocessAfterResizingInTheSamePass() {
        // Half-pixel 2x2 -> 1x1 gives the mean pixel: red 45, green 46, blue 210.
        // CAFFE then emits B, G, R minus the BGR means.
        float[] out = new float[3];
        InputWriter.write(TWO_BY_TWO, 1, Preprocessing.CAFFE, ResizeMode.HALF_PIXEL, out, 0);

        assertArrayEquals(new float[] {210 - 103.939f, 46 - 116.779f, 45 - 123.68f}, out, 1e-4f);
    }

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldStayWithinTheInputRangeAndIndicesForAnySizes(ResizeMode mode) {
        // Interpolation is convex: every output lies between the darkest and brightest input.
        Random random = new Random(5);
        for (int width = 1; width <= 13; width++) {
            for (int height = 1; height <= 13; height += 3) {
                byte[] rgb = new byte[width * height * 3];
                for (int i = 0; i < rgb.length; i++) {
                    rgb[i] = (byte) (50 + random.nextInt(101));
                }
                DecodedImage image = new DecodedImage(width, height, rgb, ImageFormat.PNG);
                for (int size = 1; size <= 17; size++) {
                    for (float value : resize(image, size, mode)) {
                        assertTrue(
                                value >= 50 && value <= 150,
                                width + "x" + height + " -> " + size + ": " + value);
                    }
                }
            }
        }
    }

    @Test
    void shouldWriteAtTheBufferPositionAndAdvanceIt() {
        FloatBuffer buffer = FloatBuffer.allocate(5 + 27 + 4);
        fillWithNaN(buffer);
        buffer.position(5);

        InputWriter.write(TWO_BY_TWO, 3, Preprocessing.RAW, ResizeMode.HALF_PIXEL, buffer);

        assertEquals(5 + 27, buffer.position());
        float[] all = buffer.array();
        assertAllNaN(Arrays.copyOfRange(all, 0, 5));
        assertArrayEquals(
                resize(TWO_BY_TWO, 3, ResizeMode.HALF_PIXEL), Arrays.copyOfRange(all, 5, 32));
        assertAllNaN(Arrays.copyOfRange(all, 32, 36));
    }

    @Test
    void shouldWriteIntoADirectBufferTheSameValues() {
        FloatBuffer direct =
                ByteBuffer.allocateDirect(4 * (2 + 48 + 2))
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        assertFalse(direct.hasArray());
        fillWithNaN(direct);
        direct.position(2);

        InputWriter.write(TWO_BY_TWO, 4, Preprocessing.UNIT, ResizeMode.ALIGN_CORNERS, direct);

        assertEquals(2 + 48, direct.position());
        float[] all = new float[direct.capacity()];
        direct.get(0, all);
        float[] expected = new float[48];
        InputWriter.write(TWO_BY_TWO, 4, Preprocessing.UNIT, ResizeMode.ALIGN_CORNERS, expected, 0);
        assertArrayEquals(expected, Arrays.copyOfRange(all, 2, 50));
        assertAllNaN(new float[] {all[0], all[1], all[50], all[51]});
    }

    @Test
    void shouldHonourTheArrayOffsetOfASlicedHeapBuffer() {
        float[] backing = new float[4 + 12 + 1];
        Arrays.fill(backing, Float.NaN);
        FloatBuffer slice = FloatBuffer.wrap(backing).position(4).slice();

        InputWriter.write(TWO_BY_TWO, 2, Preprocessing.RAW, ResizeMode.ALIGN_CORNERS, slice);

        assertEquals(12, slice.position());
        assertAllNaN(Arrays.copyOfRange(backing, 0, 4));
        // Aligned corners at the same size: the image itself.
        assertArrayEquals(
                new float[] {0, 1, 255, 30, 31, 225, 60, 61, 195, 90, 91, 165},
                Arrays.copyOfRange(backing, 4, 16));
        assertTrue(Float.isNaN(backing[16]));
    }

    @Test
    void shouldWriteIntoAnArrayAtAnOffsetOnly() {
        float[] out = new float[3 + 27 + 3];
        Arrays.fill(out, Float.NaN);

        InputWriter.write(TWO_BY_TWO, 3, Preprocessing.RAW, ResizeMode.HALF_PIXEL, out, 3);

        assertAllNaN(Arrays.copyOfRange(out, 0, 3));
        assertArrayEquals(
                resize(TWO_BY_TWO, 3, ResizeMode.HALF_PIXEL), Arrays.copyOfRange(out, 3, 30));
        assertAllNaN(Arrays.copyOfRange(out, 30, 33));
    }

    @Test
    void shouldRefuseABufferTooSmallWithoutWritingOrMoving() {
        FloatBuffer buffer = FloatBuffer.allocate(30);
        fillWithNaN(buffer);
        buffer.position(4);

        assertThrows(
                IllegalArgumentException.class,
                () ->
                        InputWriter.write(
                                TWO_BY_TWO, 3, Preprocessing.RAW, ResizeMode.HALF_PIXEL, buffer));

        assertEquals(4, buffer.position());
        assertAllNaN(buffer.array());
    }

    @Test
    void shouldRefuseAnArrayTooSmallWithoutWriting() {
        float[] out = new float[30];
        Arrays.fill(out, Float.NaN);

        assertThrows(
                IndexOutOfBoundsException.class,
                () ->
                        InputWriter.write(
                                TWO_BY_TWO, 3, Preprocessing.RAW, ResizeMode.HALF_PIXEL, out, 4));

        assertAllNaN(out);
    }

    @Test
    void shouldRefuseANonPositiveSize() {
        assertThrows(IllegalArgumentException.class, () -> InputWriter.inputLength(0));
        assertEquals(299 * 299 * 3, InputWriter.inputLength(299));
    }

    @Test
    void shouldParseResizeModesFromTheirIds() {
        assertEquals(ResizeMode.ALIGN_CORNERS, ResizeMode.parse("align_corners"));
        assertEquals(ResizeMode.HALF_PIXEL, ResizeMode.parse(" HALF_PIXEL "));
        IllegalArgumentException error =
                assertThrows(IllegalArgumentException.class, () -> ResizeMode.parse("nearest"));
        assertEquals(
                "unknown resize mode 'nearest'; valid: half_pixel, align_corners",
                error.getMessage());
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

    private static float[] resize(DecodedImage image, int size, ResizeMode mode) {
        float[] out = new float[InputWriter.inputLength(size)];
        InputWriter.write(image, size, Preprocessing.RAW, mode, out, 0);
        return out;
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

    private static void fillWithNaN(FloatBuffer buffer) {
        while (buffer.hasRemaining()) {
            buffer.put(Float.NaN);
        }
        buffer.clear();
    }

    private static void assertAllNaN(float[] values) {
        for (float value : values) {
            assertTrue(Float.isNaN(value), "expected untouched (NaN), got " + value);
        }
    }
}
