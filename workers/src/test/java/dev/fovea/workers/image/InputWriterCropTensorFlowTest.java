package dev.fovea.workers.image;

import static org.junit.jupiter.api.Assertions.fail;

import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.crops.CropScheme;
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
import org.tensorflow.op.image.CropAndResize;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TUint8;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@link InputWriter}'s crops checked against TensorFlow's {@code CropAndResize} kernel (bilinear),
 * run through TF Java in a small graph, for every crop of every {@link CropScheme} of seeded random
 * images: landscape 500x375, portrait 375x500, 37x23 (smaller than the crops' output, so every crop
 * is upsampled), and one pixel wide or tall.
 *
 * <p>{@code CropAndResize} takes a box as normalised corners {@code b1, b2} and samples output
 * index {@code j} of {@code out} at {@code b1 * (in - 1) + j * (b2 - b1) * (in - 1) / (out - 1)}:
 * evenly spaced positions from {@code b1 * (in - 1)} to {@code b2 * (in - 1)}. Both {@link
 * ResizeMode}s also sample evenly spaced positions, so each crop maps to the box whose ends are its
 * first and last sample ({@code x + 0.5 * w / out - 0.5} and {@code x + w - 0.5 * w / out - 0.5}
 * for half-pixel centres, {@code x} and {@code x + w - 1} for aligned corners); a mirrored crop
 * swaps {@code b1} and {@code b2}, which {@code CropAndResize} reads as a flip.
 *
 * <p>{@code CropAndResize} writes its {@code extrapolation_value} wherever a sample falls outside
 * {@code [0, in - 1]}, and half-pixel sampling of a box narrower than the output does (its first
 * sample lies left of the box's first pixel centre, so before pixel 0 for a box on the edge), where
 * {@link InputWriter} repeats the edge pixel. So TensorFlow gets the image with its edge pixels
 * repeated once around it (one pixel each side, enough for samples in {@code [-1, in]}), and the
 * box is normalised by that image's {@code in + 1}. That also gives it no axis of one pixel, where
 * normalising divides by {@code in - 1 = 0}.
 *
 * <p>Tolerance. Both evaluate the same bilinear formula with the same lerp order, in float, but at
 * differently rounded sample positions: TensorFlow's box corners are float32, rounded relative to
 * the padded size, and it forms {@code b1 * (in - 1) + j * scale} with a scale derived from them,
 * where InputWriter forms {@code x + (j + 0.5) * scale - 0.5} from a float {@code x}. Each rounds
 * positions of up to {@code in} pixels a few times, so they may disagree by a few units in the last
 * place of {@code in}; between random neighbours up to 255 apart that moves a value by as much.
 * Even the whole-image crop, where InputWriter is bit-identical with {@code ResizeBilinear}, is
 * 0.011 away from {@code CropAndResize} on the 500x375 image: a 1e-3 bound would only hold for
 * smooth images. So RAW is held to {@code 255 * (L + 2) * 2^-21}, L the image's longer side (0.061
 * at 500, 0.0047 at 37): a sample {@code (L + 2) * 2^-21} pixels off, 2.4e-4 at 500, where one a
 * hundredth of a pixel off already moves values by up to 2.5. UNIT and INCEPTION are held to the
 * same divided by 255 and 127.5, plus one float unit of their range for the division TensorFlow
 * does first. The largest differences seen were 0.43 of the bound (0.026 at 500x375, 0.0018 at
 * 37x23, 2.3e-4 one pixel wide); shifting half-pixel sampling by 0.01 pixels fails by a factor of
 * 70.
 */
class InputWriterCropTensorFlowTest {

    private static final long SEED = 20_250_301L;

    /** Width by height. */
    private static final int[][] IMAGE_SIZES = {{500, 375}, {375, 500}, {37, 23}, {1, 9}, {9, 1}};

    private static final int[] RAW_SIZES = {224, 299, 7};

    private static final int NORMALISED_SIZE = 64;

    /** Boxes per TensorFlow run: bounds the output tensor, 48 MB at 299. */
    private static final int BATCH = 48;

    private static final List<DecodedImage> IMAGES = randomImages();

