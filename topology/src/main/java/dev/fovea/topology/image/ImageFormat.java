package dev.fovea.topology.image;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The image container formats Fovea recognises, and whether it can decode them.
 *
 * <p>Recognising a format we cannot decode (WebP, TIFF, HEIF, AVIF) matters: it lets a rejection
 * say {@link dev.fovea.topology.Reason#UNSUPPORTED_FORMAT} ("send a JPEG instead") rather than
 * {@link dev.fovea.topology.Reason#UNDECODABLE_IMAGE} ("your file is broken").
 */
public enum ImageFormat {
    JPEG(true, "image/jpeg", "image/jpg", "image/pjpeg"),
    PNG(true, "image/png", "image/x-png", "image/apng"),
    GIF(true, "image/gif"),
    BMP(true, "image/bmp", "image/x-bmp", "image/x-ms-bmp"),
    WEBP(false, "image/webp"),
    TIFF(false, "image/tiff", "image/tiff-fx"),
    HEIF(false, "image/heif", "image/heic", "image/heif-sequence", "image/heic-sequence"),
    AVIF(false, "image/avif");

    private static final Set<String> HEIF_BRANDS =
            Set.of("heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1");

    private final boolean supported;
    private final List<String> contentTypes;

    ImageFormat(boolean supported, String... contentTypes) {
        this.supported = supported;
        this.contentTypes = List.of(contentTypes);
    }

    /** Whether {@link JdkImageDecoder} can decode this format. */
    public boolean supported() {
        return supported;
    }

    /**
     * Identifies the format from the leading magic bytes; empty when no known signature matches.
     * Never throws, whatever the input.
     */
    public static Optional<ImageFormat> sniff(byte[] data) {
        if (data == null) {
            return Optional.empty();
        }
        if (hasBytesAt(data, 0, 0xFF, 0xD8, 0xFF)) {
            return Optional.of(JPEG);
        }
        if (hasBytesAt(data, 0, 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n')) {
            return Optional.of(PNG);
        }
        if (hasAsciiAt(data, 0, "GIF87a") || hasAsciiAt(data, 0, "GIF89a")) {
            return Optional.of(GIF);
        }
        if (isBmp(data)) {
            return Optional.of(BMP);
        }
        if (hasAsciiAt(data, 0, "RIFF") && hasAsciiAt(data, 8, "WEBP")) {
            return Optional.of(WEBP);
        }
        // Classic TIFF is II*\0 or MM\0*; BigTIFF uses 43 (+) instead of 42 (*).
        if (hasBytesAt(data, 0, 'I', 'I', 42, 0)
                || hasBytesAt(data, 0, 'M', 'M', 0, 42)
                || hasBytesAt(data, 0, 'I', 'I', 43, 0)
                || hasBytesAt(data, 0, 'M', 'M', 0, 43)) {
            return Optional.of(TIFF);
        }
        return sniffIsoBaseMedia(data);
    }

    /**
     * The format a media type names, ignoring case and parameters ({@code "Image/JPEG; q=1"} is
     * JPEG); empty for null, blank or unknown types such as {@code application/octet-stream}.
     */
    public static Optional<ImageFormat> fromContentType(String contentType) {
        if (contentType == null) {
            return Optional.empty();
        }
        int semicolon = contentType.indexOf(';');
        String mediaType =
                (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
                        .trim()
                        .toLowerCase(Locale.ROOT);
        for (ImageFormat format : values()) {
            if (format.contentTypes.contains(mediaType)) {
                return Optional.of(format);
            }
        }
        return Optional.empty();
    }

    /**
     * "BM" alone is too weak a signature (two ASCII letters start plenty of text), so we also
     * require a known DIB header size at offset 14: 12 (OS/2 v1), 16 or 64 (OS/2 v2), 40
     * (BITMAPINFOHEADER), 52, 56 (Adobe), 108 (v4) or 124 (v5).
     */
    private static boolean isBmp(byte[] data) {
        if (!hasAsciiAt(data, 0, "BM") || data.length < 18) {
            return false;
        }
        int dibHeaderSize =
                (data[14] & 0xFF)
                        | (data[15] & 0xFF) << 8
                        | (data[16] & 0xFF) << 16
                        | (data[17] & 0xFF) << 24;
        return switch (dibHeaderSize) {
            case 12, 16, 40, 52, 56, 64, 108, 124 -> true;
            default -> false;
        };
    }

    /**
     * HEIF and AVIF are ISO base media files: a leading {@code ftyp} box lists a major brand and
     * compatible brands. AVIF files often carry the generic HEIF brand {@code mif1} as their major
     * brand and {@code avif} only among the compatible ones, so every brand in the box is looked at
     * and an AVIF brand anywhere wins. MP4 video shares the box layout but not these brands.
     */
    private static Optional<ImageFormat> sniffIsoBaseMedia(byte[] data) {
        if (data.length < 12 || !hasAsciiAt(data, 4, "ftyp")) {
            return Optional.empty();
        }
        long boxSize =
                (data[0] & 0xFFL) << 24
                        | (data[1] & 0xFF) << 16
                        | (data[2] & 0xFF) << 8
                        | (data[3] & 0xFF);
        int boxEnd = (int) Math.min(boxSize, data.length);
        // The major brand sits at offset 8; compatible brands follow a 4-byte minor version.
        Set<String> brands = new HashSet<>();
        brands.add(ascii(data, 8, 4));
        for (int offset = 16; offset + 4 <= boxEnd; offset += 4) {
            brands.add(ascii(data, offset, 4));
        }
        if (brands.contains("avif") || brands.contains("avis")) {
            return Optional.of(AVIF);
        }
        if (brands.stream().anyMatch(HEIF_BRANDS::contains)) {
            return Optional.of(HEIF);
        }
        return Optional.empty();
    }

    private static String ascii(byte[] data, int offset, int length) {
        return new String(data, offset, length, StandardCharsets.ISO_8859_1);
    }

    private static boolean hasBytesAt(byte[] data, int offset, int... signature) {
        if (data.length < offset + signature.length) {
            return false;
        }
        for (int i = 0; i < signature.length; i++) {
            if ((data[offset + i] & 0xFF) != signature[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasAsciiAt(byte[] data, int offset, String signature) {
        return hasBytesAt(data, offset, signature.chars().toArray());
    }
}
