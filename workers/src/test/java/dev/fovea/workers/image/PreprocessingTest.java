package dev.fovea.workers.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.ImageFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Each preset on the single pixel (255, 0, 128), through the writer at size 1 (no resizing). */
class PreprocessingTest {

    private static final DecodedImage PIXEL =
            new DecodedImage(1, 1, new byte[] {(byte) 255, 0, (byte) 128}, ImageFormat.PNG);

    @Test
    void shouldScaleInceptionToMinusOneToOne() {
        // 255 / 127.5 - 1 = 1; 0 / 127.5 - 1 = -1; 128 / 127.5 - 1 = 0.5 / 127.5 = 0.00392157
        assertArrayEquals(
                new float[] {1f, -1f, 0.0039215686f}, preprocess(Preprocessing.INCEPTION), 1e-6f);
    }

    @Test
    void shouldReorderCaffeToBgrAndSubtractTheBgrMeans() {
        // B: 128 - 103.939 = 24.061; G: 0 - 116.779 = -116.779; R: 255 - 123.68 = 131.32
        assertArrayEquals(
                new float[] {24.061f, -116.779f, 131.32f}, preprocess(Preprocessing.CAFFE), 1e-4f);
    }

    @Test
    void shouldScaleUnitToZeroToOne() {
        // 255 / 255 = 1; 0; 128 / 255 = 0.50196078
        assertArrayEquals(new float[] {1f, 0f, 0.50196078f}, preprocess(Preprocessing.UNIT), 1e-6f);
    }

    @Test
    void shouldNormaliseTorchWithImageNetMeanAndStd() {
        // R: (1 - 0.485) / 0.229 = 2.2489083
        // G: (0 - 0.456) / 0.224 = -2.0357143
        // B: (128 / 255 - 0.406) / 0.225 = 0.0959608 / 0.225 = 0.4264924
        assertArrayEquals(
                new float[] {2.2489083f, -2.0357143f, 0.4264924f},
                preprocess(Preprocessing.TORCH),
                1e-6f);
    }

    @Test
    void shouldPassRawPixelsThrough() {
        assertArrayEquals(new float[] {255f, 0f, 128f}, preprocess(Preprocessing.RAW), 0f);
    }

    @ParameterizedTest
    @EnumSource(Preprocessing.class)
    void shouldParseEachPresetFromItsId(Preprocessing preprocessing) {
        assertEquals(preprocessing, Preprocessing.parse(preprocessing.id()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"INCEPTION", " Inception ", "inception"})
    void shouldParseIgnoringCaseAndBlanks(String id) {
        assertEquals(Preprocessing.INCEPTION, Preprocessing.parse(id));
    }

    @Test
    void shouldListTheValidIdsWhenParsingAnUnknownOne() {
        IllegalArgumentException error =
                assertThrows(IllegalArgumentException.class, () -> Preprocessing.parse("vgg"));

        assertEquals(
                "unknown preprocessing 'vgg'; valid: inception, caffe, unit, torch, raw",
                error.getMessage());
    }

    @Test
    void shouldExposeCaffeAsBgrSourceChannels() {
        assertEquals(Preprocessing.ChannelOrder.BGR, Preprocessing.CAFFE.channelOrder());
        assertArrayEquals(
                new int[] {2, 1, 0},
                new int[] {
                    Preprocessing.CAFFE.sourceChannel(0),
                    Preprocessing.CAFFE.sourceChannel(1),
                    Preprocessing.CAFFE.sourceChannel(2)
                });
    }

    private static float[] preprocess(Preprocessing preprocessing) {
        float[] out = new float[3];
        InputWriter.write(PIXEL, 1, preprocessing, ResizeMode.HALF_PIXEL, out, 0);
        return out;
    }
}
