package dev.fovea.models;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;

import java.util.List;

/**
 * The layers the papers' networks are made of, written once with TensorFlow's {@link Ops} API (TF
 * Java has no layers library), so that an architecture reads like its Keras definition.
 *
 * <p>A builder writes into one name scope; {@link #scope(String)} gives one for a child scope (a
 * block, {@code mixed0}) sharing the seed, the variable counter and the width of its parent. A
 * layer's first argument names it, and a layer with weights makes a scope of that name, so the
 * graph reads {@code mixed0/branch1x1/kernel}, {@code mixed0/branch1x1/Relu}, ...
 *
 * <p>Weights are variables whose initialisers live in the graph's init scope: TensorFlow computes
 * them from {@code (seed, variable index)} with a stateless random op when the session is
 * initialised. The graph holds only shapes, seeds and scales, no Java array of weights, so {@code
 * saved_model.pb} stays small, and two builds with the same seed give the same bytes.
 *
 * <p>Images are NHWC, float32, as in Keras with the default {@code channels_last}.
 */
public final class LayerBuilder {

    /**
     * Keras' padding modes; TensorFlow's of the same name compute exactly the same output sizes.
     */
    public enum Padding {
        /** No padding: the output size is {@code ceil((input - kernel + 1) / stride)}. */
        VALID,
        /** Zero padding so that the output size is {@code ceil(input / stride)}. */
        SAME
    }

    /** Keras' {@code BatchNormalization} default epsilon, used by every network it ships. */
    private static final float BATCH_NORM_EPSILON = 1e-3f;

    private final Ops tf;
    private final Shared shared;

    /** What every scope of one network shares. */
    private static final class Shared {
        final long seed;
        final double width;
        long variables;
        long parameters;

        Shared(long seed, double width) {
            this.seed = seed;
            this.width = width;
        }
    }

    /**
     * A builder writing at the root of {@code graph}.
     *
     * @param seed seeds every weight: the same seed gives the same weights, bit for bit
     * @param width multiplies the filter count of every convolution (see {@link #filters(int)})
     */
    public LayerBuilder(Graph graph, long seed, double width) {
        this(Ops.create(graph), new Shared(seed, width));
    }

    private LayerBuilder(Ops tf, Shared shared) {
        this.tf = tf;
        this.shared = shared;
    }

    /**
     * A builder for the child scope {@code name}. Keep it for as long as ops go there: TF Java
     * scans the whole graph each time a sub-scope is made, which is slow when done once per op.
     */
    public LayerBuilder scope(String name) {
        return new LayerBuilder(tf.withSubScope(name), shared);
    }

    /** The trainable and non-trainable scalars created so far, counted as Keras counts them. */
    public long parameters() {
        return shared.parameters;
    }

    /**
     * The filter count a convolution of {@code filters} gets: {@code round(filters * width)}, at
     * least 1. Rounding to nearest (rather than truncating, or rounding to a multiple of 8 as
     * MobileNet does) keeps the widths of all branches in the paper's proportions, and width 1.0
     * the exact Keras layout.
     */
    public int filters(int filters) {
        return (int) Math.max(1, Math.round(filters * shared.width));
    }

