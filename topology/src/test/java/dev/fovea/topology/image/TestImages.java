package dev.fovea.topology.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import java.util.zip.CRC32;

import javax.imageio.ImageIO;

/** Images built in code, so every expected pixel value is known. */
final class TestImages {

    static final int WIDTH = 64;
    static final int HEIGHT = 48;

    /** Top-left, top-right, bottom-left, bottom-right quadrant colours as 0xRRGGBB. */
    static final int[] QUADRANT_COLOURS = {0xC81E28, 0x1EB43C, 0x283CDC, 0xF0E6D2};

    private TestImages() {}

    /** A 64x48 image whose four 32x24 quadrants have the four {@link #QUADRANT_COLOURS}. */
    static BufferedImage quadrants(int imageType) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, imageType);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                image.setRGB(x, y, quadrantColour(x, y));
            }
        }
        return image;
    }

    static int quadrantColour(int x, int y) {
        return QUADRANT_COLOURS[(y < HEIGHT / 2 ? 0 : 2) + (x < WIDTH / 2 ? 0 : 1)];
    }

    /** A larger image of random noise: its JPEG is big enough that half of it is mid-scan data. */
    static BufferedImage noise(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt() & 0xFFFFFF);
            }
        }
        return image;
    }

    static byte[] encode(BufferedImage image, ImageFormat format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format.name().toLowerCase(Locale.ROOT), out)) {
                throw new IllegalStateException(
                        "no ImageIO writer for " + format + " and image type " + image.getType());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The 0xRRGGBB value of pixel (x, y) of a decoded image. */
    static int rgbAt(DecodedImage image, int x, int y) {
        int i = (y * image.width() + x) * 3;
        byte[] rgb = image.rgb();
        return (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF);
    }

    /** The largest per-channel difference between two 0xRRGGBB colours. */
    static int channelDistance(int rgb1, int rgb2) {
        int max = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
            max = Math.max(max, Math.abs((rgb1 >> shift & 0xFF) - (rgb2 >> shift & 0xFF)));
        }
        return max;
    }

    /**
     * A PNG with a valid signature and IHDR (CRC included) declaring the given size, then an empty
     * IDAT and IEND: a few dozen bytes that claim any number of pixels.
     */
    static byte[] pngHeaderDeclaring(int width, int height) {
        ByteBuffer ihdr =
                ByteBuffer.allocate(13)
                        .putInt(width)
                        .putInt(height)
                        .put((byte) 8) // bit depth
                        .put((byte) 2) // colour type: RGB
                        .put((byte) 0) // deflate
                        .put((byte) 0) // adaptive filtering
                        .put((byte) 0); // no interlace
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        writeChunk(out, "IHDR", ihdr.array());
        writeChunk(out, "IDAT", new byte[0]);
        writeChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** ASCII text followed by zero padding up to {@code length} bytes: enough for any sniffer. */
    static byte[] asciiPadded(String text, int length) {
        byte[] bytes = new byte[length];
        byte[] ascii = text.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(ascii, 0, bytes, 0, ascii.length);
        return bytes;
    }

    /** The start of a WebP file: RIFF, a size, WEBP, a VP8 chunk header. */
    static byte[] webpMagic() {
        return asciiPadded("RIFF\u0024\0\0\0WEBPVP8 ", 64);
    }

    /** An ISO base media file starting with an ftyp box listing the given brands. */
    static byte[] ftyp(String majorBrand, String... compatibleBrands) {
        int size = 16 + 4 * compatibleBrands.length;
        ByteBuffer box = ByteBuffer.allocate(size + 16).putInt(size);
        box.put("ftyp".getBytes(StandardCharsets.US_ASCII))
                .put(majorBrand.getBytes(StandardCharsets.US_ASCII))
                .putInt(0); // minor version
        for (String brand : compatibleBrands) {
            box.put(brand.getBytes(StandardCharsets.US_ASCII));
        }
        return box.array();
    }
}
