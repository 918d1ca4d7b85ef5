package dev.fovea.topology.crops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

/**
 * Crop boxes checked against values worked out by hand from the papers' protocols, in the original
 * image's coordinates. {@code m} is the shorter side; a window of {@code 224} in an image whose
 * shorter side was scaled to {@code q} is {@code m * 224 / q} original pixels wide.
 */
class CropSchemeTest {

    /** Width by height: landscape, portrait, square, smaller than any input, degenerate, huge. */
    private static final int[][] IMAGE_SIZES = {
        {500, 375},
        {375, 500},
        {224, 224},
        {100, 80},
        {37, 23},
        {1, 1},
        {1, 1000},
        {1000, 1},
        {2, 3},
        {6000, 4000}
    };

    private static final double EPSILON = 1e-9;

    @ParameterizedTest
    @CsvSource({"RESIZE, 1", "CENTER, 1", "TEN_CROP, 10", "GOOGLENET_144, 144", "VGG_150, 150"})
    void shouldCutThePapersNumberOfCropsWhateverTheImageSize(CropScheme scheme, int expected) {
        assertEquals(expected, scheme.count());
        for (int[] size : IMAGE_SIZES) {
            assertEquals(
                    expected,
                    scheme.crops(size[0], size[1]).size(),
                    scheme + " of " + size[0] + "x" + size[1]);
        }
    }

