package dev.fovea.schemas.serde;

import java.io.ByteArrayOutputStream;

/**
 * Confluent's wire format: the magic byte 0x00, the writer schema's registry id as a big-endian
 * int32, then the record in plain Avro binary.
 */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0x00;

    /** The magic byte and the schema id. */
    public static final int HEADER_SIZE = 5;

    private WireFormat() {}

    /**
     * The schema id of a framed value; throws {@link WireFormatException} when it is not framed.
     */
    public static int schemaId(byte[] value) {
        return schemaId(value, 0, value.length);
    }

    static int schemaId(byte[] buffer, int offset, int length) {
        if (length == 0) {
            throw new WireFormatException(
                    "empty value, expected at least the 5-byte Confluent header (magic byte 0x00"
                            + " and a schema id): was it written by something other than an Avro"
                            + " serializer?");
        }
        if (buffer[offset] != MAGIC_BYTE) {
            throw new WireFormatException(
                    String.format(
                            "magic byte 0x%02x, expected 0x00: the value is not in the "
                                    + "Confluent wire format%s",
                            buffer[offset], guess(buffer[offset])));
        }
        if (length < HEADER_SIZE) {
            throw new WireFormatException(
                    "value of "
                            + length
                            + " bytes is shorter than the 5-byte Confluent header (magic byte 0x00"
                            + " and a 4-byte schema id): it was cut short, or not written by an"
                            + " Avro serializer");
        }
        return (buffer[offset + 1] & 0xff) << 24
                | (buffer[offset + 2] & 0xff) << 16
                | (buffer[offset + 3] & 0xff) << 8
                | (buffer[offset + 4] & 0xff);
    }

    static void writeHeader(ByteArrayOutputStream out, int schemaId) {
        out.write(MAGIC_BYTE);
        out.write(schemaId >>> 24);
        out.write(schemaId >>> 16);
        out.write(schemaId >>> 8);
        out.write(schemaId);
    }

    /** What a value starting with this byte probably is, for the error message. */
    private static String guess(byte first) {
        if (first == '{' || first == '[') {
            return " (JSON?)";
        }
        return first >= 0x20 && first < 0x7f ? " (text?)" : "";
    }
}
