package dev.fovea.topology.image;

import dev.fovea.topology.Reason;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
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
 * library beyond the JDK's.
 *
 * <p>What it does, in order:
 *
 * <ol>
 *   <li>The format is sniffed from the magic bytes; the declared content type is only consulted
 *       when no signature matches, to tell "unsupported format" from "broken file". The bytes win
 *       over a content type that says otherwise.
 *   <li>The dimensions are read from the header and checked against {@code maxPixels} before any
 *       pixel memory is allocated, so a 50000x50000 PNG of a few hundred bytes costs nothing.
 *   <li>The first image is decoded (for an animated GIF, its first frame, at that frame's own
 *       size). A reader warning raised while pixel rows are being decoded rejects the image: that
 *       is how the JDK's JPEG reader reports a truncated or corrupt file, and it fills the missing
 *       rows with grey rather than failing. Warnings raised while the header is read (an invalid
 *       embedded ICC profile, which is then ignored) do not affect pixels and are accepted.
 *   <li>The pixels are converted to 8-bit RGB: alpha is dropped and gray is replicated, see {@link
 *       RgbConversion}.
 * </ol>
 *
 * <p>Thread-safe: each call creates its own {@link ImageReader} (they are not shareable) from
 * provider instances looked up once here. Peak memory for one call is the reader's image (3 bytes a
 * pixel for most JPEGs, more with alpha or 16 bits) plus the RGB copy: 240 MB and up at the
 * 40-megapixel default.
 *
 * <p>Known limits of the JDK readers: CMYK/YCCK JPEGs and 12-bit JPEGs are rejected as undecodable;
 * a JPEG's embedded ICC profile is applied (converting to sRGB, as browsers do, where {@code
 * tf.io.decode_jpeg} and PIL ignore it).
 */
public final class JdkImageDecoder implements ImageDecoder {

    /**
     * 40 megapixels, 120 MB as RGB: above the 12 to 24 megapixels phone cameras save by default.
     */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    /** The RGB output is one byte array, and a Java array holds at most about 2^31 elements. */
    public static final long MAX_SUPPORTED_PIXELS = (Integer.MAX_VALUE - 8) / 3;

    private final long maxPixels;
    private final Map<ImageFormat, ImageReaderSpi> readerProviders =
            new EnumMap<>(ImageFormat.class);

    public JdkImageDecoder() {
        this(DEFAULT_MAX_PIXELS);
    }

    /**
     * @param maxPixels images whose header declares more pixels (width times height) than this are
     *     rejected as {@link Reason#IMAGE_TOO_LARGE}; 1 to {@link #MAX_SUPPORTED_PIXELS}
     */
    public JdkImageDecoder(long maxPixels) {
        if (maxPixels < 1 || maxPixels > MAX_SUPPORTED_PIXELS) {
            throw new IllegalArgumentException(
                    "maxPixels must be between 1 and "
                            + MAX_SUPPORTED_PIXELS
                            + ", got "
                            + maxPixels);
        }
        this.maxPixels = maxPixels;
        for (ImageFormat format : ImageFormat.values()) {
            if (format.supported()) {
                readerProviders.put(format, findReaderProvider(format));
            }
        }
    }

    @Override
    public DecodedImage decode(byte[] data, String contentTypeOrNull)
            throws ImageRejectedException {
        if (data == null || data.length == 0) {
            throw new ImageRejectedException(Reason.UNDECODABLE_IMAGE, "image data is empty");
        }
        ImageFormat format = detectFormat(data, contentTypeOrNull);
        BufferedImage image = readFirstImage(format, data);
        return new DecodedImage(
                image.getWidth(), image.getHeight(), RgbConversion.toRgb(image), format);
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

    private BufferedImage readFirstImage(ImageFormat format, byte[] data)
            throws ImageRejectedException {
        // A memory-cached stream over the array: ImageIO.createImageInputStream would spill to a
        // temporary file unless the global ImageIO.setUseCache(false) were set.
        try (ImageInputStream input =
                new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader reader = readerProviders.get(format).createReaderInstance();
            try {
                reader.setInput(input, true, true);
                PixelWarningDetector warnings = new PixelWarningDetector();
                reader.addIIOReadWarningListener(warnings);
                reader.addIIOReadProgressListener(warnings);

                checkSize(format, reader.getWidth(0), reader.getHeight(0));
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
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new ImageRejectedException(
                    Reason.IMAGE_TOO_LARGE,
                    format
                            + " image is "
                            + width
                            + "x"
                            + height
                            + " ("
                            + pixels
                            + " pixels), over the limit of "
                            + maxPixels
                            + " pixels");
        }
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