    private static Graph graph;
    private static Session session;
    private static Placeholder<TUint8> pixels;
    private static Placeholder<TFloat32> boxes;
    private static Placeholder<TInt32> boxIndices;
    private static Placeholder<TInt32> cropSize;
    private static final Map<Preprocessing, Operand<TFloat32>> CROPPED =
            new EnumMap<>(Preprocessing.class);

    @BeforeAll
    static void buildGraph() {
        graph = new Graph();
        Ops tf = Ops.create(graph);
        pixels = tf.placeholder(TUint8.class, Placeholder.shape(Shape.of(1, -1, -1, 3)));
        boxes = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 4)));
        boxIndices = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
        cropSize = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(2)));
        Operand<TFloat32> values = tf.dtypes.cast(pixels, TFloat32.class);
        // Normalise first, then crop: the order of a TF.js or Keras pipeline.
        Map<Preprocessing, Operand<TFloat32>> inputs = new EnumMap<>(Preprocessing.class);
        inputs.put(Preprocessing.RAW, values);
        inputs.put(Preprocessing.UNIT, tf.math.div(values, tf.constant(255f)));
        inputs.put(
                Preprocessing.INCEPTION,
                tf.math.sub(tf.math.div(values, tf.constant(127.5f)), tf.constant(1f)));
        inputs.forEach(
                (preprocessing, input) ->
                        CROPPED.put(
                                preprocessing,
                                tf.image.cropAndResize(
                                        input,
                                        boxes,
                                        boxIndices,
                                        cropSize,
                                        CropAndResize.method("bilinear"))));
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
    void shouldMatchCropAndResizeOnEveryCropOfEverySchemeWithRawPixels(ResizeMode mode) {
        for (DecodedImage image : IMAGES) {
            for (int size : RAW_SIZES) {
                compare(image, size, Preprocessing.RAW, mode);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ResizeMode.class)
    void shouldMatchCropAndResizeOfNormalisedPixelsWithUnitAndInceptionPreprocessing(
            ResizeMode mode) {
        for (DecodedImage image : IMAGES) {
            compare(image, NORMALISED_SIZE, Preprocessing.UNIT, mode);
            compare(image, NORMALISED_SIZE, Preprocessing.INCEPTION, mode);
        }
    }

    private static void compare(
            DecodedImage image, int size, Preprocessing preprocessing, ResizeMode mode) {
        double tolerance = tolerance(image, preprocessing);
        int length = InputWriter.inputLength(size);
        for (CropScheme scheme : CropScheme.values()) {
            List<Crop> crops = scheme.crops(image.width(), image.height());
            for (int first = 0; first < crops.size(); first += BATCH) {
                List<Crop> batch = crops.subList(first, Math.min(first + BATCH, crops.size()));
                float[] expected = tensorFlow(image, batch, size, preprocessing, mode);
                float[] actual = new float[length];
                for (int i = 0; i < batch.size(); i++) {
                    InputWriter.write(image, batch.get(i), size, preprocessing, mode, actual, 0);
                    assertWithin(
                            tolerance,
                            expected,
                            i * length,
                            actual,
                            size,
                            image
                                    + " "
                                    + scheme
                                    + " crop "
                                    + (first + i)
                                    + " "
                                    + batch.get(i)
                                    + " to "
                                    + size
                                    + " "
                                    + mode
                                    + " "
                                    + preprocessing);
                }
            }
        }
    }

    /** See the class comment: position rounding times the steepest step, on the output's scale. */
    private static double tolerance(DecodedImage image, Preprocessing preprocessing) {
        double raw = 255 * Math.scalb(Math.max(image.width(), image.height()) + 2.0, -21);
        return switch (preprocessing) {
            case RAW -> raw;
            case UNIT -> raw / 255 + Math.ulp(1f);
            case INCEPTION -> raw / 127.5 + Math.ulp(1f);
            default -> throw new IllegalArgumentException("no tolerance for " + preprocessing);
        };
    }

    /** {@code CropAndResize} of the edge-padded image, one output per crop, concatenated. */
    private static float[] tensorFlow(
            DecodedImage image,
            List<Crop> crops,
            int size,
            Preprocessing preprocessing,
            ResizeMode mode) {
        DecodedImage padded = padded(image);
        float[] corners = new float[crops.size() * 4];
        for (int i = 0; i < crops.size(); i++) {
            Crop crop = crops.get(i);
            double[] across = normalisedEnds(mode, image.width(), crop.x(), crop.width(), size);
            double[] down = normalisedEnds(mode, image.height(), crop.y(), crop.height(), size);
            boolean mirrored = crop.mirrored();
            corners[i * 4] = (float) down[0];
            corners[i * 4 + 1] = (float) (mirrored ? across[1] : across[0]);
            corners[i * 4 + 2] = (float) down[1];
            corners[i * 4 + 3] = (float) (mirrored ? across[0] : across[1]);
        }
        float[] out = new float[crops.size() * InputWriter.inputLength(size)];
        try (TUint8 input =
                        TUint8.tensorOf(
                                Shape.of(1, padded.height(), padded.width(), 3),
                                DataBuffers.of(padded.rgb(), true, false));
                TFloat32 boxTensor =
                        TFloat32.tensorOf(
                                Shape.of(crops.size(), 4), DataBuffers.of(corners, true, false));
                TInt32 indexTensor =
                        TInt32.tensorOf(
                                Shape.of(crops.size()),
                                DataBuffers.of(new int[crops.size()], true, false));
                TInt32 sizeTensor = TInt32.vectorOf(size, size);
                Result result =
                        session.runner()
                                .feed(pixels, input)
                                .feed(boxes, boxTensor)
                                .feed(boxIndices, indexTensor)
                                .feed(cropSize, sizeTensor)
                                .fetch(CROPPED.get(preprocessing))
                                .run()) {
            TFloat32 output = (TFloat32) result.get(0);
            if (!output.shape().equals(Shape.of(crops.size(), size, size, 3))) {
                fail("TensorFlow returned shape " + output.shape() + " for " + crops.size());
            }
            output.copyTo(DataBuffers.of(out, false, false));
        }
        return out;
    }

    /**
     * The first and last sample positions of a box along one axis, shifted by the one pixel of
     * padding and normalised to the padded axis ({@code in + 2} pixels, so {@code in + 1}).
     */
    private static double[] normalisedEnds(
            ResizeMode mode, int in, double start, double length, int out) {
        double first;
        double last;
        if (mode == ResizeMode.HALF_PIXEL) {
            first = start + 0.5 * length / out - 0.5;
            last = start + (out - 0.5) * length / out - 0.5;
        } else {
            first = start;
            last = start + length - 1;
        }
        return new double[] {(first + 1) / (in + 1), (last + 1) / (in + 1)};
    }

    /** The image with its edge pixels repeated once all around. */
    private static DecodedImage padded(DecodedImage image) {
        int width = image.width() + 2;
        int height = image.height() + 2;
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            int sourceY = Math.min(Math.max(y - 1, 0), image.height() - 1);
            for (int x = 0; x < width; x++) {
                int sourceX = Math.min(Math.max(x - 1, 0), image.width() - 1);
                System.arraycopy(
                        image.rgb(),
                        (sourceY * image.width() + sourceX) * 3,
                        rgb,
                        (y * width + x) * 3,
                        3);
            }
        }
        return new DecodedImage(width, height, rgb, image.format());
    }

    /**
     * Compares {@code actual} with the {@code size x size x 3} values at {@code expected[from]}.
     */
    private static void assertWithin(
            double tolerance, float[] expected, int from, float[] actual, int size, String what) {
        int worstAt = 0;
        double worstDifference = 0;
        for (int i = 0; i < actual.length; i++) {
            double difference = Math.abs((double) expected[from + i] - actual[i]);
            // Written so that a NaN counts as the worst and stops the search.
            if (!(difference <= worstDifference)) {
                worstAt = i;
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
                            + ", the most at row "
                            + worstAt / 3 / size
                            + ", column "
                            + worstAt / 3 % size
                            + ", channel "
                            + worstAt % 3
                            + ": TensorFlow "
                            + expected[from + worstAt]
                            + ", InputWriter "
                            + actual[worstAt]);
        }
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
