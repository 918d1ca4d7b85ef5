package dev.fovea.topology.stages;

import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.ImageDecoder;
import dev.fovea.topology.image.ImageRejectedException;

import java.nio.ByteBuffer;

/** Stage 2: the event's encoded bytes to RGB pixels, rejecting what cannot or must not decode. */
public final class DecodeImage extends Stage {
    private final ImageDecoder decoder;

    public DecodeImage(ImageDecoder decoder) {
        this.decoder = decoder;
    }

    @Override
    ImageWork apply(ImageWork work) {
        ByteBuffer data = work.event().getData();
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
