package dev.fovea.topology.stages;

import dev.fovea.topology.Reason;
import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.ImageDecoder;
import dev.fovea.topology.image.ImageRejectedException;

import java.nio.ByteBuffer;

/** Stage 2: the event's encoded bytes to RGB pixels, rejecting what cannot or must not decode. */
public final class DecodeImage extends Stage {
    private final ImageDecoder decoder;
    private final int maxImageBytes;

    public DecodeImage(ImageDecoder decoder, int maxImageBytes) {
        this.decoder = decoder;
        this.maxImageBytes = maxImageBytes;
    }

    @Override
    ImageWork apply(ImageWork work) {
        ByteBuffer data = work.event().getData();
        if (data.remaining() > maxImageBytes) {
            return work.failedWith(
                    new Failure(
                            Reason.IMAGE_TOO_LARGE,
                            data.remaining()
                                    + " bytes exceed the limit of "
                                    + maxImageBytes
                                    + " (image.max.bytes)"));
        }
        try {
            DecodedImage image = decoder.decode(bytesOf(data), work.event().getContentType());
            return work.withImage(image, millisSince(work.startNanos()));
        } catch (ImageRejectedException rejected) {
            return work.failedWith(new Failure(rejected.reason(), rejected.getMessage()));
        }
    }

    /** The bytes without a copy when the buffer wraps a whole array, as Avro's decoder produces. */
    private static byte[] bytesOf(ByteBuffer data) {
        if (data.hasArray()
                && data.arrayOffset() == 0
                && data.position() == 0
                && data.remaining() == data.array().length) {
            return data.array();
        }
        byte[] copy = new byte[data.remaining()];
        data.duplicate().get(copy);
        return copy;
    }
}
