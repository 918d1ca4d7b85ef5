package dev.fovea.topology.image;

import java.nio.charset.StandardCharsets;

/**
 * What {@link JdkImageDecoder} needs from a JPEG's markers that the JDK reader does not offer: the
 * coding process of the frame, the sampling of its components, the Adobe colour transform and the
 * EXIF orientation.
 *
 * <p>Parsing walks the marker segments from SOI to the first SOS and reads only inside each
 * segment's declared length, so any input costs at most one pass over its bytes and no allocation
 * beyond this object. A structure it cannot follow ends the walk with what was found so far: the
 * JDK reader, which decodes the file afterwards, is the judge of whether the file is broken.
 */
final class JpegHeader {

    /** The EXIF tag of the orientation, a SHORT from 1 to 8. */
    private static final int ORIENTATION_TAG = 0x0112;

    private static final int TIFF_SHORT = 3;

    private static final byte[] EXIF_ID = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] ADOBE_ID = "Adobe".getBytes(StandardCharsets.ISO_8859_1);

    /** The SOFn marker (0xC0 to 0xCF), or -1 when none came before the first scan. */
    int frameMarker = -1;

    int precision;
    int width;
    int height;
    int components;

    /**
     * The number of 8x8 blocks of the component that has the fewest, or 0 when the sampling factors
     * are invalid (the JDK reader will refuse the frame).
     */
    long fewestComponentBlocks;

    /** Whether an Adobe APP14 segment is present: its CMYK samples are stored inverted. */
    boolean adobe;

    /** The EXIF orientation, 1 (upright) when absent or invalid. */
    int orientation = 1;

    /** Only the first EXIF segment counts, as in browsers. */
    private boolean exifSeen;

    private JpegHeader() {}

    /**
     * @param data a file starting with the JPEG SOI marker
     */
    static JpegHeader parse(byte[] data) {
        JpegHeader header = new JpegHeader();
        int pos = 2;
        while (pos + 1 < data.length) {
            if ((data[pos] & 0xFF) != 0xFF) {
                // libjpeg skips stray bytes between segments with a warning; so does this walk.
                pos++;
                continue;
            }
            int marker = data[pos + 1] & 0xFF;
            if (marker == 0xFF) {
                pos++; // fill byte before a marker
                continue;
            }
            pos += 2;
            if (marker == 0xDA || marker == 0xD9) {
                break; // SOS: the first scan, or EOI: nothing more in the header
            }
            if (marker == 0x00 || marker == 0x01 || marker == 0xD8 || isRestart(marker)) {
                continue; // markers without a length field
            }
            if (pos + 2 > data.length) {
                break;
            }
            int length = u16(data, pos, false);
            if (length < 2 || pos + length > data.length) {
                break;
            }
            header.segment(marker, data, pos + 2, length - 2);
            pos += length;
        }
        return header;
    }

    /** Whether the frame uses a coding process that the JDK's 8-bit Huffman decoder handles. */
    boolean isHuffmanSequentialOrProgressive() {
        return frameMarker == 0xC0 || frameMarker == 0xC1 || frameMarker == 0xC2;
    }

    /** A name for the frame's coding process, for a rejection message. */
    String processName() {
        return switch (frameMarker) {
            case 0xC3 -> "lossless coding";
            case 0xC5, 0xC6, 0xC7 -> "hierarchical coding";
            case 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF -> "arithmetic coding";
            default -> "frame type SOF" + (frameMarker - 0xC0);
        };
    }

    private void segment(int marker, byte[] data, int start, int length) {
        if (isFrame(marker) && frameMarker < 0) {
            frame(marker, data, start, length);
        } else if (marker == 0xE1 && !exifSeen && startsWith(data, start, length, EXIF_ID)) {
            exifSeen = true;
            orientation = exifOrientation(data, start + EXIF_ID.length, start + length);
        } else if (marker == 0xEE && length >= 12 && startsWith(data, start, length, ADOBE_ID)) {
            adobe = true;
        }
    }

    /** SOF0 to SOF15 but DHT (C4), JPG (C8) and DAC (CC), which share the range. */
    private static boolean isFrame(int marker) {
        return marker >= 0xC0
                && marker <= 0xCF
                && marker != 0xC4
                && marker != 0xC8
                && marker != 0xCC;
    }

    private static boolean isRestart(int marker) {
        return marker >= 0xD0 && marker <= 0xD7;
    }

    private void frame(int marker, byte[] data, int start, int length) {
        if (length < 6) {
            return;
        }
        frameMarker = marker;
        precision = data[start] & 0xFF;
        height = u16(data, start + 1, false);
        width = u16(data, start + 3, false);
        components = data[start + 5] & 0xFF;
        if (components < 1 || length < 6 + 3 * components) {
            return;
        }
        int maxH = 1;
        int maxV = 1;
        for (int c = 0; c < components; c++) {
            int sampling = data[start + 7 + 3 * c] & 0xFF;
            int h = sampling >> 4;
            int v = sampling & 0x0F;
            if (h < 1 || h > 4 || v < 1 || v > 4) {
                return;
            }
            maxH = Math.max(maxH, h);
            maxV = Math.max(maxV, v);
        }
        long fewest = Long.MAX_VALUE;
        for (int c = 0; c < components; c++) {
            int sampling = data[start + 7 + 3 * c] & 0xFF;
            // A single component is coded at full size whatever its factors say.
            int h = components == 1 ? maxH : sampling >> 4;
            int v = components == 1 ? maxV : sampling & 0x0F;
            long componentWidth = ceilDiv((long) width * h, maxH);
            long componentHeight = ceilDiv((long) height * v, maxV);
            fewest = Math.min(fewest, ceilDiv(componentWidth, 8) * ceilDiv(componentHeight, 8));
        }
        fewestComponentBlocks = fewest;
    }

    /**
     * The orientation tag of IFD0 in the TIFF structure that follows "Exif\0\0". Browsers read only
     * a SHORT with a count of 1 and a value from 1 to 8; so does this.
     */
    private static int exifOrientation(byte[] data, int tiff, int end) {
        if (tiff + 8 > end) {
            return 1;
        }
        boolean littleEndian;
        if (data[tiff] == 'I' && data[tiff + 1] == 'I') {
            littleEndian = true;
        } else if (data[tiff] == 'M' && data[tiff + 1] == 'M') {
            littleEndian = false;
        } else {
            return 1;
        }
        if (u16(data, tiff + 2, littleEndian) != 42) {
            return 1;
        }
        long ifdOffset = u32(data, tiff + 4, littleEndian);
        if (ifdOffset < 8 || ifdOffset > end - tiff - 2) {
            return 1;
        }
        int ifd = tiff + (int) ifdOffset;
        int entries = u16(data, ifd, littleEndian);
        for (int i = 0; i < entries; i++) {
            int entry = ifd + 2 + 12 * i;
            if (entry + 12 > end) {
                return 1;
            }
            if (u16(data, entry, littleEndian) == ORIENTATION_TAG) {
                int type = u16(data, entry + 2, littleEndian);
                long count = u32(data, entry + 4, littleEndian);
                int value = u16(data, entry + 8, littleEndian);
                return type == TIFF_SHORT && count == 1 && value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    private static boolean startsWith(byte[] data, int start, int length, byte[] prefix) {
        if (length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data[start + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static long ceilDiv(long value, long divisor) {
        return (value + divisor - 1) / divisor;
    }

    private static int u16(byte[] data, int pos, boolean littleEndian) {
        int first = data[pos] & 0xFF;
        int second = data[pos + 1] & 0xFF;
        return littleEndian ? second << 8 | first : first << 8 | second;
    }

    private static long u32(byte[] data, int pos, boolean littleEndian) {
        long high = u16(data, littleEndian ? pos + 2 : pos, littleEndian);
        long low = u16(data, littleEndian ? pos : pos + 2, littleEndian);
        return high << 16 | low;
    }
}
