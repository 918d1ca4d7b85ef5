package dev.fovea.topology.stages;

import dev.fovea.topology.Telemetry;
import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.ImageDecoder;
import dev.fovea.topology.image.ImageRejectedException;

import java.nio.ByteBuffer;

/** Stage 2: the event's encoded bytes to RGB pixels, rejecting what cannot or must not decode. */
public final class DecodeImage extends Stage {
    private final ImageDecoder decoder;
    private final Telemetry telemetry;

    public DecodeImage(ImageDecoder decoder) {
        this(decoder, Telemetry.NONE);
    }

    public DecodeImage(ImageDecoder decoder, Telemetry telemetry) {
        this.decoder = decoder;
        this.telemetry = telemetry;
    }

    @Override
    ImageWork apply(ImageWork work) {
        ByteBuffer data = work.event().getData();
        long start = System.nanoTime();
        try {
            DecodedImage image = decoder.decode(bytesOf(data), work.event().getContentType());
            return work.withImage(image, millisSince(work.startNanos()));
        } catch (ImageRejectedException rejected) {
            return work.failedWith(new Failure(rejected.reason(), rejected.getMessage()));
        } finally {
            // Rejections count too: a decoder that spends long refusing images shows here.
            telemetry.decoded(System.nanoTime() - start);
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
