package dev.fovea.topology.stages;

import dev.fovea.avro.ImageEvent;
import dev.fovea.topology.Classification;
import dev.fovea.topology.image.DecodedImage;

import java.nio.charset.StandardCharsets;

/**
 * One image on its way through the stages. Each stage fills in its part or records a {@link
 * Failure}; once failed, later stages pass the work along untouched to the dead-letter branch.
 * Immutable: a stage returns a new value.
 *
 * @param startNanos when the record entered the topology ({@link System#nanoTime()})
 * @param decodeMs time spent parsing the event and decoding the image
 */
public record ImageWork(
        SourceRecord source,
        long startNanos,
        ImageEvent event,
        DecodedImage image,
        float decodeMs,
        Classification classification,
        Failure failure) {

    static ImageWork arrived(SourceRecord source, long startNanos) {
        return new ImageWork(source, startNanos, null, null, 0f, null, null);
    }

    public boolean failed() {
        return failure != null;
    }

    /** The image id: from the event when it parsed, else the record key, else null. */
    public String imageId() {
        if (event != null) {
            return event.getId();
        }
        return source.key() == null ? null : new String(source.key(), StandardCharsets.UTF_8);
    }

    ImageWork withEvent(ImageEvent parsed) {
        return new ImageWork(source, startNanos, parsed, image, decodeMs, classification, failure);
    }

    ImageWork withImage(DecodedImage decoded, float elapsedMs) {
        return new ImageWork(
                source, startNanos, event, decoded, elapsedMs, classification, failure);
    }

    ImageWork withClassification(Classification result) {
        // The pixels are no longer needed; dropping them lets the GC have them early.
        return new ImageWork(source, startNanos, event, null, decodeMs, result, failure);
    }

    ImageWork failedWith(Failure why) {
        return new ImageWork(source, startNanos, event, null, decodeMs, classification, why);
    }
}
