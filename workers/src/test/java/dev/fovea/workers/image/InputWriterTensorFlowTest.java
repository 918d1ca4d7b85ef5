package dev.fovea.workers.image;

import static org.junit.jupiter.api.Assertions.fail;

import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.ImageFormat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TUint8;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@link InputWriter}'s resize checked against TensorFlow's own {@code ResizeBilinear} kernel, run
 * through TF Java in a small graph, on seeded random images of many shapes (one pixel wide or tall,
 * 2x2, odd sizes, 500x375, smaller and larger than the target) to 1, 7, 224 and 299 pixels square.
 *
 * <p>{@link ResizeMode#HALF_PIXEL} is compared with {@code half_pixel_centers=True}, {@link
 * ResizeMode#ALIGN_CORNERS} with {@code align_corners=True}. With {@link Preprocessing#RAW} the
 * uint8 image goes into the kernel as is and the outputs must be bit-identical; with {@link
 * Preprocessing#UNIT} TensorFlow divides by 255 first and resizes after (the order of a TF.js or
 * Keras pipeline), which InputWriter does the other way round, so they agree up to float rounding.
 */
class InputWriterTensorFlowTest {

    private static final long SEED = 20_240_611L;

    /** Width by height. */
    private static final int[][] IMAGE_SIZES = {
        {1, 1},
        {1, 9},
        {9, 1},
        {1, 400},
        {400, 1},
        {2, 2},
        {3, 5},
        {37, 23},
        {224, 224},
        {300, 250},
        {500, 375}
    };

    private static final int[] TARGET_SIZES = {1, 7, 224, 299};

    /** Divide-then-resize against resize-then-multiply by {@code 1/255f}, on values in [0, 1]. */
    private static final double UNIT_TOLERANCE = 1e-6;

    private static final List<DecodedImage> IMAGES = randomImages();

    private static Graph graph;
    private static Session session;
    private static Placeholder<TUint8> pixels;
    private static Placeholder<TInt32> targetSize;
    private static final Map<ResizeMode, Operand<TFloat32>> RAW = new EnumMap<>(ResizeMode.class);
    private static final Map<ResizeMode, Operand<TFloat32>> UNIT = new EnumMap<>(ResizeMode.class);

    @BeforeAll
    static void buildGraph() {
        graph = new Graph();
        Ops tf = Ops.create(graph);
        pixels = tf.placeholder(TUint8.class, Placeholder.shape(Shape.of(1, -1, -1, 3)));
        targetSize = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(2)));
        Operand<TFloat32> unit =
                tf.math.div(tf.dtypes.cast(pixels, TFloat32.class), tf.constant(255f));
        for (ResizeMode mode : ResizeMode.values()) {
            boolean alignCorners = mode == ResizeMode.ALIGN_CORNERS;
            ResizeBilinear.Options[] options = {
                ResizeBilinear.alignCorners(alignCorners),
                ResizeBilinear.halfPixelCenters(!alignCorners)
            };
            RAW.put(mode, tf.image.resizeBilinear(pixels, targetSize, options));
            UNIT.put(mode, tf.image.resizeBilinear(unit, targetSize, options));
        }
        session = new Session(graph);
    }

    @AfterAll
    static void closeGraph() {
        if (session != null) {
            session.close();
        }
        if (graph != null) {
            graph.close();
        }
    }

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldMatchTensorFlowBitForBitWithRawPixels(ResizeMode mode) {
        for (DecodedImage image : IMAGES) {
            for (int size : TARGET_SIZES) {
                float[] expected = tensorFlow(RAW.get(mode), image, size);
                float[] array = new float[InputWriter.inputLength(size)];
                InputWriter.write(image, size, Preprocessing.RAW, mode, array, 0);
                assertBitIdentical(expected, array, describe(image, size, mode, "float[]"));

                // The direct-buffer path (a tensor's memory) fills rows from a scratch array.
                FloatBuffer direct =
                        ByteBuffer.allocateDirect(4 * InputWriter.inputLength(size))
                                .order(ByteOrder.nativeOrder())
                                .asFloatBuffer();
                InputWriter.write(image, size, Preprocessing.RAW, mode, direct);
                float[] buffered = new float[array.length];
                direct.flip().get(buffered);
                assertBitIdentical(expected, buffered, describe(image, size, mode, "direct"));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldMatchTensorFlowDivideThenResizeWithinAMillionthWithUnitPreprocessing(
            ResizeMode mode) {
        for (DecodedImage image : IMAGES) {
            for (int size : TARGET_SIZES) {
                float[] expected = tensorFlow(UNIT.get(mode), image, size);
                float[] actual = new float[InputWriter.inputLength(size)];
                InputWriter.write(image, size, Preprocessing.UNIT, mode, actual, 0);
                assertWithin(UNIT_TOLERANCE, expected, actual, describe(image, size, mode, "unit"));
            }
        }
    }

    /** Runs {@code resized} on {@code image} with a {@code size x size} target. */
    private static float[] tensorFlow(Operand<TFloat32> resized, DecodedImage image, int size) {
        float[] out = new float[InputWriter.inputLength(size)];
        try (TUint8 input =
                        TUint8.tensorOf(
                                Shape.of(1, image.height(), image.width(), 3),
                                DataBuffers.of(image.rgb(), true, false));
                TInt32 target = TInt32.vectorOf(size, size);
                Result result =
                        session.runner()
                                .feed(pixels, input)
                                .feed(targetSize, target)
                                .fetch(resized)
                                .run()) {
            TFloat32 output = (TFloat32) result.get(0);
            if (!output.shape().equals(Shape.of(1, size, size, 3))) {
                fail("TensorFlow returned shape " + output.shape() + " for a target of " + size);
            }
            output.copyTo(DataBuffers.of(out, false, false));
        }
        return out;
    }

    private static void assertBitIdentical(float[] expected, float[] actual, String what) {
        int differing = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                differing++;
                if (first < 0) {
                    first = i;
                }
            }
        }
        if (differing > 0) {
            fail(
                    what
                            + ": "
                            + differing
                            + " of "
                            + expected.length
                            + " values differ from TensorFlow's, the first "
                            + at(first, expected, actual));
        }
    }

    private static void assertWithin(
            double tolerance, float[] expected, float[] actual, String what) {
        int worst = 0;
        double worstDifference = 0;
        for (int i = 0; i < expected.length; i++) {
            double difference = Math.abs((double) expected[i] - actual[i]);
            // Written so that a NaN counts as the worst and stops the search.
            if (!(difference <= worstDifference)) {
                worst = i;
                worstDifference = difference;
                if (Double.isNaN(difference)) {
                    break;
                }
            }
        }
        if (!(worstDifference <= tolerance)) {
            fail(
                    what
                            + ": differs from TensorFlow by more than "
                            + tolerance
                            + ", the most "
                            + at(worst, expected, actual));
        }
    }

    /** Where index {@code i} of a {@code [size, size, 3]} output is, and both values there. */
    private static String at(int i, float[] expected, float[] actual) {
        int size = (int) Math.round(Math.sqrt(expected.length / 3.0));
        return "at row "
                + i / 3 / size
                + ", column "
                + i / 3 % size
                + ", channel "
                + i % 3
                + ": TensorFlow "
                + expected[i]
                + ", InputWriter "
                + actual[i];
    }

    private static String describe(DecodedImage image, int size, ResizeMode mode, String path) {
        return image.width()
                + "x"
                + image.height()
                + " to "
                + size
                + " "
                + mode
                + " ("
                + path
                + ")";
    }

    private static List<DecodedImage> randomImages() {
        Random random = new Random(SEED);
        List<DecodedImage> images = new ArrayList<>();
        for (int[] size : IMAGE_SIZES) {
            byte[] rgb = new byte[size[0] * size[1] * 3];
            random.nextBytes(rgb);
            images.add(new DecodedImage(size[0], size[1], rgb, ImageFormat.PNG));
        }
        return images;
    }
}
