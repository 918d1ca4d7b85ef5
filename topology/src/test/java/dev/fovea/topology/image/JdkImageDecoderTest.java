package dev.fovea.topology.image;

import static dev.fovea.topology.image.TestImages.HEIGHT;
import static dev.fovea.topology.image.TestImages.WIDTH;
import static dev.fovea.topology.image.TestImages.rgbAt;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeout;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.topology.Reason;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

class JdkImageDecoderTest {

    private final JdkImageDecoder decoder = new JdkImageDecoder();

    @ParameterizedTest
    @EnumSource(names = {"PNG", "BMP", "GIF"})
    void shouldDecodeLosslessFormatsPixelExact(ImageFormat format) throws Exception {
        byte[] encoded =
                TestImages.encode(TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), format);

        DecodedImage image = decoder.decode(encoded, null);

        assertEquals(WIDTH, image.width());
        assertEquals(HEIGHT, image.height());
        assertEquals(format, image.format());
        assertEquals(WIDTH * HEIGHT * 3, image.rgb().length);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                assertEquals(
                        TestImages.quadrantColour(x, y),
                        rgbAt(image, x, y),
                        "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void shouldDecodeJpegWithinCompressionTolerance() throws Exception {
        byte[] encoded =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.JPEG);

        DecodedImage image = decoder.decode(encoded, "image/jpeg");

