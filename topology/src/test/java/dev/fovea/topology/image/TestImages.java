package dev.fovea.topology.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

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

    /** A JPEG of {@code image}, progressive (several scans) or baseline, at quality 0.95. */
    static byte[] jpeg(BufferedImage image, boolean progressive) {
        return writeJpeg(new IIOImage(image, null, null), progressive);
    }

    /**
     * A JPEG of four-band samples written as they are: the JDK writer stores a four-band raster as
     * CMYK, without an Adobe segment.
     */
    static byte[] fourChannelJpeg(Raster samples) {
        return writeJpeg(new IIOImage(samples, null, null), false);
    }

    private static byte[] writeJpeg(IIOImage image, boolean progressive) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.95f);
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            writer.write(null, image, param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** An 8-bit raster of {@code bands} samples per pixel, each pixel given by {@code pixel}. */
    static WritableRaster raster(int width, int height, int bands, PixelFunction pixel) {
        WritableRaster raster =
                Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, width, height, bands, null);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setPixel(x, y, pixel.samples(x, y));
            }
        }
        return raster;
    }

    interface PixelFunction {
        int[] samples(int x, int y);
    }

    /** Inserts a marker segment right after SOI, where APPn segments belong. */
    static byte[] withSegmentAfterSoi(byte[] jpeg, int marker, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xFF);
        out.write(marker);
        int length = payload.length + 2;
        out.write(length >> 8);
        out.write(length & 0xFF);
        out.writeBytes(payload);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** An Adobe APP14 segment, as Photoshop writes it: transform 0 CMYK/RGB, 1 YCbCr, 2 YCCK. */
    static byte[] withAdobeSegment(byte[] jpeg, int transform) {
        byte[] payload = {'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform};
        return withSegmentAfterSoi(jpeg, 0xEE, payload);
    }

    /**
     * An EXIF APP1 segment whose IFD0 holds a Make tag and then the orientation, as cameras write
     * them, in either byte order.
     */
    static byte[] withExifOrientation(byte[] jpeg, int orientation, ByteOrder order) {
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 2 * 12 + 4 + 8).order(order);
        tiff.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
        tiff.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
        tiff.putShort((short) 42).putInt(8);
        tiff.putShort((short) 2);
        // Make, ASCII, 8 bytes at offset 38 (after IFD0 and its next-IFD link).
        tiff.putShort((short) 0x010F).putShort((short) 2).putInt(8).putInt(38);
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1);
        tiff.putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0); // no IFD1
        tiff.put("Camera\0\0".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        payload.writeBytes("Exif\0\0".getBytes(StandardCharsets.US_ASCII));
        payload.writeBytes(tiff.array());
        return withSegmentAfterSoi(jpeg, 0xE1, payload.toByteArray());
    }

    /** The offset of the first SOFn segment's marker in a JPEG written by ImageIO. */
    static int frameMarkerOffset(byte[] jpeg) {
        int pos = 2;
        while (pos + 4 <= jpeg.length) {
            int marker = jpeg[pos + 1] & 0xFF;
            if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xCC) {
                return pos;
            }
            pos += 2 + ((jpeg[pos + 2] & 0xFF) << 8 | (jpeg[pos + 3] & 0xFF));
        }
        throw new IllegalArgumentException("no SOF marker");
    }

    /** A copy whose frame header declares another size: the scan data stays what it was. */
    static byte[] withJpegFrameSize(byte[] jpeg, int width, int height) {
        byte[] copy = jpeg.clone();
        int sof = frameMarkerOffset(copy);
        ByteBuffer.wrap(copy, sof + 5, 4).putShort((short) height).putShort((short) width);
        return copy;
    }

    /** A copy whose GIF screen and first image descriptor declare another size. */
    static byte[] withGifSize(byte[] gif, int width, int height) {
        byte[] copy = gif.clone();
        ByteBuffer.wrap(copy, 6, 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) width)
                .putShort((short) height);
        // ImageIO writes no extensions before the first descriptor of a still image, only an
        // optional global colour table, whose size the screen descriptor's flags give.
        int flags = copy[10] & 0xFF;
        int descriptor = 13 + ((flags & 0x80) != 0 ? 3 * (2 << (flags & 7)) : 0);
        while ((copy[descriptor] & 0xFF) != 0x2C) {
            descriptor = skipGifExtension(copy, descriptor);
        }
        ByteBuffer.wrap(copy, descriptor + 5, 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) width)
                .putShort((short) height);
        return copy;
    }

    private static int skipGifExtension(byte[] gif, int pos) {
        int at = pos + 2; // introducer and label
        while ((gif[at] & 0xFF) != 0) {
            at += 1 + (gif[at] & 0xFF);
        }
        return at + 1;
    }

    /**
     * An uncompressed 24-bit BMP header declaring the given size, followed by {@code pixelBytes}
     * bytes of pixel data.
     */
    static byte[] bmpDeclaring(int width, int height, int compression, byte[] pixelBytes) {
        ByteBuffer bmp =
                ByteBuffer.allocate(14 + 40 + pixelBytes.length).order(ByteOrder.LITTLE_ENDIAN);
        bmp.put((byte) 'B').put((byte) 'M').putInt(bmp.capacity()).putInt(0).putInt(54);
        bmp.putInt(40).putInt(width).putInt(height).putShort((short) 1).putShort((short) 24);
        bmp.putInt(compression).putInt(pixelBytes.length).putInt(2835).putInt(2835);
        bmp.putInt(0).putInt(0);
        bmp.put(pixelBytes);
        return bmp.array();
    }

    /**
     * An 8-bit gray PNG of zeros, deflated at zlib's best: about 1030:1, the most any real encoder
     * gets from deflate.
     */
    static byte[] maximallyDeflatedBlackPng(int width, int height) {
        ByteBuffer ihdr =
                ByteBuffer.allocate(13)
                        .putInt(width)
                        .putInt(height)
                        .put((byte) 8) // bit depth
                        .put((byte) 0) // colour type: gray
                        .put((byte) 0)
                        .put((byte) 0)
                        .put((byte) 0);
        // Every row is filter type 0 and zero samples: all zeros.
        byte[] idat = deflate(new byte[(width + 1) * height], Deflater.BEST_COMPRESSION);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        writeChunk(out, "IHDR", ihdr.array());
        writeChunk(out, "IDAT", idat);
        writeChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** Inserts a chunk right after IHDR, where text and colour profile chunks may go. */
    static byte[] withChunkAfterHeader(byte[] png, String type, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, 33); // signature and IHDR
        writeChunk(out, type, data);
        out.write(png, 33, png.length - 33);
        return out.toByteArray();
    }

    /** The body of a zTXt chunk whose text inflates to {@code textBytes} zeros. */
    static byte[] compressedText(int textBytes) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("Comment\0".getBytes(StandardCharsets.ISO_8859_1));
        body.write(0); // compression method: deflate
        body.writeBytes(deflate(new byte[textBytes], Deflater.BEST_SPEED));
        return body.toByteArray();
    }

    private static byte[] deflate(byte[] data, int level) {
        Deflater deflater = new Deflater(level);
        try {
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[64 * 1024];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }
}
