package dev.fovea.topology.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DecoderLimitsTest {

    @Test
    void shouldDefaultToWhatTheTransportCarriesAndPhotosNeed() {
        assertEquals(16 * 1024 * 1024, DecoderLimits.DEFAULTS.maxBytes());
        assertEquals(40_000_000L, DecoderLimits.DEFAULTS.maxPixels());
        assertEquals(20.0, DecoderLimits.DEFAULTS.maxAspectRatio());
    }

    @Test
    void shouldRefuseLimitsOutsideWhatTheDecoderCanHonour() {
        assertThrows(IllegalArgumentException.class, () -> new DecoderLimits(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new DecoderLimits(1, 0, 1));
        assertThrows(
                IllegalArgumentException.class,
                () -> new DecoderLimits(1, DecoderLimits.MAX_SUPPORTED_PIXELS + 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new DecoderLimits(1, 1, 0.99));
        assertThrows(IllegalArgumentException.class, () -> new DecoderLimits(1, 1, Double.NaN));
    }

    @Test
    void shouldTakeAnInfiniteAspectRatioAsNoLimit() throws Exception {
        byte[] png = TestImages.encode(TestImages.noise(1, 5000, 1), ImageFormat.PNG);

        DecodedImage image =
                new JdkImageDecoder(new DecoderLimits(1 << 20, 1 << 20, Double.POSITIVE_INFINITY))
                        .decode(png, null);

        assertEquals(5000, image.height());
    }

    @ParameterizedTest
    @ValueSource(doubles = {20, 1, 100_000})
    void shouldShowWholeRatiosWithoutDecimals(double ratio) {
        assertEquals(Long.toString((long) ratio), DecoderLimits.formatRatio(ratio));
    }

    @Test
    void shouldRoundOtherRatiosUpSoThatOneOverALimitNeverReadsAsEqual() {
        assertEquals("20.01", DecoderLimits.formatRatio(20.001));
        assertEquals("2.50", DecoderLimits.formatRatio(2.5));
    }
}
