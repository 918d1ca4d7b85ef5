package dev.fovea.topology.stages;

import dev.fovea.avro.ImageEvent;
import dev.fovea.topology.CropScores;
import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.image.DecodedImage;

import java.util.List;

/**
 * One image on its way through the stages. Each stage fills in its part or records a {@link
 * Failure}; once failed, later stages pass the work along untouched to the dead-letter branch.
 * Immutable: a stage returns a new value.
 *
 * @param startNanos when the record entered the topology ({@link System#nanoTime()})
 * @param decodeMs time spent parsing the event and decoding the image
 * @param crops per member, the regions it runs
 * @param scores per member and crop, the probabilities
 * @param memberProbabilities per member, the mean over its crops
 * @param probabilities the members' weighted mean: what is published
 */
public record ImageWork(
        SourceRecord source,
        long startNanos,
        ImageEvent event,
        DecodedImage image,
        float decodeMs,
        List<List<Crop>> crops,
        CropScores scores,
        float[][] memberProbabilities,
        float[] probabilities,
        Failure failure) {

    static ImageWork arrived(SourceRecord source, long startNanos) {
        return new ImageWork(source, startNanos, null, null, 0f, null, null, null, null, null);
    }

    public boolean failed() {
        return failure != null;
    }

    /**
     * The image id: from the event when it parsed, else from the record key (see {@link
     * SourceRecord#keyAsImageId()}), else null.
     */
    public String imageId() {
        return clipped(unclippedId());
    }

    /**
     * The most characters of an image id that are published. Ids of events that parse are checked
     * against it (ParseEvent); ids made from the keys of records that did not are cut to it, so a
     * dead letter stays small enough to send whatever came in.
     */
    public static final int MAX_ID_CHARS = 1024;

    static String clipped(String id) {
        return id == null || id.length() <= MAX_ID_CHARS
                ? id
                : id.substring(0, MAX_ID_CHARS - 1) + "\u2026";
    }

    /** Whether {@link #imageId()} is cut short. */
    boolean imageIdClipped() {
        String id = unclippedId();
        return id != null && id.length() > MAX_ID_CHARS;
    }

    private String unclippedId() {
        return event != null ? event.getId() : source.keyAsImageId();
    }

    ImageWork withEvent(ImageEvent parsed) {
        return new ImageWork(
                source, startNanos, parsed, image, decodeMs, crops, scores, null, null, failure);
    }

    ImageWork withImage(DecodedImage decoded, float elapsedMs) {
        return new ImageWork(
                source, startNanos, event, decoded, elapsedMs, crops, scores, null, null, failure);
    }

    ImageWork withCrops(List<List<Crop>> regions) {
        return new ImageWork(
                source, startNanos, event, image, decodeMs, regions, scores, null, null, failure);
    }

    ImageWork withScores(CropScores result) {
        // The pixels are no longer needed; dropping them lets the GC have them early.
        return new ImageWork(
                source, startNanos, event, null, decodeMs, crops, result, null, null, failure);
    }

    ImageWork withMemberProbabilities(float[][] perMember) {
        return new ImageWork(
                source, startNanos, event, null, decodeMs, crops, scores, perMember, null, failure);
    }

    ImageWork withProbabilities(float[] averaged) {
        return new ImageWork(
                source,
                startNanos,
                event,
                null,
                decodeMs,
                crops,
                scores,
                memberProbabilities,
                averaged,
                failure);
    }

    ImageWork failedWith(Failure why) {
        return new ImageWork(
                source, startNanos, event, null, decodeMs, crops, scores, null, null, why);
    }
}
