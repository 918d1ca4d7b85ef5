package dev.fovea.schemas.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.avro.SystemLimitException;
import org.junit.jupiter.api.Test;

class AvroLimitsTest {

    @Test
    void shouldSetAvrosLimitsBeforeAvroReadsThem() {
        AvroLimits.ensure();

        assertEquals(
                "67108864", System.getProperty(SystemLimitException.MAX_BYTES_LENGTH_PROPERTY));
        assertEquals(
                "67108864", System.getProperty(SystemLimitException.MAX_STRING_LENGTH_PROPERTY));
        assertEquals(
                "1000000", System.getProperty(SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY));
        // What Avro applies, not just what the properties say: it reads them only once.
        assertEquals(new AvroLimits.Limits(64 << 20, 64 << 20, 1_000_000), AvroLimits.effective());
        assertEquals(64 << 20, SystemLimitException.checkMaxBytesLength(64 << 20));
        assertThrows(
                SystemLimitException.class,
                () -> SystemLimitException.checkMaxBytesLength((64 << 20) + 1));
    }
}