    @ParameterizedTest
    @EnumSource(CropScheme.class)
    void shouldKeepEveryCropInsideTheImage(CropScheme scheme) {
        for (int[] size : IMAGE_SIZES) {
            int width = size[0];
            int height = size[1];
            for (Crop crop : scheme.crops(width, height)) {
                String what = scheme + " of " + width + "x" + height + ": " + crop;
                assertTrue(crop.x() >= -EPSILON, what);
                assertTrue(crop.y() >= -EPSILON, what);
                assertTrue(crop.x() + crop.width() <= width + EPSILON, what);
                assertTrue(crop.y() + crop.height() <= height + EPSILON, what);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = CropScheme.class,
            names = {"TEN_CROP", "GOOGLENET_144", "VGG_150"})
    void shouldListTheMirrorsAfterTheUnmirroredCropsInTheSameOrder(CropScheme scheme) {
        for (int[] size : IMAGE_SIZES) {
            List<Crop> crops = scheme.crops(size[0], size[1]);
            int half = scheme.count() / 2;
            for (int i = 0; i < half; i++) {
                assertFalse(crops.get(i).mirrored(), scheme + " crop " + i);
                assertEquals(crops.get(i).mirror(), crops.get(i + half), scheme + " crop " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = CropScheme.class,
            names = {"RESIZE", "CENTER"})
    void shouldNotMirrorTheSingleCropSchemes(CropScheme scheme) {
        assertFalse(scheme.crops(500, 375).get(0).mirrored());
    }

    @Test
    void shouldStretchTheWholeImageForResize() {
        assertEquals(List.of(new Crop(0, 0, 500, 375, false)), CropScheme.RESIZE.crops(500, 375));
        assertEquals(List.of(Crop.whole(1, 1)), CropScheme.RESIZE.crops(1, 1));
    }

    @Test
    void shouldCutTheCentreSquareOfSevenEighthsOfTheShorterSide() {
        // 500x375: side 0.875 * 375 = 328.125, x (500 - 328.125) / 2 = 85.9375,
        // y (375 - 328.125) / 2 = 23.4375.
        assertCrop(85.9375, 23.4375, 328.125, false, CropScheme.CENTER.crops(500, 375).get(0));
        // 375x500: the same, transposed.
        assertCrop(23.4375, 85.9375, 328.125, false, CropScheme.CENTER.crops(375, 500).get(0));
        // 100x80: side 70, x (100 - 70) / 2 = 15, y (80 - 70) / 2 = 5.
        assertCrop(15, 5, 70, false, CropScheme.CENTER.crops(100, 80).get(0));
        // 1x1: side 0.875, (1 - 0.875) / 2 = 0.0625 on both axes.
        assertCrop(0.0625, 0.0625, 0.875, false, CropScheme.CENTER.crops(1, 1).get(0));
    }

    @Test
    void shouldCutTenCropsAtTheCornersAndTheCentreOfALandscapeImage() {
        // 500x375: side 328.125; right edge x 500 - 328.125 = 171.875, bottom y 375 - 328.125 =
        // 46.875; centre as CENTER.
        List<Crop> crops = CropScheme.TEN_CROP.crops(500, 375);

        assertCrop(0, 0, 328.125, false, crops.get(0));
        assertCrop(171.875, 0, 328.125, false, crops.get(1));
        assertCrop(0, 46.875, 328.125, false, crops.get(2));
        assertCrop(171.875, 46.875, 328.125, false, crops.get(3));
        assertCrop(85.9375, 23.4375, 328.125, false, crops.get(4));
        assertCrop(0, 0, 328.125, true, crops.get(5));
        assertCrop(85.9375, 23.4375, 328.125, true, crops.get(9));
    }

    @Test
    void shouldCutTenCropsAtTheCornersAndTheCentreOfAPortraitImage() {
        // 375x500: side 328.125; right x 46.875, bottom y 171.875.
        List<Crop> crops = CropScheme.TEN_CROP.crops(375, 500);

        assertCrop(0, 0, 328.125, false, crops.get(0));
        assertCrop(46.875, 0, 328.125, false, crops.get(1));
        assertCrop(0, 171.875, 328.125, false, crops.get(2));
        assertCrop(46.875, 171.875, 328.125, false, crops.get(3));
        assertCrop(23.4375, 85.9375, 328.125, false, crops.get(4));
        assertCrop(46.875, 171.875, 328.125, true, crops.get(8));
    }

    @Test
    void shouldCutGoogLeNetWindowsFromTheLeftCentreAndRightSquaresOfALandscapeImage() {
        // 500x375: squares of side 375 at x = 0, (500 - 375) / 2 = 62.5 and 125, y = 0.
        // Unmirrored crop 18 * scale + 6 * square + window.
        List<Crop> crops = CropScheme.GOOGLENET_144.crops(500, 375);

        // Scale 256, left square: side 375 * 224 / 256 = 328.125, far edge 375 - 328.125 =
        // 46.875, centre 46.875 / 2 = 23.4375.
        assertCrop(0, 0, 328.125, false, crops.get(0));
        assertCrop(46.875, 0, 328.125, false, crops.get(1));
        assertCrop(0, 46.875, 328.125, false, crops.get(2));
        assertCrop(46.875, 46.875, 328.125, false, crops.get(3));
        assertCrop(23.4375, 23.4375, 328.125, false, crops.get(4));
        assertCrop(0, 0, 375, false, crops.get(5));
        // Scale 288, centre square, top-right: side 375 * 224 / 288 = 875 / 3 = 291.67,
        // x 62.5 + 375 - 875 / 3 = 145.83.
        assertCrop(62.5 + 375 - 875 / 3.0, 0, 875 / 3.0, false, crops.get(18 + 6 + 1));
        // Scale 320, left square, bottom-left: side 375 * 0.7 = 262.5, y 375 - 262.5 = 112.5.
        assertCrop(0, 112.5, 262.5, false, crops.get(36 + 2));
        // Scale 352, right square, centre: side 375 * 224 / 352 = 2625 / 11 = 238.64,
        // offset (375 - 2625 / 11) / 2 = 1500 / 22 = 68.18, x 125 + 68.18.
        assertCrop(125 + 1500 / 22.0, 1500 / 22.0, 2625 / 11.0, false, crops.get(54 + 12 + 4));
        // The whole right square at the last scale, and its mirror 72 later.
        assertCrop(125, 0, 375, false, crops.get(54 + 12 + 5));
        assertCrop(125, 0, 375, true, crops.get(72 + 54 + 12 + 5));
    }

    @Test
    void shouldCutGoogLeNetSquaresTopToBottomForAPortraitImage() {
        // 375x500: squares of side 375 at y = 0, 62.5 and 125, x = 0.
        List<Crop> crops = CropScheme.GOOGLENET_144.crops(375, 500);

        assertCrop(0, 0, 375, false, crops.get(5));
        assertCrop(0, 62.5, 375, false, crops.get(11));
        assertCrop(0, 125, 375, false, crops.get(17));
        // Scale 256, bottom square, bottom-right: 46.875 into it on both axes.
        assertCrop(46.875, 125 + 46.875, 328.125, false, crops.get(12 + 3));
        // Scale 352, top square, centre: (375 - 2625 / 11) / 2 = 1500 / 22 on both axes.
        assertCrop(1500 / 22.0, 1500 / 22.0, 2625 / 11.0, false, crops.get(54 + 4));
    }

    @Test
    void shouldRepeatTheSameSquareThreeTimesForASquareImage() {
        // 224x224: no slack, so left, centre and right are all the whole image; the count stays.
        List<Crop> crops = CropScheme.GOOGLENET_144.crops(224, 224);

        for (int scale = 0; scale < 4; scale++) {
            for (int window = 0; window < 6; window++) {
                Crop left = crops.get(18 * scale + window);
                assertEquals(left, crops.get(18 * scale + 6 + window));
                assertEquals(left, crops.get(18 * scale + 12 + window));
            }
        }
        // Scale 256: windows of 224 * 224 / 256 = 196, the square the image itself.
        assertCrop(28, 28, 196, false, crops.get(3));
        assertCrop(0, 0, 224, false, crops.get(5));
        // The centre crop of the square is CENTER's crop: (224 - 196) / 2 = 14.
        assertEquals(CropScheme.CENTER.crops(224, 224).get(0), crops.get(4));
    }

    @Test
    void shouldCutAFiveByFiveVggGridFromEdgeToEdgeOfALandscapeImage() {
        // 500x375, unmirrored crop 25 * scale + 5 * row + column.
        List<Crop> crops = CropScheme.VGG_150.crops(500, 375);

        // Q 256: side 375 * 224 / 256 = 328.125; steps (500 - 328.125) / 4 = 42.96875 across,
        // (375 - 328.125) / 4 = 11.71875 down.
        assertCrop(0, 0, 328.125, false, crops.get(0));
        assertCrop(2 * 42.96875, 11.71875, 328.125, false, crops.get(5 + 2));
        // Q 384: side 375 * 224 / 384 = 218.75; steps 281.25 / 4 = 70.3125 and
        // 156.25 / 4 = 39.0625; row 2, column 3: x 210.9375, y 78.125.
        assertCrop(210.9375, 78.125, 218.75, false, crops.get(25 + 10 + 3));
        // Q 512: side 375 * 224 / 512 = 164.0625; row 4, column 4 touches the bottom-right
        // corner: x 500 - 164.0625 = 335.9375, y 375 - 164.0625 = 210.9375.
        assertCrop(335.9375, 210.9375, 164.0625, false, crops.get(50 + 20 + 4));
        assertCrop(335.9375, 210.9375, 164.0625, true, crops.get(75 + 50 + 20 + 4));
    }

    @Test
    void shouldCutAFiveByFiveVggGridFromEdgeToEdgeOfAPortraitImage() {
        // 375x500, Q 384: side 218.75; steps (375 - 218.75) / 4 = 39.0625 across,
        // (500 - 218.75) / 4 = 70.3125 down; row 2, column 3: x 117.1875, y 140.625.
        List<Crop> crops = CropScheme.VGG_150.crops(375, 500);

        assertCrop(117.1875, 140.625, 218.75, false, crops.get(25 + 10 + 3));
        // Row 4, column 0 at Q 256: y 500 - 328.125 = 171.875.
        assertCrop(0, 171.875, 328.125, false, crops.get(20));
    }

    @Test
    void shouldCutCropsOfAnImageSmallerThanTheModelInputInItsOwnPixels() {
        // 100x80, m = 80.
        List<Crop> tenCrop = CropScheme.TEN_CROP.crops(100, 80);
        // Side 70; right edge x 30, bottom y 10.
        assertCrop(30, 10, 70, false, tenCrop.get(3));

        List<Crop> googLeNet = CropScheme.GOOGLENET_144.crops(100, 80);
        // Squares of 80 at x = 0, 10, 20; scale 352: side 80 * 224 / 352 = 560 / 11 = 50.91,
        // right square's top-right x 20 + 80 - 560 / 11.
        assertCrop(100 - 560 / 11.0, 0, 560 / 11.0, false, googLeNet.get(54 + 12 + 1));

        List<Crop> vgg = CropScheme.VGG_150.crops(100, 80);
        // Q 512: side 80 * 224 / 512 = 35; steps (100 - 35) / 4 = 16.25, (80 - 35) / 4 = 11.25.
        assertCrop(3 * 16.25, 11.25, 35, false, vgg.get(50 + 5 + 3));
    }

    @Test
    void shouldCutSubPixelCropsOfASinglePixelImage() {
        // 1x1: all three GoogLeNet squares are the pixel; at scale 352 the window is
        // 224 / 352 = 7 / 11 and its centre offset (1 - 7 / 11) / 2 = 2 / 11.
        List<Crop> googLeNet = CropScheme.GOOGLENET_144.crops(1, 1);
        assertCrop(0, 0, 1, false, googLeNet.get(12 + 5));
        assertCrop(2 / 11.0, 2 / 11.0, 7 / 11.0, false, googLeNet.get(54 + 6 + 4));

        // Q 512: side 0.4375; steps (1 - 0.4375) / 4 = 0.140625, the last at 0.5625.
        List<Crop> vgg = CropScheme.VGG_150.crops(1, 1);
        assertCrop(0.140625, 0.5625, 0.4375, false, vgg.get(50 + 20 + 1));
    }

    @Test
    void shouldRefuseNonPositiveImageDimensions() {
        assertThrows(IllegalArgumentException.class, () -> CropScheme.CENTER.crops(0, 10));
        assertThrows(IllegalArgumentException.class, () -> CropScheme.RESIZE.crops(10, -1));
    }

    @Test
    void shouldRefuseEmptyOrNonFiniteCrops() {
        assertThrows(IllegalArgumentException.class, () -> new Crop(0, 0, 0, 1, false));
        assertThrows(IllegalArgumentException.class, () -> new Crop(0, 0, 1, -1, false));
        assertThrows(IllegalArgumentException.class, () -> new Crop(0, 0, Double.NaN, 1, false));
        assertThrows(
                IllegalArgumentException.class,
                () -> new Crop(0, 0, 1, Double.POSITIVE_INFINITY, false));
        assertThrows(IllegalArgumentException.class, () -> new Crop(Double.NaN, 0, 1, 1, false));
        assertThrows(IllegalArgumentException.class, () -> Crop.whole(0, 5));
    }

    @Test
    void shouldParseSchemesFromTheirIds() {
        assertEquals(CropScheme.TEN_CROP, CropScheme.parse("10crop"));
        assertEquals(CropScheme.GOOGLENET_144, CropScheme.parse(" 144CROP "));
        assertEquals(CropScheme.VGG_150, CropScheme.parse("VGG150"));
        for (CropScheme scheme : CropScheme.values()) {
            assertEquals(scheme, CropScheme.parse(scheme.id()));
        }
        IllegalArgumentException error =
                assertThrows(IllegalArgumentException.class, () -> CropScheme.parse("5crop"));
        assertEquals(
                "unknown crop scheme '5crop'; valid: resize, center, 10crop, 144crop, vgg150",
                error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CropScheme.parse(null));
    }

    @Test
    void shouldListEveryIdInDeclarationOrder() {
        assertEquals(List.of("resize", "center", "10crop", "144crop", "vgg150"), CropScheme.ids());
    }

    private static void assertCrop(double x, double y, double side, boolean mirrored, Crop actual) {
        String what = actual.toString();
        assertEquals(x, actual.x(), EPSILON, "x of " + what);
        assertEquals(y, actual.y(), EPSILON, "y of " + what);
        assertEquals(side, actual.width(), EPSILON, "width of " + what);
        assertEquals(side, actual.height(), EPSILON, "height of " + what);
        assertEquals(mirrored, actual.mirrored(), "mirrored of " + what);
    }
}
