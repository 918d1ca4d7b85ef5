package dev.fovea.topology;

/**
 * Why a record became a dead letter. The names are a public contract: they are written as strings
 * into {@code DeadLetter.reason}, and consumers of {@code images.dlq} switch on them.
 */
public enum Reason {
    /**
     * The value is null, not in the Confluent wire format, not Avro, or of an unknown schema id.
     */
    INVALID_RECORD,
    /** The bytes are not a readable image (empty, corrupt, truncated). */
    UNDECODABLE_IMAGE,
    /** The bytes are an image in a format Fovea does not decode (WebP, TIFF, HEIF...). */
    UNSUPPORTED_FORMAT,
    /** The image exceeds the configured limits on bytes, pixels or aspect ratio. */
    IMAGE_TOO_LARGE,
    /** The model failed on this image. */
    INFERENCE_FAILED
}
