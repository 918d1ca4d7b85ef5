package dev.fovea.topology.image;

/**
 * Whether a file's bytes can possibly hold the pixels its header declares: a header that declares
 * far more than its data can code is a truncated file or a decompression bomb, and refusing it
 * before decoding saves allocating and filling an image that would be rejected anyway (or, for GIF,
 * silently returned with its missing rows blank).
 *
 * <p>Each bound is the best case of the format's coding, not a typical ratio, so no valid file can
 * fail it: an image of one flat colour still needs the data these bounds ask for.
 *
 * <p>BMP needs none: the JDK reader itself refuses uncompressed pixel data shorter than the header
 * declares, and run-length encoded pixels have no bound, since an end-of-bitmap code may
 * legitimately leave most of a large bitmap unwritten.
 */
final class CompressionBound {

    /**
     * Deflate's best case is 1032:1: a match of 258 bytes coded as a 1-bit length and a 1-bit
     * distance. zlib itself reaches about 1030:1 on flat data, so the bound is tight but safe.
     */
    private static final long DEFLATE_MAX_RATIO = 1032;

    /**
     * A GIF LZW code of w bits names a table entry below 2^w, whose string is at most 2^w pixels
     * long; 2^w / w peaks at 12 bits, the widest code: 4096 pixels per 12 bits.
     */
    private static final long LZW_MAX_PIXELS_PER_BYTE = 4096 * 8 / 12 + 1;

    /**
     * A Huffman-coded JPEG spends at least one bit on the DC coefficient of every 8x8 block of a
     * component in its first scan; the component with the fewest blocks gives the bound.
     */
    private static final long JPEG_MAX_BLOCKS_PER_BYTE = 8;

    private CompressionBound() {}

    /**
     * @param width the width the header declares, positive
     * @param height the height the header declares, positive, with width times height already
     *     within the pixel limit
     * @param jpegOrNull the parsed header, for a JPEG
     */
    static boolean cannotHold(
            ImageFormat format, byte[] data, int width, int height, JpegHeader jpegOrNull) {
        long pixels = (long) width * height;
        return switch (format) {
            case PNG -> pngCannotHold(data, pixels);
            case GIF -> pixels > LZW_MAX_PIXELS_PER_BYTE * ((long) data.length + 1);
            case JPEG ->
                    jpegOrNull != null
                            && jpegOrNull.fewestComponentBlocks
                                    > JPEG_MAX_BLOCKS_PER_BYTE * (long) data.length;
            default -> false;
        };
    }

    /**
     * Compares the fewest bytes the declared pixels take before compression (without the per-row
     * filter bytes, and so also a lower bound for interlaced images) with what the IDAT chunks can
     * inflate to.
     */
    private static boolean pngCannotHold(byte[] data, long pixels) {
        if (data.length < 33 || !isChunkType(data, 12, "IHDR")) {
            return false;
        }
        int bitDepth = data[24] & 0xFF;
        int channels =
                switch (data[25] & 0xFF) {
                    case 0, 3 -> 1; // gray, palette
                    case 2 -> 3; // RGB
                    case 4 -> 2; // gray and alpha
                    case 6 -> 4; // RGBA
                    default -> 0;
                };
        if (channels == 0 || bitDepth < 1 || bitDepth > 16) {
            return false; // the JDK reader rejects these itself
        }
        long minimumRawBytes = pixels * bitDepth * channels / 8;
        return minimumRawBytes > DEFLATE_MAX_RATIO * (idatBytes(data) + 1);
    }

    /** The bytes of all IDAT chunks together, as far as the file really holds them. */
    private static long idatBytes(byte[] data) {
        long total = 0;
        long pos = 8;
        while (pos + 8 <= data.length) {
            int at = (int) pos;
            long length =
                    (data[at] & 0xFFL) << 24
                            | (data[at + 1] & 0xFF) << 16
                            | (data[at + 2] & 0xFF) << 8
                            | (data[at + 3] & 0xFF);
            if (isChunkType(data, at + 4, "IDAT")) {
                total += Math.min(length, data.length - pos - 8);
            } else if (isChunkType(data, at + 4, "IEND")) {
                break;
            }
            pos += 12 + length;
        }
        return total;
    }

    private static boolean isChunkType(byte[] data, int pos, String type) {
        for (int i = 0; i < 4; i++) {
            if (data[pos + i] != type.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
