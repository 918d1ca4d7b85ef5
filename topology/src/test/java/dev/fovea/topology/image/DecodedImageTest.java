package dev.fovea.topology.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DecodedImageTest {

    @Test
    void shouldRefuseAnArrayThatDoesNotMatchTheDimensions() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new DecodedImage(2, 2, new byte[11], ImageFormat.PNG));
        assertThrows(
                IllegalArgumentException.class,
                () -> new DecodedImage(0, 2, new byte[0], ImageFormat.PNG));
    }

    @Test
    void shouldCompareByPixelContents() {
        DecodedImage image = new DecodedImage(1, 1, new byte[] {1, 2, 3}, ImageFormat.PNG);

        assertEquals(image, new DecodedImage(1, 1, new byte[] {1, 2, 3}, ImageFormat.PNG));
        assertEquals(
                image.hashCode(),
                new DecodedImage(1, 1, new byte[] {1, 2, 3}, ImageFormat.PNG).hashCode());
        assertNotEquals(image, new DecodedImage(1, 1, new byte[] {1, 2, 4}, ImageFormat.PNG));
        assertNotEquals(image, new DecodedImage(1, 1, new byte[] {1, 2, 3}, ImageFormat.BMP));
    }

    @Test
    void shouldPrintDimensionsAndFormatButNoPixels() {
        assertEquals(
                "DecodedImage[2x1 JPEG]",
                new DecodedImage(2, 1, new byte[6], ImageFormat.JPEG).toString());
    }
}
