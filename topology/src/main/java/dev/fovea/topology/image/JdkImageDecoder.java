package dev.fovea.topology.image;

import dev.fovea.topology.Reason;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadProgressListener;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG, PNG, GIF and BMP with the JDK's own ImageIO readers, in pure Java, with no native
 * library beyond the JDK's, refusing within a bounded cost whatever it cannot or must not decode.
 *
 * <p>What it does, in order:
 *
 * <ol>
 *   <li>Data over {@link DecoderLimits#maxBytes()} is rejected before it is looked at.
 *   <li>The format is sniffed from the magic bytes; the declared content type is only consulted
 *       when no signature matches, to tell "unsupported format" from "broken file". The bytes win
 *       over a content type that says otherwise.
 *   <li>JPEGs other than 8-bit Huffman-coded baseline, extended or progressive ones (12-bit
 *       samples; the lossless, hierarchical and arithmetic-coded processes) are rejected from their
 *       frame marker as {@link Reason#UNSUPPORTED_FORMAT}: the JDK's 8-bit decoder refuses most of
 *       them anyway, whether it decodes arithmetic coding depends on the libjpeg the JDK build
 *       uses, and that coding's density would defeat the bomb check below. So are BMPs whose pixels
 *       are an embedded JPEG or PNG, which the JDK reader decodes at a size the BMP header does not
 *       declare.
 *   <li>The dimensions are read from the header and checked against the pixel and aspect ratio
 *       limits before any pixel memory is allocated, so a 50000x50000 PNG or JPEG of a few hundred
 *       bytes costs nothing. A header that declares more pixels than the file's bytes could hold
 *       even at the format's best compression (see {@link CompressionBound}) is rejected as
 *       undecodable, again before allocating: a truncated file or a decompression bomb.
 *   <li>The first image is decoded (for an animated GIF, its first frame, at that frame's own
 *       size). A reader warning raised while pixel rows are being decoded rejects the image: that
 *       is how the JDK's JPEG reader reports a truncated or corrupt file, and it fills the missing
 *       rows with grey rather than failing. Warnings raised while the header is read (an invalid
 *       embedded ICC profile, which is then ignored) do not affect pixels and are accepted.
 *   <li>The pixels are converted to 8-bit RGB: alpha is composited over white, gray is replicated,
 *       CMYK and YCCK JPEGs are converted as PIL converts them, minding the Adobe inversion; see
 *       {@link RgbConversion}.
 *   <li>A JPEG's EXIF orientation is applied, so the pixels are upright as a viewer shows them.
 * </ol>
 *
 * <p>Thread-safe: each call creates its own {@link ImageReader} (they are not shareable) from
 * provider instances looked up once here. Peak memory for one call is the reader's image (3 bytes a
 * pixel for most JPEGs, 4 for CMYK or 8-bit alpha, up to 8 for 16-bit RGBA PNGs) plus the RGB copy,
 * plus a second RGB copy for a rotated JPEG: 240 MB and up at the 40-megapixel default. A
 * progressive JPEG also holds its DCT coefficients in native memory while it decodes, about 2 bytes
 * per sample.
 *
 * <p>Known limits: a JPEG's embedded ICC profile is applied to RGB (converting to sRGB, as browsers
 * do, where {@code tf.io.decode_jpeg} and PIL ignore it) but not to CMYK. EXIF orientation is read
 * from JPEGs only. A PNG's compressed text and profile chunks are skipped, never inflated.
 */
public final class JdkImageDecoder implements ImageDecoder {

    /** Same as {@link DecoderLimits#DEFAULT_MAX_PIXELS}. */
    public static final long DEFAULT_MAX_PIXELS = DecoderLimits.DEFAULT_MAX_PIXELS;

    /** Same as {@link DecoderLimits#MAX_SUPPORTED_PIXELS}. */
    public static final long MAX_SUPPORTED_PIXELS = DecoderLimits.MAX_SUPPORTED_PIXELS;

    private final DecoderLimits limits;
    private final Map<ImageFormat, ImageReaderSpi> readerProviders =
            new EnumMap<>(ImageFormat.class);

    /** With {@link DecoderLimits#DEFAULTS}. */
    public JdkImageDecoder() {
        this(DecoderLimits.DEFAULTS);
    }

    /**
     * With the default limits but for the pixel limit.
     *
     * @param maxPixels 1 to {@link #MAX_SUPPORTED_PIXELS}
     */
    public JdkImageDecoder(long maxPixels) {
        this(DecoderLimits.withMaxPixels(maxPixels));
    }

