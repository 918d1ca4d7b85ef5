package dev.fovea.topology;

/**
 * What the topology reports as records pass, for a worker's metrics and logs. A port, like {@link
 * Classifier}: the topology stays a pure function of its settings and ports, and knows nothing of
 * how counts are kept or exposed. Calls come from stream threads, concurrently; implementations
 * must be thread-safe and cheap (they run once or twice per record).
 *
 * <p>Every image read is answered exactly once per {@code process()}: {@link #imageIn} is followed
 * by one {@link #predicted} or one {@link #deadLettered}, which is what lets a scrape check that
 * images in = predictions + dead letters.
 */
public interface Telemetry {
    /** Reports nothing: for tests and tools that need no metrics. */
    Telemetry NONE = new Telemetry() {};

    /** A record was read from the images topic. */
    default void imageIn() {}

    /** An image's bytes decoded to pixels, taking this long. */
    default void decoded(long nanos) {}

    /** An image was answered with predictions (one call per image, whatever the records). */
    default void predicted(String imageId) {}

    /** A record was answered with a dead letter. */
    default void deadLettered(Reason reason, String imageId, String message) {}
}
