package dev.fovea.schemas.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

class WireFormatTest {

    @Test
    void shouldReadTheSchemaIdBigEndian() {
        assertEquals(0x01020304, WireFormat.schemaId(new byte[] {0, 1, 2, 3, 4, 42}));
        assertEquals(Integer.MAX_VALUE, WireFormat.schemaId(new byte[] {0, 0x7f, -1, -1, -1}));
    }

    @Test
    void shouldWriteTheHeaderItReads() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireFormat.writeHeader(out, 0xcafe01);

        assertEquals(0xcafe01, WireFormat.schemaId(out.toByteArray()));
    }

    @Test
    void shouldNameTextThatIsNotFramed() {
        WireFormatException e =
                assertThrows(
                        WireFormatException.class,
                        () -> WireFormat.schemaId("hello".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(e.getMessage().startsWith("magic byte 0x68, expected 0x00"), e.getMessage());
        assertTrue(e.getMessage().endsWith("(text?)"), e.getMessage());
    }

    @Test
    void shouldUseTheTopicNameStrategy() {
        assertEquals("images.raw-value", TopicNameStrategy.subject("images.raw", false));
        assertEquals("images.raw-key", TopicNameStrategy.subject("images.raw", true));
    }
}
