package dev.fovea.schemas.serde;

import org.apache.avro.SystemLimitException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongToIntFunction;

/**
 * Caps what Avro allocates on a length prefix before reading the bytes behind it. Without caps, a
 * 13-byte record whose string length says 1 GB makes Avro allocate 1 GB, and the worker dies of an
 * {@link OutOfMemoryError} on every restart.
 *
 * <p>Avro 1.12 reads its caps from system properties once, when {@link SystemLimitException} is
 * initialised, and defaults to about 2 GB. {@link #ensure()} sets the properties that the user has
 * not set, and must run before anything in the JVM decodes Avro: {@link ConfluentAvroDeserializer}
 * and {@link ConfluentAvroSerializer} call it when they load. A {@code -D} on the command line wins
 * over the values here.
 */
public final class AvroLimits {
    /**
     * 64 MiB: no image Fovea accepts is larger, and Kafka's request size caps records well below.
     */
    public static final int MAX_BYTES_LENGTH = 64 << 20;

    public static final int MAX_STRING_LENGTH = 64 << 20;

    /** Items in one array or map. */
    public static final int MAX_COLLECTION_ITEMS = 1_000_000;

    /** Avro's own ceiling, and its default: the largest array the JVM allocates. */
    private static final int AVRO_CEILING = Integer.MAX_VALUE - 8;

    private static final Logger LOG = LoggerFactory.getLogger(AvroLimits.class);

    private static volatile Limits effective; // set once, under AvroLimits.class

    private AvroLimits() {}

    /**
     * Sets Avro's decoding limits unless already set, once; warns (once) when Avro had fixed its
     * limits before this ran, so they are not the ones configured.
     */
    public static void ensure() {
        effective();
    }

    /** The limits Avro applies, read back from Avro itself. */
    static Limits effective() {
        Limits limits = effective;
        return limits != null ? limits : initialise();
    }

    private static synchronized Limits initialise() {
        if (effective == null) {
            int bytes = configure(SystemLimitException.MAX_BYTES_LENGTH_PROPERTY, MAX_BYTES_LENGTH);
            int strings =
                    configure(SystemLimitException.MAX_STRING_LENGTH_PROPERTY, MAX_STRING_LENGTH);
            int items =
                    configure(
                            SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY,
                            MAX_COLLECTION_ITEMS);
            // The first call into SystemLimitException initialises it, reading the properties.
            effective =
                    new Limits(
                            readBack(SystemLimitException::checkMaxBytesLength),
                            readBack(SystemLimitException::checkMaxStringLength),
                            readBack(SystemLimitException::checkMaxCollectionLength));
            if (!effective.equals(new Limits(bytes, strings, items))) {
                LOG.warn(
                        "Avro decodes with limits of {} bytes, {} string bytes and {} collection"
                            + " items, not the configured {}, {} and {}: Avro was used (to decode,"
                            + " or to encode a string) before {} set them, and Avro reads them only"
                            + " once. A corrupt record may make it allocate up to that much. Set"
                            + " -D{}, -D{} and -D{} on the command line, or call"
                            + " AvroLimits.ensure() first thing in main()",
                        effective.bytes(),
                        effective.strings(),
                        effective.items(),
                        bytes,
                        strings,
                        items,
                        AvroLimits.class.getName(),
                        SystemLimitException.MAX_BYTES_LENGTH_PROPERTY,
                        SystemLimitException.MAX_STRING_LENGTH_PROPERTY,
                        SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY);
            }
        }
        return effective;
    }

    /**
     * Sets the property unless the user did; returns the value Avro should read from it, which is
     * Avro's default when the user's value does not parse.
     */
    private static int configure(String property, int value) {
        String set = System.getProperty(property);
        if (set == null) {
            System.setProperty(property, Integer.toString(value));
            return value;
        }
        try {
            return Math.min(Integer.parseUnsignedInt(set), AVRO_CEILING);
        } catch (NumberFormatException e) {
            return AVRO_CEILING; // Avro logs the bad value and keeps its default
        }
    }

    /**
     * Avro keeps its limits private: find the largest length its check accepts, by bisection over
     * its public checks (31 calls, once).
     */
    private static int readBack(LongToIntFunction check) {
        long accepted = 0;
        long refused = AVRO_CEILING + 1L;
        while (refused - accepted > 1) {
            long length = (accepted + refused) >>> 1;
            if (accepts(check, length)) {
                accepted = length;
            } else {
                refused = length;
            }
        }
        return (int) accepted;
    }

    private static boolean accepts(LongToIntFunction check, long length) {
        try {
            check.applyAsInt(length);
            return true;
        } catch (SystemLimitException e) {
            return false;
        }
    }

    /** Avro's limits: bytes per {@code bytes} value, per string, and items per array or map. */
    record Limits(int bytes, int strings, int items) {}
}