    public JdkImageDecoder(DecoderLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        for (ImageFormat format : ImageFormat.values()) {
            if (format.supported()) {
                readerProviders.put(format, findReaderProvider(format));
            }
        }
    }

    public DecoderLimits limits() {
        return limits;
    }

    @Override
    public DecodedImage decode(byte[] data, String contentTypeOrNull)
            throws ImageRejectedException {
        if (data == null || data.length == 0) {
            throw new ImageRejectedException(Reason.UNDECODABLE_IMAGE, "image data is empty");
        }
        if (data.length > limits.maxBytes()) {
            throw new ImageRejectedException(
                    Reason.IMAGE_TOO_LARGE,
                    data.length
                            + " bytes exceed the limit of "
                            + limits.maxBytes()
                            + " ("
                            + DecoderLimits.MAX_BYTES_KEY
                            + ")");
        }
        ImageFormat format = detectFormat(data, contentTypeOrNull);
        JpegHeader jpeg = format == ImageFormat.JPEG ? JpegHeader.parse(data) : null;
        BmpHeader bmp = format == ImageFormat.BMP ? BmpHeader.parse(data) : null;
        if (jpeg != null) {
            checkJpegProcess(jpeg);
        }
        if (bmp != null && bmp.embedsAnotherFormat()) {
            throw new ImageRejectedException(
                    Reason.UNSUPPORTED_FORMAT,
                    "BMP with embedded "
                            + bmp.embeddedFormatName()
                            + " data is not supported; send the "
                            + bmp.embeddedFormatName()
                            + " itself");
        }

        BufferedImage image = readFirstImage(format, data, jpeg);
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] rgb =
                jpeg != null && isCmyk(image)
                        ? RgbConversion.fromJdkCmyk(image, jpeg.adobe)
                        : RgbConversion.toRgb(image);
        image = null; // the reader's pixels may be collected while a rotated copy is made
        return Orientation.upright(jpeg == null ? 1 : jpeg.orientation, width, height, rgb, format);
    }

    private static ImageFormat detectFormat(byte[] data, String contentTypeOrNull)
            throws ImageRejectedException {
        Optional<ImageFormat> sniffed = ImageFormat.sniff(data);
        if (sniffed.isPresent()) {
            if (!sniffed.get().supported()) {
                throw unsupported(sniffed.get());
            }
            return sniffed.get();
        }
        Optional<ImageFormat> declared = ImageFormat.fromContentType(contentTypeOrNull);
        if (declared.isPresent() && !declared.get().supported()) {
            throw unsupported(declared.get());
        }
        throw new ImageRejectedException(
                Reason.UNDECODABLE_IMAGE, "data does not start with a known image signature");
    }

    private static ImageRejectedException unsupported(ImageFormat format) {
        return new ImageRejectedException(
                Reason.UNSUPPORTED_FORMAT,
                format + " images are not supported; send JPEG, PNG, GIF or BMP");
    }

    /** Without a frame header the JDK reader decides; it will find the file broken. */
    private static void checkJpegProcess(JpegHeader jpeg) throws ImageRejectedException {
        if (jpeg.frameMarker < 0) {
            return;
        }
        if (!jpeg.isHuffmanSequentialOrProgressive()) {
            throw new ImageRejectedException(
                    Reason.UNSUPPORTED_FORMAT,
                    "JPEG with "
                            + jpeg.processName()
                            + " is not supported; send a baseline or progressive JPEG");
        }
        if (jpeg.precision != 8) {
            throw new ImageRejectedException(
                    Reason.UNSUPPORTED_FORMAT,
                    "JPEG with "
                            + jpeg.precision
                            + "-bit samples is not supported; send an 8-bit JPEG");
        }
    }

    private BufferedImage readFirstImage(ImageFormat format, byte[] data, JpegHeader jpeg)
            throws ImageRejectedException {
        // A memory-cached stream over the array: ImageIO.createImageInputStream would spill to a
        // temporary file unless the global ImageIO.setUseCache(false) were set.
        try (ImageInputStream input =
                new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader reader = readerProviders.get(format).createReaderInstance();
            try {
                // Ignoring metadata also keeps the PNG reader from inflating text and profile
                // chunks, which could be bombs of their own.
                reader.setInput(input, true, true);
                PixelWarningDetector warnings = new PixelWarningDetector();
                reader.addIIOReadWarningListener(warnings);
                reader.addIIOReadProgressListener(warnings);

                // The size the reader itself will allocate for, read from the header alone.
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                checkSize(format, width, height);
                if (CompressionBound.cannotHold(format, data, width, height, jpeg)) {
                    throw new ImageRejectedException(
                            Reason.UNDECODABLE_IMAGE,
                            format
                                    + " declares "
                                    + width
                                    + "x"
                                    + height
                                    + " pixels, more than its "
                                    + data.length
                                    + " bytes can hold (truncated or a decompression bomb)");
                }
                BufferedImage image = reader.read(0);
                if (warnings.warnedDuringPixels()) {
                    throw corrupt(format, null);
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            // The readers signal bad data with IIOException, EOFException and, on some malformed
            // inputs, runtime exceptions (index out of bounds, illegal arguments, CMMException).
            throw corrupt(format, e);
        }
    }

    private void checkSize(ImageFormat format, int width, int height)
            throws ImageRejectedException {
        if (width <= 0 || height <= 0) {
            throw new ImageRejectedException(
                    Reason.UNDECODABLE_IMAGE,
                    format + " header declares an empty image (" + width + "x" + height + ")");
        }
        String image = format + " image is " + width + "x" + height;
        long pixels = (long) width * height;
        if (pixels > limits.maxPixels()) {
            throw new ImageRejectedException(
                    Reason.IMAGE_TOO_LARGE,
                    image
                            + " = "
                            + pixels
                            + " pixels, over the limit of "
                            + limits.maxPixels()
                            + " ("
                            + DecoderLimits.MAX_PIXELS_KEY
                            + ")");
        }
        double ratio = (double) Math.max(width, height) / Math.min(width, height);
        if (ratio > limits.maxAspectRatio()) {
            throw new ImageRejectedException(
                    Reason.IMAGE_TOO_LARGE,
                    image
                            + ", aspect ratio "
                            + DecoderLimits.formatRatio(ratio)
                            + ":1, over the limit of "
                            + DecoderLimits.formatRatio(limits.maxAspectRatio())
                            + ":1 ("
                            + DecoderLimits.MAX_ASPECT_RATIO_KEY
                            + ")");
        }
    }

    private static boolean isCmyk(BufferedImage image) {
        return image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_CMYK
                && image.getRaster().getNumBands() == 4;
    }

    private static ImageRejectedException corrupt(ImageFormat format, Throwable cause) {
        return new ImageRejectedException(
                Reason.UNDECODABLE_IMAGE, format + " data is truncated or corrupt", cause);
    }

    private static ImageReaderSpi findReaderProvider(ImageFormat format) {
        // ImageIO's format names for the four supported formats are their enum names in lower case.
        Iterator<ImageReader> readers =
                ImageIO.getImageReadersByFormatName(format.name().toLowerCase(Locale.ROOT));
        if (!readers.hasNext()) {
            throw new IllegalStateException("this JDK has no ImageIO reader for " + format);
        }
        ImageReader probe = readers.next();
        ImageReaderSpi provider = probe.getOriginatingProvider();
        probe.dispose();
        return provider;
    }

    /**
     * Notes whether a warning arrived between the start and the end of pixel decoding. Only two of
     * the progress callbacks matter; the others are required by the interface.
     */
    private static final class PixelWarningDetector
            implements IIOReadWarningListener, IIOReadProgressListener {
        private boolean decodingPixels;
        private boolean warnedDuringPixels;

        boolean warnedDuringPixels() {
            return warnedDuringPixels;
        }

        @Override
        public void warningOccurred(ImageReader source, String warning) {
            warnedDuringPixels |= decodingPixels;
        }

        @Override
        public void imageStarted(ImageReader source, int imageIndex) {
            decodingPixels = true;
        }

        @Override
        public void imageComplete(ImageReader source) {
            decodingPixels = false;
        }

        @Override
        public void sequenceStarted(ImageReader source, int minIndex) {}

        @Override
        public void sequenceComplete(ImageReader source) {}

        @Override
        public void imageProgress(ImageReader source, float percentageDone) {}

        @Override
        public void thumbnailStarted(ImageReader source, int imageIndex, int thumbnailIndex) {}

        @Override
        public void thumbnailProgress(ImageReader source, float percentageDone) {}

        @Override
        public void thumbnailComplete(ImageReader source) {}

        @Override
        public void readAborted(ImageReader source) {}
    }
}
