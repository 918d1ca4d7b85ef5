package dev.fovea.models;

import static dev.fovea.models.LayerBuilder.Padding.SAME;
import static dev.fovea.models.LayerBuilder.Padding.VALID;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

import java.util.List;

/**
 * Inception v3 (Szegedy et al. 2015, "Rethinking the Inception Architecture for Computer Vision"),
 * layer for layer as {@code keras.applications.InceptionV3} lays it out: 23,851,784 parameters with
 * 1000 classes, the figure published weights and benchmarks refer to.
 *
 * <p>Keras follows the TF-slim reference implementation, which differs from the paper's Table 1 in
 * the stem (a 1x1 convolution to 80 channels and a 3x3 to 192, then max pooling, instead of three
 * 3x3 convolutions) and leaves out the auxiliary classifier, which only helps training.
 *
 * <p>Names follow Keras: the blocks are {@code mixed0} to {@code mixed10}, each branch keeps the
 * name of the Keras variable that holds it, numbered when Keras reassigns that variable. The sizes
 * in comments are at width 1.0.
 */
final class InceptionV3 implements Architecture {

    @Override
    public String name() {
        return "inception_v3";
    }

    @Override
    public int inputSize() {
        return 299;
    }

    @Override
    public String preprocessing() {
        return "inception";
    }

    @Override
    public Operand<TFloat32> logits(LayerBuilder layers, Operand<TFloat32> images, int classes) {
        Operand<TFloat32> x = stem(layers.scope("stem"), images); // 35 x 35 x 192
        x = block35(layers.scope("mixed0"), x, 32); // 35 x 35 x 256
        x = block35(layers.scope("mixed1"), x, 64); // 35 x 35 x 288
        x = block35(layers.scope("mixed2"), x, 64); // 35 x 35 x 288
        x = reduction35(layers.scope("mixed3"), x); // 17 x 17 x 768
        x = block17(layers.scope("mixed4"), x, 128); // 17 x 17 x 768
        x = block17(layers.scope("mixed5"), x, 160);
        x = block17(layers.scope("mixed6"), x, 160);
        x = block17(layers.scope("mixed7"), x, 192);
        x = reduction17(layers.scope("mixed8"), x); // 8 x 8 x 1280
        x = block8(layers.scope("mixed9"), x); // 8 x 8 x 2048
        x = block8(layers.scope("mixed10"), x); // 8 x 8 x 2048
        x = layers.globalAveragePool("avg_pool", x); // 2048
        return layers.dense("predictions", x, classes);
    }

    /** 299 x 299 x 3 to 35 x 35 x 192: plain convolutions, and pooling to reduce the grid twice. */
    private static Operand<TFloat32> stem(LayerBuilder layers, Operand<TFloat32> images) {
        Operand<TFloat32> x = layers.conv2dBn("conv1", images, 32, 3, 3, 2, VALID); // 149 x 149
        x = layers.conv2dBn("conv2", x, 32, 3, 3, 1, VALID); // 147 x 147
        x = layers.conv2dBn("conv3", x, 64, 3, 3); // 147 x 147
        x = layers.maxPool("pool1", x, 3, 2, VALID); // 73 x 73
        x = layers.conv2dBn("conv4", x, 80, 1, 1, 1, VALID); // 73 x 73
        x = layers.conv2dBn("conv5", x, 192, 3, 3, 1, VALID); // 71 x 71
        return layers.maxPool("pool2", x, 3, 2, VALID); // 35 x 35
    }

    /**
     * The 35 x 35 module (paper, figure 5): the 5x5 convolution of GoogLeNet kept in one branch and
     * factorised into two 3x3 in another.
     */
    private static Operand<TFloat32> block35(
            LayerBuilder layers, Operand<TFloat32> x, int poolFilters) {
        Operand<TFloat32> branch1x1 = layers.conv2dBn("branch1x1", x, 64, 1, 1);

        Operand<TFloat32> branch5x5 = layers.conv2dBn("branch5x5_1", x, 48, 1, 1);
        branch5x5 = layers.conv2dBn("branch5x5_2", branch5x5, 64, 5, 5);

        Operand<TFloat32> branch3x3dbl = layers.conv2dBn("branch3x3dbl_1", x, 64, 1, 1);
        branch3x3dbl = layers.conv2dBn("branch3x3dbl_2", branch3x3dbl, 96, 3, 3);
        branch3x3dbl = layers.conv2dBn("branch3x3dbl_3", branch3x3dbl, 96, 3, 3);

        Operand<TFloat32> branchPool = layers.avgPool("branch_pool", x, 3, 1, SAME);
        branchPool = layers.conv2dBn("branch_pool_1x1", branchPool, poolFilters, 1, 1);

        return layers.concat("concat", List.of(branch1x1, branch5x5, branch3x3dbl, branchPool));
    }

