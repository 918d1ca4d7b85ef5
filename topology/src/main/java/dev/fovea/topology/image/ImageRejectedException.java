package dev.fovea.topology.image;

import dev.fovea.topology.Reason;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * An input that cannot become a {@link DecodedImage}. This is a property of the data, not a fault
 * of the service: the record goes to the dead-letter topic with {@link #reason()} and {@link
 * #getMessage()}, and processing continues.
 *
 * <p>The reason is one of the dead-letter {@link Reason}s that concern images: {@link
 * Reason#UNDECODABLE_IMAGE} (empty, truncated, corrupt, a header declaring more pixels than the
 * file can hold, or not an image at all), {@link Reason#UNSUPPORTED_FORMAT} (a recognised format
 * Fovea does not decode: WebP, TIFF, HEIF, AVIF, and the JPEG and BMP variants the JDK reader does
 * not handle) or {@link Reason#IMAGE_TOO_LARGE} (over one of the {@link DecoderLimits}, whose
 * message names the setting, the value and the limit).
 *
 * <p>The message is short, fixed text (it may name the format, the dimensions and the limits) and
 * never contains a stack trace, a file path, the declared content type or the text of a library's
 * own exception, so it is safe to write into a dead-letter record. The library exception, when
 * there is one, is kept as the {@linkplain #getCause() cause} for logs.
 *
 * <p>No stack trace is captured: rejections are expected, may be frequent, and where this exception
 * was thrown says nothing the reason does not.
 */
public final class ImageRejectedException extends Exception {

    private static final Set<Reason> IMAGE_REASONS =
            EnumSet.of(Reason.UNDECODABLE_IMAGE, Reason.UNSUPPORTED_FORMAT, Reason.IMAGE_TOO_LARGE);

    private final Reason reason;

    public ImageRejectedException(Reason reason, String message) {
        this(reason, message, null);
    }

    /**
     * @throws IllegalArgumentException for a reason that is not about the image itself
     */
    public ImageRejectedException(Reason reason, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause, true, false);
        if (!IMAGE_REASONS.contains(reason)) {
            throw new IllegalArgumentException(
                    "an image is rejected for one of " + IMAGE_REASONS + ", not " + reason);
        }
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