        assertEquals(WIDTH, image.width());
        assertEquals(HEIGHT, image.height());
        assertEquals(ImageFormat.JPEG, image.format());
        // Away from the quadrant borders, where chroma subsampling and ringing blur the edges.
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                if (Math.abs(x - WIDTH / 2) >= 8 && Math.abs(y - HEIGHT / 2) >= 8) {
                    int expected = TestImages.quadrantColour(x, y);
                    int actual = rgbAt(image, x, y);
                    assertTrue(
                            TestImages.channelDistance(expected, actual) <= 8,
                            () ->
                                    "pixel "
                                            + Integer.toHexString(actual)
                                            + " too far from "
                                            + Integer.toHexString(expected));
                }
            }
        }
    }

    @Test
    void shouldReplicateGrayscaleUnchangedRatherThanApplyJava2dLinearGamma() throws Exception {
        BufferedImage gray = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = gray.getRaster();
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                raster.setSample(x, y, 0, (x * 4 + y) & 0xFF);
            }
        }

        DecodedImage image = decoder.decode(TestImages.encode(gray, ImageFormat.PNG), null);

        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                int v = (x * 4 + y) & 0xFF;
                assertEquals(v << 16 | v << 8 | v, rgbAt(image, x, y), "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void shouldScaleSixteenBitGrayscaleToEightBits() throws Exception {
        BufferedImage gray = new BufferedImage(256, 1, BufferedImage.TYPE_USHORT_GRAY);
        for (int x = 0; x < 256; x++) {
            gray.getRaster().setSample(x, 0, 0, x * 257);
        }

        DecodedImage image = decoder.decode(TestImages.encode(gray, ImageFormat.PNG), null);

        for (int x = 0; x < 256; x++) {
            assertEquals(x << 16 | x << 8 | x, rgbAt(image, x, 0), "pixel " + x);
        }
    }

    @Test
    void shouldScaleSixteenBitRgbToEightBits() throws Exception {
        ColorModel model =
                new ComponentColorModel(
                        ColorSpace.getInstance(ColorSpace.CS_sRGB),
                        false,
                        false,
                        ColorModel.OPAQUE,
                        DataBuffer.TYPE_USHORT);
        BufferedImage rgb16 =
                new BufferedImage(model, model.createCompatibleWritableRaster(2, 1), false, null);
        rgb16.getRaster().setPixel(0, 0, new int[] {255 * 257, 0, 128 * 257});
        rgb16.getRaster().setPixel(1, 0, new int[] {1 * 257, 254 * 257, 65535});

        DecodedImage image = decoder.decode(TestImages.encode(rgb16, ImageFormat.PNG), null);

        assertEquals(0xFF0080, rgbAt(image, 0, 0));
        assertEquals(0x01FEFF, rgbAt(image, 1, 0));
    }

    @Test
    void shouldDropAlphaAndKeepTheStoredColour() throws Exception {
        BufferedImage rgba = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0xFF_C81E28); // opaque
        rgba.setRGB(1, 0, 0x80_1EB43C); // half transparent
        rgba.setRGB(2, 0, 0x00_283CDC); // fully transparent

        DecodedImage image = decoder.decode(TestImages.encode(rgba, ImageFormat.PNG), null);

        assertEquals(0xC81E28, rgbAt(image, 0, 0));
        assertEquals(0x1EB43C, rgbAt(image, 1, 0));
        assertEquals(0x283CDC, rgbAt(image, 2, 0));
    }

    @Test
    void shouldDecodePalettePng() throws Exception {
        byte[] reds = {(byte) 0xC8, 0x1E};
        byte[] greens = {0x1E, (byte) 0xB4};
        byte[] blues = {0x28, 0x3C};
        BufferedImage indexed =
                new BufferedImage(
                        2,
                        1,
                        BufferedImage.TYPE_BYTE_BINARY,
                        new IndexColorModel(1, 2, reds, greens, blues));
        indexed.getRaster().setSample(0, 0, 0, 1);
        indexed.getRaster().setSample(1, 0, 0, 0);

        DecodedImage image = decoder.decode(TestImages.encode(indexed, ImageFormat.PNG), null);

        assertEquals(0x1EB43C, rgbAt(image, 0, 0));
        assertEquals(0xC81E28, rgbAt(image, 1, 0));
    }

    @Test
    void shouldDecodeOnlyTheFirstFrameOfAnAnimatedGif() throws Exception {
        byte[] gif = animatedGif(solid(0xC81E28), solid(0x283CDC));

        DecodedImage image = decoder.decode(gif, "image/gif");

        assertEquals(ImageFormat.GIF, image.format());
        assertEquals(0xC81E28, rgbAt(image, 0, 0));
        assertEquals(0xC81E28, rgbAt(image, 7, 7));
    }

    @ParameterizedTest
    @ValueSource(strings = {"image/jpeg", "image/webp", "application/octet-stream", "text/html"})
    void shouldTrustTheBytesOverTheDeclaredContentType(String contentType) throws Exception {
        byte[] png =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.PNG);

        DecodedImage image = decoder.decode(png, contentType);

        assertEquals(ImageFormat.PNG, image.format());
        assertEquals(TestImages.QUADRANT_COLOURS[0], rgbAt(image, 0, 0));
    }

    @Test
    void shouldRejectEmptyDataAsUndecodable() {
        assertRejected(Reason.UNDECODABLE_IMAGE, new byte[0], "image/jpeg");
    }

    @Test
    void shouldRejectRandomBytesAsUndecodable() {
        byte[] random = new byte[4096];
        new Random(42).nextBytes(random);

        assertRejected(Reason.UNDECODABLE_IMAGE, random, "image/png");
    }

    @Test
    void shouldRejectRandomBytesDeclaredAsAnUnsupportedFormatAsUnsupported() {
        byte[] random = new byte[4096];
        new Random(42).nextBytes(random);

        assertRejected(Reason.UNSUPPORTED_FORMAT, random, "image/webp");
    }

    @Test
    void shouldRejectRandomBytesBehindAJpegSignatureAsUndecodable() {
        byte[] data = new byte[4096];
        new Random(7).nextBytes(data);
        data[0] = (byte) 0xFF;
        data[1] = (byte) 0xD8;
        data[2] = (byte) 0xFF;

        assertRejected(Reason.UNDECODABLE_IMAGE, data, null);
    }

    @Test
    void shouldRejectAJpegCutInHalfThatImageIoAloneWouldFillWithGrey() throws Exception {
        byte[] jpeg = TestImages.encode(TestImages.noise(256, 192, 1), ImageFormat.JPEG);
        byte[] half = Arrays.copyOf(jpeg, jpeg.length / 2);
        // The trap this guards against: plain ImageIO returns an image, its lower part grey.
        assertNotNull(ImageIO.read(new ByteArrayInputStream(half)));

        ImageRejectedException rejection =
                assertRejected(Reason.UNDECODABLE_IMAGE, half, "image/jpeg");

        assertEquals("JPEG data is truncated or corrupt", rejection.getMessage());
    }

    @Test
    void shouldRejectAJpegMissingOnlyItsEndMarker() throws Exception {
        // Strict on purpose: a missing EOI is also all a truncated progressive JPEG reports.
        byte[] jpeg = TestImages.encode(TestImages.noise(64, 48, 2), ImageFormat.JPEG);

        assertRejected(Reason.UNDECODABLE_IMAGE, Arrays.copyOf(jpeg, jpeg.length - 2), null);
    }

    @Test
    void shouldAcceptAJpegWhoseEmbeddedColourProfileIsInvalid() throws Exception {
        // Header-time warnings do not touch pixels: the JDK ignores the profile and decodes.
        byte[] jpeg =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.JPEG);
        byte[] garbageProfile = new byte[300];
        new Random(3).nextBytes(garbageProfile);

        DecodedImage image = decoder.decode(withApp2IccSegment(jpeg, garbageProfile), null);

        assertEquals(WIDTH, image.width());
        assertTrue(
                TestImages.channelDistance(TestImages.QUADRANT_COLOURS[0], rgbAt(image, 4, 4))
                        <= 8);
    }

    @ParameterizedTest
    @EnumSource(names = {"PNG", "GIF", "BMP"})
    void shouldRejectTruncatedLosslessFiles(ImageFormat format) {
        byte[] encoded = TestImages.encode(TestImages.noise(128, 96, 3), format);

        assertRejected(Reason.UNDECODABLE_IMAGE, Arrays.copyOf(encoded, encoded.length / 2), null);
    }

    @Test
    void shouldRejectAHugeDeclaredSizeFromTheHeaderWithoutAllocatingPixels() {
        byte[] png = TestImages.pngHeaderDeclaring(50_000, 50_000);

        // 7.5 GB as RGB: only a check of the header, before any allocation, passes this quickly.
        ImageRejectedException rejection =
                assertTimeout(
                        Duration.ofSeconds(2),
                        () -> assertRejected(Reason.IMAGE_TOO_LARGE, png, "image/png"));

        assertEquals(
                "PNG image is 50000x50000 (2500000000 pixels), over the limit of 40000000 pixels",
                rejection.getMessage());
    }

    @Test
    void shouldApplyTheConfiguredPixelLimitInclusively() throws Exception {
        byte[] png =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.PNG);

        assertEquals(WIDTH, new JdkImageDecoder(WIDTH * HEIGHT).decode(png, null).width());
        ImageRejectedException rejection =
                assertThrows(
                        ImageRejectedException.class,
                        () -> new JdkImageDecoder(WIDTH * HEIGHT - 1).decode(png, null));
        assertEquals(Reason.IMAGE_TOO_LARGE, rejection.reason());
    }

    @Test
    void shouldRefuseAPixelLimitOutsideWhatAnArrayCanHold() {
        assertThrows(IllegalArgumentException.class, () -> new JdkImageDecoder(0));
        assertThrows(
                IllegalArgumentException.class,
                () -> new JdkImageDecoder(JdkImageDecoder.MAX_SUPPORTED_PIXELS + 1));
    }

    @Test
    void shouldRejectWebpMagicAsUnsupported() {
        ImageRejectedException rejection =
                assertRejected(Reason.UNSUPPORTED_FORMAT, TestImages.webpMagic(), "image/jpeg");

        assertEquals(
                "WEBP images are not supported; send JPEG, PNG, GIF or BMP",
                rejection.getMessage());
    }

    @Test
    void shouldRejectTiffMagicAsUnsupported() {
        assertRejected(Reason.UNSUPPORTED_FORMAT, TestImages.asciiPadded("II*\0", 64), null);
    }

    @Test
    void shouldRejectHeifAndAvifMagicAsUnsupported() {
        assertRejected(Reason.UNSUPPORTED_FORMAT, TestImages.ftyp("heic", "mif1", "heic"), null);
        assertRejected(Reason.UNSUPPORTED_FORMAT, TestImages.ftyp("avif", "mif1", "avif"), null);
    }

    @Test
    void shouldKeepRejectionsFreeOfStackTracesAndLibraryText() {
        byte[] data = new byte[64];
        data[0] = (byte) 0xFF;
        data[1] = (byte) 0xD8;
        data[2] = (byte) 0xFF;

        ImageRejectedException rejection = assertRejected(Reason.UNDECODABLE_IMAGE, data, null);

        assertEquals("JPEG data is truncated or corrupt", rejection.getMessage());
        assertEquals(0, rejection.getStackTrace().length);
        assertNotNull(rejection.getCause(), "the library's exception stays available to logs");
    }

    @Test
    void shouldDecodeTheSameFromManyThreadsAtOnce() throws Exception {
        List<byte[]> inputs = new ArrayList<>();
        List<DecodedImage> expected = new ArrayList<>();
        for (ImageFormat format :
                List.of(ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.GIF, ImageFormat.BMP)) {
            byte[] encoded =
                    TestImages.encode(TestImages.noise(160, 120, format.ordinal()), format);
            inputs.add(encoded);
            expected.add(decoder.decode(encoded, null));
        }

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int task = 0; task < 64; task++) {
                int which = task % inputs.size();
                results.add(
                        pool.submit(
                                () ->
                                        decoder.decode(inputs.get(which), null)
                                                .equals(expected.get(which))));
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private ImageRejectedException assertRejected(Reason reason, byte[] data, String contentType) {
        ImageRejectedException rejection =
                assertThrows(ImageRejectedException.class, () -> decoder.decode(data, contentType));
        assertAll(
                () -> assertEquals(reason, rejection.reason()),
                () -> assertTrue(rejection.getMessage().length() < 120, "short message"),
                () -> assertEquals(1, rejection.getMessage().lines().count(), "one line"));
        return rejection;
    }

    private static BufferedImage solid(int rgb) {
        BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                image.setRGB(x, y, rgb);
            }
        }
        return image;
    }

    private static byte[] animatedGif(BufferedImage... frames) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (BufferedImage frame : frames) {
                writer.writeToSequence(new IIOImage(frame, null, null), null);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** Inserts an APP2 ICC_PROFILE segment, the way an embedded colour profile is stored. */
    private static byte[] withApp2IccSegment(byte[] jpeg, byte[] profile) {
        byte[] identifier = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
        int length = 2 + identifier.length + 2 + profile.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2); // SOI
        out.write(0xFF);
        out.write(0xE2);
        out.write(length >> 8);
        out.write(length & 0xFF);
        out.writeBytes(identifier);
        out.write(1); // chunk 1
        out.write(1); // of 1
        out.writeBytes(profile);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }
}
