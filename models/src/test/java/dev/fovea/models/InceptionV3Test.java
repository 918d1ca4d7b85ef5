package dev.fovea.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class InceptionV3Test {

    /** model.count_params() of keras.applications.InceptionV3(weights=None). */
    private static final long KERAS_PARAMETERS = 23_851_784;

    @Test
    void shouldHaveExactlyTheParametersOfKerasAtFullWidth() {
        assertEquals(KERAS_PARAMETERS, ModelBuilder.countParameters("inception_v3", 1000, 1.0));
    }

    @Test
    void shouldSizeOnlyTheHeadByTheClassCount() {
        // The head is a 2048 x classes kernel plus a bias per class: 995 classes fewer, 995 x 2049.
        assertEquals(
                KERAS_PARAMETERS - 995 * 2049,
                ModelBuilder.countParameters("inception_v3", 5, 1.0));
    }
}
