package dev.fovea.topology.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.topology.Reason;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ImageRejectedExceptionTest {

    @ParameterizedTest
    @EnumSource(names = {"UNDECODABLE_IMAGE", "UNSUPPORTED_FORMAT", "IMAGE_TOO_LARGE"})
    void shouldCarryAnImageReasonAndItsMessage(Reason reason) {
        ImageRejectedException rejection = new ImageRejectedException(reason, "why");

        assertEquals(reason, rejection.reason());
        assertEquals("why", rejection.getMessage());
    }

    @ParameterizedTest
    @EnumSource(names = {"INVALID_RECORD", "INFERENCE_FAILED"})
    void shouldRefuseReasonsThatAreNotAboutTheImage(Reason reason) {
        assertThrows(
                IllegalArgumentException.class, () -> new ImageRejectedException(reason, "why"));
    }

    @Test
    void shouldCaptureNoStackTrace() {
        assertEquals(
                0,
                new ImageRejectedException(Reason.IMAGE_TOO_LARGE, "why").getStackTrace().length);
    }
}
