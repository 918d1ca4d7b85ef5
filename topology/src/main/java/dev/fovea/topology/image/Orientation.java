package dev.fovea.topology.image;

/**
 * Turns stored pixels upright by an EXIF orientation, so that the model sees the picture as a
 * browser or a phone's gallery shows it: cameras store the sensor's rows and record how the camera
 * was held in this tag instead of rotating the pixels.
 */
final class Orientation {

    private Orientation() {}

    /**
     * @param orientation the EXIF value: 1 upright, 2 mirrored left-right, 3 turned 180 degrees, 4
     *     mirrored top-bottom, 5 mirrored along the main diagonal (transposed), 6 to be turned 90
     *     degrees clockwise, 7 mirrored along the other diagonal, 8 to be turned 90 degrees
     *     counter-clockwise; any other value leaves the image as stored
     */
    static DecodedImage upright(
            int orientation, int width, int height, byte[] rgb, ImageFormat format) {
        if (orientation < 2 || orientation > 8) {
            return new DecodedImage(width, height, rgb, format);
        }
        // The stored pixel index of output pixel (x, y) is start + x * xStep + y * yStep.
        int last = width * height - 1;
        int start;
        int xStep;
        int yStep;
        switch (orientation) {
            case 2 -> {
                start = width - 1;
                xStep = -1;
                yStep = width;
            }
            case 3 -> {
                start = last;
                xStep = -1;
                yStep = -width;
            }
            case 4 -> {
                start = last - (width - 1);
                xStep = 1;
                yStep = -width;
            }
            case 5 -> {
                start = 0;
                xStep = width;
                yStep = 1;
            }
            case 6 -> {
                start = last - (width - 1);
                xStep = -width;
                yStep = 1;
            }
            case 7 -> {
                start = last;
                xStep = -width;
                yStep = -1;
            }
            default -> { // 8
                start = width - 1;
                xStep = width;
                yStep = -1;
            }
        }
        boolean swapsSides = orientation >= 5;
        int outWidth = swapsSides ? height : width;
        int outHeight = swapsSides ? width : height;
        byte[] out = new byte[rgb.length];
        int o = 0;
        for (int y = 0; y < outHeight; y++) {
            int stored = start + y * yStep;
            for (int x = 0; x < outWidth; x++, stored += xStep) {
                int i = stored * 3;
                out[o++] = rgb[i];
                out[o++] = rgb[i + 1];
                out[o++] = rgb[i + 2];
            }
        }
        return new DecodedImage(outWidth, outHeight, out, format);
    }
}
