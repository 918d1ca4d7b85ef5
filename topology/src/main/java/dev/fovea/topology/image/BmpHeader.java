package dev.fovea.topology.image;

/** The compression a BMP's DIB header declares, which decides what the JDK reader will do. */
final class BmpHeader {

    private static final int BI_JPEG = 4;
    private static final int BI_PNG = 5;

    /** BITMAPINFOHEADER (40) and its successors; 12, 16 and 64 are the OS/2 headers. */
    private final boolean windowsHeader;

    private final long compression;

    private BmpHeader(boolean windowsHeader, long compression) {
        this.windowsHeader = windowsHeader;
        this.compression = compression;
    }

    /**
     * @param data a file that {@link ImageFormat#sniff} recognised as BMP, so at least 18 bytes
     *     with a known DIB header size
     */
    static BmpHeader parse(byte[] data) {
        long dibSize = u32(data, 14);
        boolean windowsHeader = dibSize != 12 && dibSize != 16 && dibSize != 64;
        return new BmpHeader(windowsHeader, windowsHeader && data.length >= 34 ? u32(data, 30) : 0);
    }

    /**
     * Whether the pixels are a whole JPEG or PNG file, a variant meant for printers. The JDK reader
     * decodes that embedded file at its own size, which the BMP header does not declare, so the
     * pixel limit could not be checked before decoding.
     */
    boolean embedsAnotherFormat() {
        return windowsHeader && (compression == BI_JPEG || compression == BI_PNG);
    }

    String embeddedFormatName() {
        return compression == BI_JPEG ? "JPEG" : "PNG";
    }

    private static int u16(byte[] data, int pos) {
        return (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8;
    }

    private static long u32(byte[] data, int pos) {
        return u16(data, pos) | (long) u16(data, pos + 2) << 16;
    }
}
