package dev.fovea.workers.image;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How a model expects its input pixels: a channel order, then per output channel {@code (pixel -
 * mean) / std} with pixels, means and deviations on the 0..255 scale. Each preset is the {@code
 * preprocess_input} of the model family it names.
 *
 * <p>The map is applied as {@code pixel * scale(c) + offset(c)}, one multiply-add per value, with
 * {@code scale = 1 / std} and {@code offset = -mean / std} computed in double and rounded to float
 * once.
 */
public enum Preprocessing {

    /**
     * {@code x / 127.5 - 1}, range [-1, 1], RGB. Keras {@code inception_v3}, {@code xception},
     * {@code mobilenet} and {@code mobilenet_v2} {@code preprocess_input} (mode "tf").
     */
    INCEPTION("inception", ChannelOrder.RGB, uniform(127.5), uniform(127.5)),

    /**
     * BGR, minus the ImageNet mean [103.939, 116.779, 123.68] given in B, G, R order, no scaling.
     * Keras {@code vgg16}, {@code vgg19} and {@code resnet50} {@code preprocess_input} (mode
     * "caffe"): the channel order and means of the original Caffe models.
     */
    CAFFE("caffe", ChannelOrder.BGR, new double[] {103.939, 116.779, 123.68}, uniform(1)),

    /**
     * {@code x / 255}, range [0, 1], RGB. What TF.js models such as nsfwjs are fed ({@code
     * tf.div(255)}), and Keras' {@code Rescaling(1 / 255)}.
     */
    UNIT("unit", ChannelOrder.RGB, uniform(0), uniform(255)),

    /**
     * {@code (x / 255 - mean) / std} with mean [0.485, 0.456, 0.406] and std [0.229, 0.224, 0.225],
     * RGB. Keras {@code densenet} {@code preprocess_input} (mode "torch"), torchvision's ImageNet
     * {@code Normalize}.
     */
    TORCH("torch", ChannelOrder.RGB, times255(0.485, 0.456, 0.406), times255(0.229, 0.224, 0.225)),

    /**
     * Pixels unchanged, range [0, 255], RGB. Keras {@code efficientnet}, {@code convnext} and
     * {@code mobilenet_v3}: their {@code preprocess_input} is a pass-through because the model
     * rescales inside its own graph.
     */
    RAW("raw", ChannelOrder.RGB, uniform(0), uniform(1));

    /** The order of the three channels in the model input. */
    public enum ChannelOrder {
        RGB,
        /** Blue first: output channel 0 takes the image's blue. */
        BGR
    }

    private final String id;
    private final ChannelOrder channelOrder;
    private final float[] scale = new float[3];
    private final float[] offset = new float[3];

    /** {@code mean} and {@code std} are per output channel, that is in {@code channelOrder}. */
    Preprocessing(String id, ChannelOrder channelOrder, double[] mean, double[] std) {
        this.id = id;
        this.channelOrder = channelOrder;
        for (int c = 0; c < 3; c++) {
            scale[c] = (float) (1 / std[c]);
            offset[c] = (float) (-mean[c] / std[c]);
        }
    }

    /** The name used in configuration, e.g. {@code "inception"}. */
    public String id() {
        return id;
    }

    public ChannelOrder channelOrder() {
        return channelOrder;
    }

    /** Which channel of the RGB image (0 red, 1 green, 2 blue) output channel {@code c} takes. */
    public int sourceChannel(int c) {
        return channelOrder == ChannelOrder.RGB ? c : 2 - c;
    }

    /** The factor for output channel {@code c}: {@code 1 / std}. */
    public float scale(int c) {
        return scale[c];
    }

    /** The term added for output channel {@code c}: {@code -mean / std}. */
    public float offset(int c) {
        return offset[c];
    }

    /**
     * The preset with this {@link #id()}, ignoring case and surrounding blanks.
     *
     * @throws IllegalArgumentException naming the valid ids, for an unknown one
     */
    public static Preprocessing parse(String id) {
        String wanted = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (Preprocessing preprocessing : values()) {
            if (preprocessing.id.equals(wanted)) {
                return preprocessing;
            }
        }
        throw new IllegalArgumentException(
                "unknown preprocessing '" + id + "'; valid: " + String.join(", ", ids()));
    }

    /** Every id, in declaration order: what configuration accepts. */
    public static List<String> ids() {
        return Arrays.stream(values()).map(Preprocessing::id).toList();
    }

    private static double[] uniform(double value) {
        return new double[] {value, value, value};
    }

    /** Means and deviations published on the [0, 1] scale, brought to 0..255. */
    private static double[] times255(double... values) {
        return Arrays.stream(values).map(v -> v * 255).toArray();
    }
}
