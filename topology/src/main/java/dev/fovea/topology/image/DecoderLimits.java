package dev.fovea.topology.image;

import java.util.Locale;

/**
 * What {@link JdkImageDecoder} refuses to decode, each limit named by the worker setting that
 * configures it, so that a rejection tells the producer which setting it ran into.
 *
 * @param maxBytes encoded images larger than this are rejected before anything is parsed
 * @param maxPixels images whose header declares more pixels (width times height) are rejected
 *     before any pixel memory is allocated; at most {@link #MAX_SUPPORTED_PIXELS}
 * @param maxAspectRatio images whose longer side is more than this many times their shorter side
 *     are rejected from the header; at least 1, infinity for no limit
 */
public record DecoderLimits(int maxBytes, long maxPixels, double maxAspectRatio) {

    public static final String MAX_BYTES_KEY = "image.max.bytes";
    public static final String MAX_PIXELS_KEY = "image.max.pixels";
    public static final String MAX_ASPECT_RATIO_KEY = "image.max.aspect.ratio";

    /**
     * 16 MiB: the largest record Fovea's producer tools send and its local broker accepts ({@code
     * max.request.size}, {@code message.max.bytes}). A higher limit could never be reached with
     * those settings and would only suggest that larger images work.
     */
    public static final int DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

    /**
     * 40 megapixels, 120 MB as RGB: above the 12 to 24 megapixels phone cameras save by default.
     */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    /**
     * 20:1 passes the widest common pictures (web banners up to 970x90, about 11:1; phone
     * panoramas; most scrolling screenshots) and stops line-like images, which cost far more to
     * decode than their pixel count says (the readers' work is per row: a 1x65000 JPEG decodes 14
     * times slower per pixel than a 255x255 one) and which, stretched onto a square model input,
     * show nothing a classifier could recognise.
     */
    public static final double DEFAULT_MAX_ASPECT_RATIO = 20.0;

    /** The RGB output is one byte array, and a Java array holds at most about 2^31 elements. */
    public static final long MAX_SUPPORTED_PIXELS = (Integer.MAX_VALUE - 8) / 3;

    public static final DecoderLimits DEFAULTS =
            new DecoderLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, DEFAULT_MAX_ASPECT_RATIO);

    public DecoderLimits {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
        }
        if (maxPixels < 1 || maxPixels > MAX_SUPPORTED_PIXELS) {
            throw new IllegalArgumentException(
                    "maxPixels must be between 1 and "
                            + MAX_SUPPORTED_PIXELS
                            + ", got "
                            + maxPixels);
        }
        if (!(maxAspectRatio >= 1.0)) {
            throw new IllegalArgumentException(
                    "maxAspectRatio must be at least 1, got " + maxAspectRatio);
        }
    }

    /** The defaults but for the pixel limit. */
    public static DecoderLimits withMaxPixels(long maxPixels) {
        return new DecoderLimits(DEFAULT_MAX_BYTES, maxPixels, DEFAULT_MAX_ASPECT_RATIO);
    }

    /**
     * {@code 20} rather than {@code 20.0} where the ratio is whole, as limits usually are; else
     * rounded up to two decimals, so that a ratio just over a whole limit never reads as equal to
     * it.
     */
    static String formatRatio(double ratio) {
        if (ratio == Math.rint(ratio) && ratio < 1e15) {
            return Long.toString((long) ratio);
        }
        return String.format(Locale.ROOT, "%.2f", Math.ceil(ratio * 100) / 100);
    }
}
