package dev.fovea.topology.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OrientationTest {

    private static final int WIDTH = 5;
    private static final int HEIGHT = 3;

    /**
     * The EXIF definition, independent of the implementation's index arithmetic: which side of the
     * upright picture the stored top row lies along, and which side the stored left column.
     */
    private static final String[][] SIDES = {
        null,
        {"top", "left"},
        {"top", "right"},
        {"bottom", "right"},
        {"bottom", "left"},
        {"left", "top"},
        {"right", "top"},
        {"right", "bottom"},
        {"left", "bottom"}
    };

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void shouldMoveEveryStoredPixelWhereTheExifDefinitionPutsIt(int orientation) {
        byte[] stored = new byte[WIDTH * HEIGHT * 3];
        for (int i = 0; i < WIDTH * HEIGHT; i++) {
            stored[i * 3] = (byte) i;
            stored[i * 3 + 1] = (byte) (100 + i);
            stored[i * 3 + 2] = (byte) (200 + i);
        }

        DecodedImage upright =
                Orientation.upright(orientation, WIDTH, HEIGHT, stored, ImageFormat.JPEG);

        String rowSide = SIDES[orientation][0];
        String columnSide = SIDES[orientation][1];
        boolean rowsBecomeColumns = rowSide.equals("left") || rowSide.equals("right");
        int width = rowsBecomeColumns ? HEIGHT : WIDTH;
        int height = rowsBecomeColumns ? WIDTH : HEIGHT;
        assertEquals(width, upright.width());
        assertEquals(height, upright.height());
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                int outX;
                int outY;
                if (rowsBecomeColumns) {
                    outX = rowSide.equals("left") ? y : width - 1 - y;
                    outY = columnSide.equals("top") ? x : height - 1 - x;
                } else {
                    outY = rowSide.equals("top") ? y : height - 1 - y;
                    outX = columnSide.equals("left") ? x : width - 1 - x;
                }
                int index = y * WIDTH + x;
                int expected = index << 16 | (100 + index) << 8 | (200 + index);
                assertEquals(
                        expected,
                        TestImages.rgbAt(upright, outX, outY),
                        "stored " + x + "," + y + " at " + outX + "," + outY);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 0, 9, -1})
    void shouldLeaveThePixelsAsStoredWhenUprightOrInvalid(int orientation) {
        byte[] stored = new byte[WIDTH * HEIGHT * 3];

        assertSame(
                stored,
                Orientation.upright(orientation, WIDTH, HEIGHT, stored, ImageFormat.JPEG).rgb());
    }
}
