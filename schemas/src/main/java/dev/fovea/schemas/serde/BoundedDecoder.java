package dev.fovea.schemas.serde;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.fovea.schemas.serde.AvroLimits.Limits;

import org.apache.avro.SystemLimitException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.util.Utf8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.LongToIntFunction;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A binary decoder over one value in memory that refuses a {@code string} or {@code bytes} length
 * prefix longer than the value itself before allocating anything: Avro allocates what the prefix
 * claims, then finds the bytes missing. Avro's own limits ({@link AvroLimits}) are checked next, so
 * that both failures read alike.
 *
 * <p>Everything else is Avro's {@link BinaryDecoder}. Not thread-safe, like any decoder.
 */
final class BoundedDecoder extends Decoder {
    private static final Pattern AVRO_COUNT = Pattern.compile("length (\\d+)");

    private final BinaryDecoder in;
    private final int valueLength;

    /** Decodes {@code buffer[offset, offset + length)}. */
    BoundedDecoder(byte[] buffer, int offset, int length) {
        this.in = DecoderFactory.get().binaryDecoder(buffer, offset, length, null);
        this.valueLength = length;
    }

    boolean isEnd() throws IOException {
        return in.isEnd();
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        int length = stringLength();
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        in.readFixed(result.getBytes(), 0, length);
        return result;
    }

    @Override
    public String readString() throws IOException {
        byte[] bytes = new byte[stringLength()];
        in.readFixed(bytes);
        return new String(bytes, UTF_8);
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        int length =
                checkLength(
                        in.readLong(), SystemLimitException::checkMaxBytesLength, Limits::bytes);
        ByteBuffer result;
        if (old != null && length <= old.capacity()) {
            result = old;
            result.clear();
        } else {
            result = ByteBuffer.allocate(length);
        }
        in.readFixed(result.array(), result.position(), length);
        result.limit(length);
        return result;
    }

    private int stringLength() throws IOException {
        return checkLength(
                in.readLong(), SystemLimitException::checkMaxStringLength, Limits::strings);
    }

    private int checkLength(
            long claimed, LongToIntFunction avroCheck, ToIntFunction<Limits> limit) {
        if (claimed < 0) {
            // Avro's own check says "Malformed data", which tells the producer nothing.
            throw new LengthLimitException(
                    "a length prefix is negative (" + claimed + "): not a valid record");
        }
        if (claimed > valueLength) {
            throw new LengthLimitException(
                    "a length prefix claims "
                            + claimed
                            + " bytes, more than the "
                            + valueLength
                            + " bytes of the whole Avro body: the value was cut short, or is not"
                            + " a valid record");
        }
        try {
            return avroCheck.applyAsInt(claimed);
        } catch (SystemLimitException e) {
            throw new LengthLimitException(
                    "a length prefix claims "
                            + claimed
                            + " bytes, over the limit of "
                            + limit.applyAsInt(AvroLimits.effective())
                            + " bytes set by "
                            + AvroLimits.class.getSimpleName()
                            + ": not a valid record");
        }
    }

    /** Avro counts the items of a collection block by block, and checks the running total. */
    private static long items(ItemCount count) throws IOException {
        try {
            return count.read();
        } catch (SystemLimitException e) {
            Matcher claimed = AVRO_COUNT.matcher(String.valueOf(e.getMessage()));
            throw new LengthLimitException(
                    "a collection claims "
                            + (claimed.find() ? claimed.group(1) + " items, over" : "more than")
                            + " the limit of "
                            + AvroLimits.effective().items()
                            + " items set by "
                            + AvroLimits.class.getSimpleName()
                            + ": not a valid record");
        }
    }

    @FunctionalInterface
    private interface ItemCount {
        long read() throws IOException;
    }

    /** A length prefix no valid record has; the message says which limit it breaks. */
    static final class LengthLimitException extends RuntimeException {
        LengthLimitException(String message) {
            super(message, null, false, false);
        }
    }

    // Plain delegation from here on, but for counting collection items.

    @Override
    public void readNull() throws IOException {
        in.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
        return in.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
        return in.readInt();
    }

    @Override
    public long readLong() throws IOException {
        return in.readLong();
    }

    @Override
    public float readFloat() throws IOException {
        return in.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
        return in.readDouble();
    }

    @Override
    public void skipString() throws IOException {
        in.skipString();
    }

    @Override
    public void skipBytes() throws IOException {
        in.skipBytes();
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
        in.readFixed(bytes, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
        in.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
        return in.readEnum();
    }

    @Override
    public long readArrayStart() throws IOException {
        return items(in::readArrayStart);
    }

    @Override
    public long arrayNext() throws IOException {
        return items(in::arrayNext);
    }

    @Override
    public long skipArray() throws IOException {
        return in.skipArray();
    }

    @Override
    public long readMapStart() throws IOException {
        return items(in::readMapStart);
    }

    @Override
    public long mapNext() throws IOException {
        return items(in::mapNext);
    }

    @Override
    public long skipMap() throws IOException {
        return in.skipMap();
    }

    @Override
    public int readIndex() throws IOException {
        return in.readIndex();
    }
}
