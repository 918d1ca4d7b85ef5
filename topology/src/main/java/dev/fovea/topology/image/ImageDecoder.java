package dev.fovea.topology.image;

/** Turns the bytes of an image file into RGB pixels. Implementations are thread-safe. */
public interface ImageDecoder {

    /**
     * Decodes {@code data}.
     *
     * @param data the complete file contents
     * @param contentTypeOrNull the media type the producer declared, if any; a hint only, since the
     *     bytes themselves decide the format
     * @throws ImageRejectedException when the data is not a decodable image within the limits
     */
    DecodedImage decode(byte[] data, String contentTypeOrNull) throws ImageRejectedException;
}
