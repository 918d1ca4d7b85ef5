package dev.fovea.topology.image;

import static dev.fovea.topology.image.TestImages.HEIGHT;
import static dev.fovea.topology.image.TestImages.WIDTH;
import static dev.fovea.topology.image.TestImages.rgbAt;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.topology.Reason;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;
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
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
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
        BufferedImage gray = new BufferedImage(16, 16, BufferedImage.TYPE_USHORT_GRAY);
        for (int v = 0; v < 256; v++) {
            gray.getRaster().setSample(v % 16, v / 16, 0, v * 257);
        }

        DecodedImage image = decoder.decode(TestImages.encode(gray, ImageFormat.PNG), null);

        for (int v = 0; v < 256; v++) {
            assertEquals(v << 16 | v << 8 | v, rgbAt(image, v % 16, v / 16), "value " + v);
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
    void shouldCompositePartialAlphaOverWhite() throws Exception {
        BufferedImage rgba = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0xFF_C81E28); // opaque
        rgba.setRGB(1, 0, 0x80_1EB43C); // half transparent
        rgba.setRGB(2, 0, 0x00_283CDC); // fully transparent: its colour is never seen

        DecodedImage image = decoder.decode(TestImages.encode(rgba, ImageFormat.PNG), null);

        assertEquals(0xC81E28, rgbAt(image, 0, 0));
        // 255 - (255 - c) * 128 / 255, rounded, per channel.
        assertEquals(0x8ED99D, rgbAt(image, 1, 0));
        assertEquals(0xFFFFFF, rgbAt(image, 2, 0));
    }

    @Test
    void shouldCompositeGrayAlphaAndSixteenBitAlphaPngsOverWhite() throws Exception {
        ColorModel grayAlpha =
                new ComponentColorModel(
                        ColorSpace.getInstance(ColorSpace.CS_GRAY),
                        true,
                        false,
                        ColorModel.TRANSLUCENT,
                        DataBuffer.TYPE_BYTE);
        BufferedImage gray =
                new BufferedImage(
                        grayAlpha, grayAlpha.createCompatibleWritableRaster(2, 1), false, null);
        gray.getRaster().setPixel(0, 0, new int[] {0, 255});
        gray.getRaster().setPixel(1, 0, new int[] {0, 0});
        ColorModel rgba16 =
                new ComponentColorModel(
                        ColorSpace.getInstance(ColorSpace.CS_sRGB),
                        true,
                        false,
                        ColorModel.TRANSLUCENT,
                        DataBuffer.TYPE_USHORT);
        BufferedImage deep =
                new BufferedImage(rgba16, rgba16.createCompatibleWritableRaster(2, 1), false, null);
        deep.getRaster().setPixel(0, 0, new int[] {65535, 0, 0, 65535});
        deep.getRaster().setPixel(1, 0, new int[] {0, 0, 0, 32768});

        DecodedImage grayImage = decoder.decode(TestImages.encode(gray, ImageFormat.PNG), null);
        DecodedImage deepImage = decoder.decode(TestImages.encode(deep, ImageFormat.PNG), null);

        assertEquals(0x000000, rgbAt(grayImage, 0, 0));
        assertEquals(0xFFFFFF, rgbAt(grayImage, 1, 0));
        assertEquals(0xFF0000, rgbAt(deepImage, 0, 0));
        assertEquals(0x7F7F7F, rgbAt(deepImage, 1, 0));
    }

    @Test
    void shouldCompositeTransparentPaletteEntriesOverWhite() throws Exception {
        byte[] reds = {(byte) 0xC8, 0x00};
        byte[] greens = {0x1E, 0x00};
        byte[] blues = {0x28, 0x00};
        byte[] alphas = {(byte) 0xFF, 0x00};
        IndexColorModel palette = new IndexColorModel(8, 2, reds, greens, blues, alphas);
        BufferedImage indexed = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, palette);
        indexed.getRaster().setSample(0, 0, 0, 0);
        indexed.getRaster().setSample(1, 0, 0, 1);

        for (ImageFormat format : List.of(ImageFormat.PNG, ImageFormat.GIF)) {
            DecodedImage image = decoder.decode(TestImages.encode(indexed, format), null);

            assertEquals(0xC81E28, rgbAt(image, 0, 0), format.name());
            assertEquals(0xFFFFFF, rgbAt(image, 1, 0), format.name());
        }
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
    void shouldRejectAHugeDeclaredPngFromTheHeaderWithoutAllocatingPixels() {
        byte[] png = TestImages.pngHeaderDeclaring(50_000, 50_000);

        // 7.5 GB as RGB: only a check of the header, before any allocation, passes.
        ImageRejectedException rejection =
                assertAllocatesLittle(() -> assertRejected(Reason.IMAGE_TOO_LARGE, png, null));

        assertEquals(
                "PNG image is 50000x50000 = 2500000000 pixels, over the limit of 40000000"
                        + " (image.max.pixels)",
                rejection.getMessage());
    }

    @Test
    void shouldRejectAHugeDeclaredJpegFromTheHeaderWithoutAllocatingPixels() {
        byte[] small =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.JPEG);
        byte[] jpeg = TestImages.withJpegFrameSize(small, 50_000, 50_000);

        ImageRejectedException rejection =
                assertAllocatesLittle(
                        () -> assertRejected(Reason.IMAGE_TOO_LARGE, jpeg, "image/jpeg"));

        assertEquals(
                "JPEG image is 50000x50000 = 2500000000 pixels, over the limit of 40000000"
                        + " (image.max.pixels)",
                rejection.getMessage());
    }

    @Test
    void shouldRejectAPngDeclaringMorePixelsThanItsDataCouldInflateTo() {
        // Under the pixel limit, so only the size of the data gives this one away.
        byte[] png = TestImages.pngHeaderDeclaring(3000, 3000);

        ImageRejectedException rejection =
                assertAllocatesLittle(() -> assertRejected(Reason.UNDECODABLE_IMAGE, png, null));

        assertEquals(
                "PNG declares 3000x3000 pixels, more than its "
                        + png.length
                        + " bytes can hold (truncated or a decompression bomb)",
                rejection.getMessage());
    }

    @Test
    void shouldRejectAJpegDeclaringMorePixelsThanItsDataCouldHold() {
        // Plain ImageIO allocates a 108 MB image for this and decodes grey for 0.2 s.
        byte[] small = TestImages.encode(TestImages.noise(16, 16, 4), ImageFormat.JPEG);
        byte[] jpeg = TestImages.withJpegFrameSize(small, 6000, 6000);

        assertAllocatesLittle(() -> assertRejected(Reason.UNDECODABLE_IMAGE, jpeg, null));
    }

    @Test
    void shouldRejectAGifDeclaringMorePixelsThanItsDataCouldHold() throws Exception {
        byte[] small = TestImages.encode(solid(0xC81E28), ImageFormat.GIF);
        byte[] gif = TestImages.withGifSize(small, 6000, 6000);
        // The trap this guards against: the GIF reader returns the image, all but a corner blank.
        assertEquals(6000, ImageIO.read(new ByteArrayInputStream(gif)).getWidth());

        assertAllocatesLittle(() -> assertRejected(Reason.UNDECODABLE_IMAGE, gif, null));
    }

    @Test
    void shouldRejectAnUncompressedBmpShorterThanItsDeclaredPixels() {
        // The JDK reader refuses this one itself before allocating; kept so that it stays so.
        byte[] bmp = TestImages.bmpDeclaring(3000, 3000, 0, new byte[64]);

        assertAllocatesLittle(() -> assertRejected(Reason.UNDECODABLE_IMAGE, bmp, null));
    }

    /** The bounds are the formats' best cases: the most compressible real images pass them. */
    @ParameterizedTest
    @EnumSource(names = {"PNG", "GIF", "JPEG", "BMP"})
    void shouldDecodeFlatImagesCompressedAsFarAsTheirEncoderCan(ImageFormat format) {
        BufferedImage flat = new BufferedImage(2000, 2000, BufferedImage.TYPE_BYTE_GRAY);
        byte[] encoded = TestImages.encode(flat, format);

        DecodedImage image = assertDoesNotThrow(() -> decoder.decode(encoded, null));

        assertEquals(2000, image.width());
        assertEquals(0, rgbAt(image, 1999, 1999));
    }

    @Test
    void shouldDecodeAFlatPngDeflatedAtTheBestRatioZlibReaches() throws Exception {
        // 9 MB of samples in under 9 KB, against a bound of 1032:1.
        byte[] png = TestImages.maximallyDeflatedBlackPng(3000, 3000);
        assertTrue(png.length < 9_000_000 / 1000, "the file is " + png.length + " bytes");

        DecodedImage image = decoder.decode(png, null);

        assertEquals(3000, image.width());
    }

    @Test
    void shouldNotInflateCompressedTextChunks() throws Exception {
        // 64 MiB of text in 64 KB: a bomb for any reader that inflates metadata it was told to
        // skip.
        BufferedImage indexed =
                new BufferedImage(
                        2,
                        1,
                        BufferedImage.TYPE_BYTE_BINARY,
                        new IndexColorModel(
                                1, 2, new byte[] {0, -1}, new byte[] {0, 0}, new byte[] {0, 0}));
        byte[] png =
                TestImages.withChunkAfterHeader(
                        TestImages.encode(indexed, ImageFormat.PNG),
                        "zTXt",
                        TestImages.compressedText(64 << 20));

        DecodedImage image = assertAllocatesLittle(() -> decoder.decode(png, null));

        assertEquals(2, image.width());
    }

    @Test
    void shouldRejectDataOverTheByteLimitNamingTheSetting() throws Exception {
        byte[] png =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.PNG);
        JdkImageDecoder strict =
                new JdkImageDecoder(new DecoderLimits(png.length - 1, 1_000_000, 20));

        ImageRejectedException rejection =
                assertThrows(ImageRejectedException.class, () -> strict.decode(png, null));

        assertEquals(Reason.IMAGE_TOO_LARGE, rejection.reason());
        assertEquals(
                png.length
                        + " bytes exceed the limit of "
                        + (png.length - 1)
                        + " (image.max.bytes)",
                rejection.getMessage());
        assertEquals(
                WIDTH,
                new JdkImageDecoder(new DecoderLimits(png.length, 1_000_000, 20))
                        .decode(png, null)
                        .width());
    }

    @Test
    void shouldRejectALineLikeImageOverTheAspectRatioLimit() {
        byte[] png =
                TestImages.encode(
                        new BufferedImage(1, 100_000, BufferedImage.TYPE_BYTE_GRAY),
                        ImageFormat.PNG);

        ImageRejectedException rejection = assertRejected(Reason.IMAGE_TOO_LARGE, png, null);

        assertEquals(
                "PNG image is 1x100000, aspect ratio 100000:1, over the limit of 20:1"
                        + " (image.max.aspect.ratio)",
                rejection.getMessage());
    }

    @Test
    void shouldApplyTheAspectRatioLimitInclusivelyAndEitherWayRound() throws Exception {
        JdkImageDecoder decoder = new JdkImageDecoder(new DecoderLimits(1 << 20, 1 << 20, 2.5));

        for (int[] size : new int[][] {{5, 2}, {2, 5}, {1, 1}}) {
            byte[] png = TestImages.encode(TestImages.noise(size[0], size[1], 5), ImageFormat.PNG);
            assertEquals(size[1], decoder.decode(png, null).height());
        }
        for (int[] size : new int[][] {{6, 2}, {2, 6}}) {
            byte[] png = TestImages.encode(TestImages.noise(size[0], size[1], 5), ImageFormat.PNG);
            ImageRejectedException rejection =
                    assertThrows(ImageRejectedException.class, () -> decoder.decode(png, null));
            assertEquals(Reason.IMAGE_TOO_LARGE, rejection.reason());
            assertTrue(
                    rejection.getMessage().contains("aspect ratio 3:1, over the limit of 2.50:1"),
                    rejection.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"PNG", "BMP", "GIF", "JPEG"})
    void shouldDecodeASinglePixelAndTheThinnestImagesTheDefaultsAllow(ImageFormat format)
            throws Exception {
        for (int[] size : new int[][] {{1, 1}, {20, 1}, {1, 20}}) {
            BufferedImage image = new BufferedImage(size[0], size[1], BufferedImage.TYPE_3BYTE_BGR);
            for (int y = 0; y < size[1]; y++) {
                for (int x = 0; x < size[0]; x++) {
                    image.setRGB(x, y, 0xC81E28);
                }
            }

            DecodedImage decoded = decoder.decode(TestImages.encode(image, format), null);

            assertEquals(size[0], decoded.width());
            assertEquals(size[1], decoded.height());
            assertTrue(
                    TestImages.channelDistance(0xC81E28, rgbAt(decoded, 0, 0)) <= 8,
                    format + " " + size[0] + "x" + size[1]);
        }
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

    /**
     * Hostile input in bulk: valid files of every format with random bytes overwritten, or cut
     * short, must each end as an image or a rejection, never as another exception or a hang.
     */
    @ParameterizedTest
    @EnumSource(names = {"JPEG", "PNG", "GIF", "BMP"})
    void shouldEndEveryMutatedFileAsAnImageOrARejection(ImageFormat format) {
        // Small limits: a mutated header may declare any size, and the test is not about size.
        JdkImageDecoder small = new JdkImageDecoder(new DecoderLimits(1 << 20, 1 << 20, 20));
        byte[] valid = TestImages.encode(TestImages.noise(48, 32, 9), format);
        byte[] progressive = TestImages.jpeg(TestImages.noise(48, 32, 9), true);
        Random random = new Random(format.ordinal());
        for (int round = 0; round < 300; round++) {
            byte[] source = format == ImageFormat.JPEG && round % 2 == 1 ? progressive : valid;
            byte[] mutated;
            if (round % 3 == 0) {
                mutated = Arrays.copyOf(source, random.nextInt(source.length));
            } else {
                mutated = source.clone();
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    // Mostly in the first 128 bytes, where the headers are.
                    int at = random.nextInt(random.nextBoolean() ? 128 : mutated.length);
                    mutated[at % mutated.length] = (byte) random.nextInt(256);
                }
            }
            byte[] input = mutated;
            String what = format + " round " + round;
            assertTimeoutPreemptively(
                    Duration.ofSeconds(5),
                    () -> {
                        try {
                            small.decode(input, null);
                        } catch (ImageRejectedException expected) {
                            assertTrue(expected.getMessage().length() < 120);
                        }
                    },
                    what);
        }
    }

    /**
     * Where the four stored quadrants land for each EXIF orientation, from the tag's definition
     * (which side the stored top row and left column become): the output's top-left, top-right,
     * bottom-left and bottom-right quadrants, as indices of the stored ones in the same order.
     */
    private static final int[][] QUADRANTS_BY_ORIENTATION = {
        null,
        {0, 1, 2, 3}, // 1: as stored
        {1, 0, 3, 2}, // 2: mirrored left-right
        {3, 2, 1, 0}, // 3: turned 180 degrees
        {2, 3, 0, 1}, // 4: mirrored top-bottom
        {0, 2, 1, 3}, // 5: stored top row is the left side, stored left column the top
        {2, 0, 3, 1}, // 6: stored top row is the right side, stored left column the top
        {3, 1, 2, 0}, // 7: stored top row is the right side, stored left column the bottom
        {1, 3, 0, 2} // 8: stored top row is the left side, stored left column the bottom
    };

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void shouldTurnAJpegUprightByItsExifOrientation(int orientation) throws Exception {
        byte[] stored =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.JPEG);

        for (ByteOrder order : List.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN)) {
            DecodedImage image =
                    decoder.decode(
                            TestImages.withExifOrientation(stored, orientation, order), null);

            boolean turned = orientation >= 5;
            assertEquals(turned ? HEIGHT : WIDTH, image.width());
            assertEquals(turned ? WIDTH : HEIGHT, image.height());
            assertQuadrants(
                    image, QUADRANTS_BY_ORIENTATION[orientation], orientation + " " + order);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 9, 0x0106})
    void shouldIgnoreAnOrientationOutsideOneToEight(int orientation) throws Exception {
        byte[] stored =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.JPEG);

        DecodedImage image =
                decoder.decode(
                        TestImages.withExifOrientation(stored, orientation, ByteOrder.BIG_ENDIAN),
                        null);

        assertEquals(WIDTH, image.width());
        assertQuadrants(image, QUADRANTS_BY_ORIENTATION[1], "orientation " + orientation);
    }

    @Test
    void shouldSurviveATruncatedExifSegment() throws Exception {
        byte[] stored =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.JPEG);
        byte[] exifHeaderOnly =
                "Exif\0\0MM\0*\0\0\0\u0008\0\u0009".getBytes(StandardCharsets.ISO_8859_1);

        DecodedImage image =
                decoder.decode(TestImages.withSegmentAfterSoi(stored, 0xE1, exifHeaderOnly), null);

        assertQuadrants(image, QUADRANTS_BY_ORIENTATION[1], "truncated EXIF");
    }

    /** Inks as C, M, Y, K from 0 (none) to 255 (full), one per quadrant. */
    private static final int[][] INKS = {
        {0, 0, 0, 0}, {255, 0, 0, 0}, {200, 50, 0, 30}, {0, 160, 220, 60}
    };

    /**
     * What PIL's {@code convert("RGB")} makes of an ink: (255 - C) * (255 - K) / 255, and so on.
     */
    private static int rgbOfInk(int[] ink) {
        int rgb = 0;
        for (int channel = 0; channel < 3; channel++) {
            int value = Math.round((255 - ink[channel]) * (255 - ink[3]) / 255f);
            rgb = rgb << 8 | value;
        }
        return rgb;
    }

    private static int[] inkAt(int x, int y) {
        return INKS[(y < HEIGHT / 2 ? 0 : 2) + (x < WIDTH / 2 ? 0 : 1)];
    }

    @Test
    void shouldConvertAdobeCmykJpegsWhoseSamplesAreStoredInverted() throws Exception {
        // Photoshop's convention: an Adobe segment, and 255 - ink in every sample.
        byte[] jpeg =
                TestImages.withAdobeSegment(
                        TestImages.fourChannelJpeg(
                                TestImages.raster(
                                        WIDTH, HEIGHT, 4, (x, y) -> inverted(inkAt(x, y)))),
                        0);

        assertInkQuadrants(decoder.decode(jpeg, "image/jpeg"), "Adobe CMYK");
    }

    @Test
    void shouldConvertYcckJpegs() throws Exception {
        // YCCK is inverted CMYK whose C, M and Y went through the RGB to YCbCr transform as if
        // they were 255 - R, 255 - G and 255 - B, which is what libjpeg undoes on decoding.
        byte[] jpeg =
                TestImages.withAdobeSegment(
                        TestImages.fourChannelJpeg(
                                TestImages.raster(
                                        WIDTH, HEIGHT, 4, (x, y) -> ycck(inverted(inkAt(x, y))))),
                        2);

        assertInkQuadrants(decoder.decode(jpeg, null), "YCCK");
    }

    @Test
    void shouldTakeCmykWithoutAnAdobeSegmentAsStoredUninverted() throws Exception {
        byte[] jpeg =
                TestImages.fourChannelJpeg(
                        TestImages.raster(WIDTH, HEIGHT, 4, (x, y) -> inkAt(x, y)));

        assertInkQuadrants(decoder.decode(jpeg, null), "plain CMYK");
    }

    private static int[] inverted(int[] ink) {
        int[] stored = new int[4];
        for (int i = 0; i < 4; i++) {
            stored[i] = 255 - ink[i];
        }
        return stored;
    }

    private static int[] ycck(int[] cmyk) {
        double r = 255 - cmyk[0];
        double g = 255 - cmyk[1];
        double b = 255 - cmyk[2];
        return new int[] {
            clamp(0.299 * r + 0.587 * g + 0.114 * b),
            clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128),
            clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128),
            cmyk[3]
        };
    }

    private static int clamp(double sample) {
        return (int) Math.max(0, Math.min(255, Math.round(sample)));
    }

    private static void assertInkQuadrants(DecodedImage image, String what) {
        assertEquals(WIDTH, image.width(), what);
        for (int y = 4; y < HEIGHT; y += HEIGHT / 2) {
            for (int x = 4; x < WIDTH; x += WIDTH / 2) {
                for (int[] at : new int[][] {{x, y}, {x + WIDTH / 2 - 9, y + HEIGHT / 2 - 9}}) {
                    int expected = rgbOfInk(inkAt(at[0], at[1]));
                    int actual = rgbAt(image, at[0], at[1]);
                    assertTrue(
                            TestImages.channelDistance(expected, actual) <= 8,
                            () ->
                                    what
                                            + " pixel "
                                            + at[0]
                                            + ","
                                            + at[1]
                                            + ": "
                                            + Integer.toHexString(actual)
                                            + " is not "
                                            + Integer.toHexString(expected));
                }
            }
        }
    }

    @Test
    void shouldDecodeAProgressiveJpeg() throws Exception {
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), true);
        assertEquals(0xC2, jpeg[TestImages.frameMarkerOffset(jpeg) + 1] & 0xFF, "SOF2");

        DecodedImage image = decoder.decode(jpeg, null);

        assertQuadrants(image, QUADRANTS_BY_ORIENTATION[1], "progressive");
    }

    @Test
    void shouldRejectATruncatedProgressiveJpeg() {
        byte[] jpeg = TestImages.jpeg(TestImages.noise(256, 192, 6), true);

        assertRejected(Reason.UNDECODABLE_IMAGE, Arrays.copyOf(jpeg, jpeg.length * 2 / 3), null);
    }

    @ParameterizedTest
    @ValueSource(ints = {0xC3, 0xC5, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
    void shouldRejectJpegCodingProcessesTheJdkDoesNotDecodeAsUnsupported(int frameMarker) {
        byte[] jpeg =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.JPEG);
        jpeg[TestImages.frameMarkerOffset(jpeg) + 1] = (byte) frameMarker;

        ImageRejectedException rejection = assertRejected(Reason.UNSUPPORTED_FORMAT, jpeg, null);

        assertTrue(
                rejection
                        .getMessage()
                        .matches(
                                "JPEG with (lossless|hierarchical|arithmetic) coding is not"
                                        + " supported; send a baseline or progressive JPEG"),
                rejection.getMessage());
    }

    @Test
    void shouldRejectATwelveBitJpegAsUnsupported() {
        byte[] jpeg =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.JPEG);
        int sof = TestImages.frameMarkerOffset(jpeg);
        jpeg[sof + 1] = (byte) 0xC1; // extended sequential, the process 12-bit files use
        jpeg[sof + 4] = 12;

        ImageRejectedException rejection = assertRejected(Reason.UNSUPPORTED_FORMAT, jpeg, null);

        assertEquals(
                "JPEG with 12-bit samples is not supported; send an 8-bit JPEG",
                rejection.getMessage());
    }

    @Test
    void shouldRejectABmpWrappingAJpegAsUnsupported() {
        // The JDK reader would decode the embedded JPEG at its own size, unchecked.
        byte[] embedded = TestImages.encode(TestImages.noise(300, 300, 8), ImageFormat.JPEG);
        byte[] bmp = TestImages.bmpDeclaring(10, 10, 4, embedded);

        ImageRejectedException rejection = assertRejected(Reason.UNSUPPORTED_FORMAT, bmp, null);

        assertEquals(
                "BMP with embedded JPEG data is not supported; send the JPEG itself",
                rejection.getMessage());
    }

    @Test
    void shouldRejectAJpegWithoutAFrameHeaderAsUndecodable() {
        byte[] jpeg =
                TestImages.encode(
                        TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), ImageFormat.JPEG);
        int sof = TestImages.frameMarkerOffset(jpeg);
        jpeg[sof + 1] = (byte) 0xFE; // the frame header becomes a comment

        assertRejected(Reason.UNDECODABLE_IMAGE, jpeg, null);
    }

    private static void assertQuadrants(DecodedImage image, int[] quadrants, String what) {
        int w = image.width();
        int h = image.height();
        // Each quadrant's middle, away from the borders that JPEG blurs.
        int[][] centres = {
            {w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}
        };
        for (int q = 0; q < 4; q++) {
            int expected = TestImages.QUADRANT_COLOURS[quadrants[q]];
            int actual = rgbAt(image, centres[q][0], centres[q][1]);
            assertTrue(
                    TestImages.channelDistance(expected, actual) <= 8,
                    what
                            + ": quadrant "
                            + q
                            + " is "
                            + Integer.toHexString(actual)
                            + ", not "
                            + Integer.toHexString(expected));
        }
    }

    /**
     * Runs {@code work} and checks it allocated at most 8 MB on the heap: far less than any of the
     * images the tests declare, so it shows no pixel buffer was made.
     */
    private static <T> T assertAllocatesLittle(ThrowingSupplier<T> work) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        T result;
        try {
            result = work.get();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 8_000_000, "allocated " + allocated + " bytes");
        return result;
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
