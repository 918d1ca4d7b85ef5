package dev.fovea.topology.crops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Which crops of an image a model is run on, as the papers' test-time evaluation protocols cut
 * them; the model's outputs over the crops are then combined (the papers average the softmax).
 *
 * <p>The protocols are stated for a model input of {@code S x S} (224 in the papers): rescale the
 * image so that its shorter side is some multiple of {@code S}, then cut {@code S x S} windows.
 * Every box here is given in the <em>original</em> image's coordinates (see {@link Crop}), where
 * the rescaling factor and {@code S} cancel out: a window of {@code S} pixels in an image whose
 * shorter side {@code m} was scaled to {@code S * k} is {@code m / k} original pixels wide. So
 * {@link #crops} needs no input size and its boxes fit every model. Nothing is rounded to whole
 * pixels: the resize samples the original image at the exact positions, where a two-step pipeline
 * (integer resize, integer crop) would round twice.
 *
 * <p>Below, {@code W x H} is the image, {@code m = min(W, H)} its shorter side. The number of crops
 * is fixed per scheme, whatever the image: a square image still gets GoogLeNet's three squares,
 * which then coincide, so a batch of crops always has the same shape. Every scheme with mirrors
 * lists its unmirrored crops first and then the mirror of each in the same order: crop {@code i +
 * count() / 2} is crop {@code i} mirrored.
 */
public enum CropScheme {

    /**
     * The whole image stretched to {@code S x S}, aspect ratio not kept: the box {@code (0, 0, W,
     * H)}. The single-crop evaluation of nsfwjs and of a plain Keras resize.
     */
    RESIZE("resize", 1, false) {
        @Override
        void cut(int width, int height, double shorter, List<Crop> into) {
            into.add(Crop.whole(width, height));
        }
    },

    /**
     * The shorter side scaled to {@code S / 0.875} (256 for 224) and the centre {@code S x S}
     * window: a centred square of side {@code 0.875 m}. The usual single-crop ImageNet evaluation
     * (torchvision's {@code Resize(256)} then {@code CenterCrop(224)}).
     */
    CENTER("center", 1, false) {
        @Override
        void cut(int width, int height, double shorter, List<Crop> into) {
            double side = shorter * CENTRE_FRACTION;
            into.add(new Crop((width - side) / 2, (height - side) / 2, side, side, false));
        }
    },

    /**
     * The standard 10 crops at {@link #CENTER}'s scale (torchvision's {@code Resize(256)} then
     * {@code TenCrop(224)}): squares of side {@code 0.875 m} at the top-left, top-right,
     * bottom-left and bottom-right corners and the centre, in that order, then the same five
     * mirrored.
     *
     * <p>torchvision cuts its last five from the flipped image, so its sixth crop is the mirror of
     * the top-right one; here the sixth is the mirror of the top-left one. The set is the same, and
     * averaging does not depend on the order.
     */
    TEN_CROP("10crop", 10, true) {
        @Override
        void cut(int width, int height, double shorter, List<Crop> into) {
            fiveCrops(0, 0, width, height, shorter * CENTRE_FRACTION, into);
        }
    },

    /**
     * GoogLeNet's 144 crops (Szegedy et al. 2014, section 10), which the Inception v3 paper scales
     * to 299: the shorter side rescaled to 256, 288, 320 and 352 (times {@code S / 224}); at each
     * scale the left, centre and right squares of side {@code m} (top, centre and bottom for a
     * portrait image; the same square three times for a square one); from each square the four
     * corner and the centre {@code S x S} windows, of side {@code m * 224 / scale}, and the whole
     * square: 4 x 3 x 6 = 72 crops, then their 72 mirror images.
     *
     * <p>Order: scale (256 first), then square (left or top first), then top-left, top-right,
     * bottom-left, bottom-right, centre, whole square; then the 72 mirrored in the same order. So
     * unmirrored crop {@code 18 * scale + 6 * square + window}.
     */
    GOOGLENET_144("144crop", 144, true) {
        @Override
        void cut(int width, int height, double shorter, List<Crop> into) {
            boolean landscape = width >= height;
            double slack = landscape ? width - shorter : height - shorter;
            for (int scale : GOOGLENET_SCALES) {
                double side = shorter * PAPER_INPUT / scale;
                for (int square = 0; square < 3; square++) {
                    double along = square * slack / 2;
                    double left = landscape ? along : 0;
                    double top = landscape ? 0 : along;
                    fiveCrops(left, top, shorter, shorter, side, into);
                    into.add(new Crop(left, top, shorter, shorter, false));
                }
            }
        }
    },

    /**
     * VGG's multi-crop evaluation (Simonyan and Zisserman 2015, section 3.2): the shorter side
     * rescaled to {@code Q} = 256, 384 and 512 (times {@code S / 224}), aspect ratio kept; at each
     * scale a regular 5 x 5 grid of {@code S x S} windows, of side {@code c = m * 224 / Q}, evenly
     * spaced from one edge to the other: left edges {@code k * (W - c) / 4} and top edges {@code k
     * * (H - c) / 4} for {@code k = 0..4}. 3 x 25 = 75 crops, then their 75 mirror images.
     *
     * <p>Order: scale (256 first), then grid row (top first), then grid column (left first), as
     * text is read; then the 75 mirrored in the same order. So unmirrored crop {@code 25 * scale +
     * 5 * row + column}.
     */
    VGG_150("vgg150", 150, true) {
        @Override
        void cut(int width, int height, double shorter, List<Crop> into) {
            for (int scale : VGG_SCALES) {
                double side = shorter * PAPER_INPUT / scale;
                for (int row = 0; row < GRID; row++) {
                    double top = row * (height - side) / (GRID - 1);
                    for (int column = 0; column < GRID; column++) {
                        double left = column * (width - side) / (GRID - 1);
                        into.add(new Crop(left, top, side, side, false));
                    }
                }
            }
        }
    };

    /** The input size the papers state their scales for; only ratios to it matter. */
    private static final int PAPER_INPUT = 224;

    /** 224 / 256: the centre window's share of the shorter side. Exact in binary. */
    private static final double CENTRE_FRACTION = 0.875;

    private static final int[] GOOGLENET_SCALES = {256, 288, 320, 352};
    private static final int[] VGG_SCALES = {256, 384, 512};
    private static final int GRID = 5;

    private final String id;
    private final int count;
    private final boolean mirrors;

    CropScheme(String id, int count, boolean mirrors) {
        this.id = id;
        this.count = count;
        this.mirrors = mirrors;
    }

    /** The name used in configuration, e.g. {@code "144crop"}. */
    public String id() {
        return id;
    }

    /** How many crops {@link #crops} returns, for any image. */
    public int count() {
        return count;
    }

    /**
     * The crops of a {@code width x height} image, in the order the constant documents, in the
     * image's own pixel coordinates. Every box lies within the image (up to rounding in the last
     * bit).
     *
     * @throws IllegalArgumentException if either dimension is not positive
     */
    public List<Crop> crops(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException(
                    "dimensions must be positive, got " + width + "x" + height);
        }
        List<Crop> crops = new ArrayList<>(count);
        cut(width, height, Math.min(width, height), crops);
        if (mirrors) {
            int unmirrored = crops.size();
            for (int i = 0; i < unmirrored; i++) {
                crops.add(crops.get(i).mirror());
            }
        }
        return List.copyOf(crops);
    }

    /** Adds the unmirrored crops, in order; {@link #crops} appends the mirrors. */
    abstract void cut(int width, int height, double shorter, List<Crop> into);

    /**
     * The scheme with this {@link #id()}, ignoring case and surrounding blanks.
     *
     * @throws IllegalArgumentException naming the valid ids, for an unknown one
     */
    public static CropScheme parse(String id) {
        String wanted = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (CropScheme scheme : values()) {
            if (scheme.id.equals(wanted)) {
                return scheme;
            }
        }
        throw new IllegalArgumentException(
                "unknown crop scheme '" + id + "'; valid: " + String.join(", ", ids()));
    }

    /** Every id, in declaration order: what configuration accepts. */
    public static List<String> ids() {
        return Arrays.stream(values()).map(CropScheme::id).toList();
    }

    /**
     * Squares of side {@code side} at the four corners (top-left, top-right, bottom-left,
     * bottom-right) and the centre of the region at {@code left, top}.
     */
    private static void fiveCrops(
            double left,
            double top,
            double regionWidth,
            double regionHeight,
            double side,
            List<Crop> into) {
        double right = left + (regionWidth - side);
        double bottom = top + (regionHeight - side);
        into.add(new Crop(left, top, side, side, false));
        into.add(new Crop(right, top, side, side, false));
        into.add(new Crop(left, bottom, side, side, false));
        into.add(new Crop(right, bottom, side, side, false));
        into.add(
                new Crop(
                        left + (regionWidth - side) / 2,
                        top + (regionHeight - side) / 2,
                        side,
                        side,
                        false));
    }
}
