package dev.fovea.topology.stages;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Where a record came from, kept with it through every stage so a dead letter can point back at the
 * exact input and carry its original bytes for replay.
 */
public record SourceRecord(
        String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {

    /**
     * The longest key a dead letter copies. Kafka keys may be as large as values, and a dead letter
     * carries the original value (up to dead.letter.max.value.bytes), the key and the image id:
     * without this bound a huge key alone would make the dead letter too large to send, and a
     * record that cannot be answered stops the worker on every restart.
     */
    public static final int MAX_KEY_COPY_BYTES = 64 * 1024;

    /** Marks an image id made from a key that is not UTF-8 text: its bytes in hex follow. */
    public static final String HEX_KEY_PREFIX = "0x";

    /**
     * The key as an image id, for records whose value did not parse: the key's text when it is
     * UTF-8, as producers are asked to write it; else {@value #HEX_KEY_PREFIX} and the key's bytes
     * in lower-case hex, so that the id shows exactly which bytes came and two different keys never
     * read alike (decoding them leniently turns every bad byte into the same U+FFFD); null without
     * a key.
     */
    public String keyAsImageId() {
        if (key == null) {
            return null;
        }
        String text = utf8OrNull(key);
        return text != null ? text : HEX_KEY_PREFIX + HexFormat.of().formatHex(key);
    }

    /** Whether there is a key and it is not valid UTF-8. */
    public boolean keyIsNotUtf8() {
        return key != null && utf8OrNull(key) == null;
    }

    private static String utf8OrNull(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