    /**
     * 35 x 35 to 17 x 17 (paper, section 5 and figure 10): strided convolutions next to a strided
     * pool, so the grid shrinks while the filters grow without a representational bottleneck.
     */
    private static Operand<TFloat32> reduction35(LayerBuilder layers, Operand<TFloat32> x) {
        Operand<TFloat32> branch3x3 = layers.conv2dBn("branch3x3", x, 384, 3, 3, 2, VALID);

        Operand<TFloat32> branch3x3dbl = layers.conv2dBn("branch3x3dbl_1", x, 64, 1, 1);
        branch3x3dbl = layers.conv2dBn("branch3x3dbl_2", branch3x3dbl, 96, 3, 3);
        branch3x3dbl = layers.conv2dBn("branch3x3dbl_3", branch3x3dbl, 96, 3, 3, 2, VALID);

        Operand<TFloat32> branchPool = layers.maxPool("branch_pool", x, 3, 2, VALID);

        return layers.concat("concat", List.of(branch3x3, branch3x3dbl, branchPool));
    }

    /**
     * The 17 x 17 module (paper, figure 6): 7x7 convolutions factorised into 1x7 and 7x1, which the
     * paper found to work well on medium grids. {@code filters7x7} is the width inside the
     * factorised branches: 128, 160, 160 then 192 from mixed4 to mixed7.
     */
    private static Operand<TFloat32> block17(
            LayerBuilder layers, Operand<TFloat32> x, int filters7x7) {
        Operand<TFloat32> branch1x1 = layers.conv2dBn("branch1x1", x, 192, 1, 1);

        Operand<TFloat32> branch7x7 = layers.conv2dBn("branch7x7_1", x, filters7x7, 1, 1);
        branch7x7 = layers.conv2dBn("branch7x7_2", branch7x7, filters7x7, 1, 7);
        branch7x7 = layers.conv2dBn("branch7x7_3", branch7x7, 192, 7, 1);

        Operand<TFloat32> branch7x7dbl = layers.conv2dBn("branch7x7dbl_1", x, filters7x7, 1, 1);
        branch7x7dbl = layers.conv2dBn("branch7x7dbl_2", branch7x7dbl, filters7x7, 7, 1);
        branch7x7dbl = layers.conv2dBn("branch7x7dbl_3", branch7x7dbl, filters7x7, 1, 7);
        branch7x7dbl = layers.conv2dBn("branch7x7dbl_4", branch7x7dbl, filters7x7, 7, 1);
        branch7x7dbl = layers.conv2dBn("branch7x7dbl_5", branch7x7dbl, 192, 1, 7);

        Operand<TFloat32> branchPool = layers.avgPool("branch_pool", x, 3, 1, SAME);
        branchPool = layers.conv2dBn("branch_pool_1x1", branchPool, 192, 1, 1);

        return layers.concat("concat", List.of(branch1x1, branch7x7, branch7x7dbl, branchPool));
    }

    /** 17 x 17 to 8 x 8, the second grid reduction, built like {@link #reduction35}. */
    private static Operand<TFloat32> reduction17(LayerBuilder layers, Operand<TFloat32> x) {
        Operand<TFloat32> branch3x3 = layers.conv2dBn("branch3x3_1", x, 192, 1, 1);
        branch3x3 = layers.conv2dBn("branch3x3_2", branch3x3, 320, 3, 3, 2, VALID);

        Operand<TFloat32> branch7x7x3 = layers.conv2dBn("branch7x7x3_1", x, 192, 1, 1);
        branch7x7x3 = layers.conv2dBn("branch7x7x3_2", branch7x7x3, 192, 1, 7);
        branch7x7x3 = layers.conv2dBn("branch7x7x3_3", branch7x7x3, 192, 7, 1);
        branch7x7x3 = layers.conv2dBn("branch7x7x3_4", branch7x7x3, 192, 3, 3, 2, VALID);

        Operand<TFloat32> branchPool = layers.maxPool("branch_pool", x, 3, 2, VALID);

        return layers.concat("concat", List.of(branch3x3, branch7x7x3, branchPool));
    }

    /**
     * The 8 x 8 module (paper, figure 7): the 3x3 convolutions split into parallel 1x3 and 3x1
     * whose outputs are concatenated, widening the filter bank to favour high-dimensional
     * representations on the coarsest grid.
     */
    private static Operand<TFloat32> block8(LayerBuilder layers, Operand<TFloat32> x) {
        Operand<TFloat32> branch1x1 = layers.conv2dBn("branch1x1", x, 320, 1, 1);

        Operand<TFloat32> branch3x3 = layers.conv2dBn("branch3x3", x, 384, 1, 1);
        branch3x3 =
                layers.concat(
                        "branch3x3_concat",
                        List.of(
                                layers.conv2dBn("branch3x3_1", branch3x3, 384, 1, 3),
                                layers.conv2dBn("branch3x3_2", branch3x3, 384, 3, 1)));

        Operand<TFloat32> branch3x3dbl = layers.conv2dBn("branch3x3dbl", x, 448, 1, 1);
        branch3x3dbl = layers.conv2dBn("branch3x3dbl_0", branch3x3dbl, 384, 3, 3);
        branch3x3dbl =
                layers.concat(
                        "branch3x3dbl_concat",
                        List.of(
                                layers.conv2dBn("branch3x3dbl_1", branch3x3dbl, 384, 1, 3),
                                layers.conv2dBn("branch3x3dbl_2", branch3x3dbl, 384, 3, 1)));

        Operand<TFloat32> branchPool = layers.avgPool("branch_pool", x, 3, 1, SAME);
        branchPool = layers.conv2dBn("branch_pool_1x1", branchPool, 192, 1, 1);

        return layers.concat("concat", List.of(branch1x1, branch3x3, branch3x3dbl, branchPool));
    }
}