    /** The input of a network: a batch of any size of {@code size x size} RGB images. */
    public Operand<TFloat32> images(String name, int size) {
        return tf.withName(name)
                .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, size, size, 3)));
    }

    /** {@code conv2dBn} with Keras' defaults: stride 1, {@link Padding#SAME}. */
    public Operand<TFloat32> conv2dBn(
            String name, Operand<TFloat32> x, int filters, int kernelHeight, int kernelWidth) {
        return conv2dBn(name, x, filters, kernelHeight, kernelWidth, 1, Padding.SAME);
    }

    /**
     * Keras' {@code conv2d_bn} (keras/applications/inception_v3.py): a convolution without bias,
     * then batch normalisation with {@code scale=False} (a per-channel beta, no gamma: the ReLU
     * after it makes a scale redundant, the next layer absorbs it), then ReLU. Batch normalisation
     * runs in inference mode on its moving mean and variance, which is what a served model does.
     *
     * @param filters the filter count at width 1.0; {@link #filters(int)} scales it
     */
    public Operand<TFloat32> conv2dBn(
            String name,
            Operand<TFloat32> x,
            int filters,
            int kernelHeight,
            int kernelWidth,
            int stride,
            Padding padding) {
        Ops layer = tf.withSubScope(name);
        long inChannels = channels(x);
        long outChannels = filters(filters);

        Variable<TFloat32> kernel =
                heNormal(
                        layer,
                        "kernel",
                        Shape.of(kernelHeight, kernelWidth, inChannels, outChannels),
                        kernelHeight * kernelWidth * inChannels);
        Variable<TFloat32> beta = filled(layer, "beta", outChannels, 0f);
        Variable<TFloat32> movingMean = filled(layer, "moving_mean", outChannels, 0f);
        Variable<TFloat32> movingVariance = filled(layer, "moving_variance", outChannels, 1f);

        Operand<TFloat32> conv =
                layer.nn.conv2d(
                        x, kernel, List.of(1L, (long) stride, (long) stride, 1L), padding.name());
        // The fused op wants a scale: ones, computed in the graph rather than stored as a variable.
        Operand<TFloat32> gamma =
                layer.withName("gamma")
                        .ones(layer.constant(new long[] {outChannels}), TFloat32.class);
        Operand<TFloat32> normalised =
                layer.nn
                        .fusedBatchNorm(
                                conv,
                                gamma,
                                beta,
                                movingMean,
                                movingVariance,
                                FusedBatchNorm.epsilon(BATCH_NORM_EPSILON),
                                FusedBatchNorm.isTraining(false))
                        .y();
        return layer.nn.relu(normalised);
    }

    /** Max pooling over {@code size x size} windows (Keras' {@code MaxPooling2D}). */
    public Operand<TFloat32> maxPool(
            String name, Operand<TFloat32> x, int size, int stride, Padding padding) {
        return tf.withName(name)
                .nn
                .maxPool(
                        x,
                        tf.constant(new int[] {1, size, size, 1}),
                        tf.constant(new int[] {1, stride, stride, 1}),
                        padding.name());
    }

    /**
     * Average pooling over {@code size x size} windows (Keras' {@code AveragePooling2D}). With
     * {@link Padding#SAME}, TensorFlow averages over the pixels inside the image only, as Keras
     * does.
     */
    public Operand<TFloat32> avgPool(
            String name, Operand<TFloat32> x, int size, int stride, Padding padding) {
        return tf.withName(name)
                .nn
                .avgPool(
                        x,
                        List.of(1L, (long) size, (long) size, 1L),
                        List.of(1L, (long) stride, (long) stride, 1L),
                        padding.name());
    }

    /** Concatenation along the channels: the output of an Inception block. */
    public Operand<TFloat32> concat(String name, List<Operand<TFloat32>> branches) {
        return tf.withName(name).concat(branches, tf.constant(3));
    }

    /** The mean over height and width: {@code [N, H, W, C]} to {@code [N, C]}. */
    public Operand<TFloat32> globalAveragePool(String name, Operand<TFloat32> x) {
        return tf.withName(name).math.mean(x, tf.constant(new int[] {1, 2}));
    }

    /**
     * A fully connected layer with bias and no activation: {@code x W + b}, {@code [N, in]} to
     * {@code [N, units]}. Used as the classifier head it gives the logits; {@link #softmax} makes
     * them probabilities. {@code units} is not scaled by the width.
     */
    public Operand<TFloat32> dense(String name, Operand<TFloat32> x, int units) {
        Ops layer = tf.withSubScope(name);
        long in = x.shape().get(1);
        Variable<TFloat32> kernel = heNormal(layer, "kernel", Shape.of(in, units), in);
        Variable<TFloat32> bias = filled(layer, "bias", units, 0f);
        return layer.nn.biasAdd(layer.linalg.matMul(x, kernel), bias);
    }

    /** Softmax over the last axis. */
    public Operand<TFloat32> softmax(String name, Operand<TFloat32> logits) {
        return tf.withName(name).nn.softmax(logits);
    }

    private static long channels(Operand<TFloat32> x) {
        return x.shape().get(3);
    }

    /**
     * He et al. 2015 ("Delving Deep into Rectifiers"): normal with std {@code sqrt(2 / fan_in)},
     * which keeps the variance of activations constant through ReLU layers. fan_in is computed here
     * because TF Java's framework initialisers get it wrong for 4-D kernels (they omit the input
     * channels). The values are {@code StatelessRandomNormal} at {@code [seed, variable index]}: a
     * pure function of both, the same on every run.
     */
    private Variable<TFloat32> heNormal(Ops layer, String name, Shape shape, long fanIn) {
        Ops init = layer.withInitScope();
        long index = shared.variables;
        Operand<TFloat32> normal =
                init.random.statelessRandomNormal(
                        init.constant(shape), init.constant(new long[] {shared.seed, index}));
        Operand<TFloat32> std = init.constant((float) Math.sqrt(2.0 / fanIn));
        return variable(layer, name, init.math.mul(normal, std));
    }

    /** A vector of {@code size} copies of {@code value}: BN statistics and offsets, biases. */
    private Variable<TFloat32> filled(Ops layer, String name, long size, float value) {
        Ops init = layer.withInitScope();
        return variable(
                layer, name, init.fill(init.constant(new long[] {size}), init.constant(value)));
    }

    private Variable<TFloat32> variable(Ops layer, String name, Operand<TFloat32> initialValue) {
        shared.variables++;
        shared.parameters += initialValue.shape().size();
        return layer.withName(name).variable(initialValue);
    }
}
