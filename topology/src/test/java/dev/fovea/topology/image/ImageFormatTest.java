package dev.fovea.topology.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.image.BufferedImage;
import java.util.Optional;

class ImageFormatTest {

    @ParameterizedTest
    @EnumSource(names = {"JPEG", "PNG", "GIF", "BMP"})
    void shouldSniffWhatTheJdkEncodersWrite(ImageFormat format) {
        byte[] encoded =
                TestImages.encode(TestImages.quadrants(BufferedImage.TYPE_3BYTE_BGR), format);

        assertEquals(Optional.of(format), ImageFormat.sniff(encoded));
        assertTrue(format.supported());
    }

    @Test
    void shouldSniffWebpFromRiffHeader() {
        assertEquals(Optional.of(ImageFormat.WEBP), ImageFormat.sniff(TestImages.webpMagic()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"II*\0", "MM\0*", "II+\0"})
    void shouldSniffTiffInBothByteOrdersAndBigTiff(String magic) {
        assertEquals(
                Optional.of(ImageFormat.TIFF),
                ImageFormat.sniff(TestImages.asciiPadded(magic, 16)));
    }

    @Test
    void shouldSniffHeifFromItsMajorBrand() {
        assertEquals(
                Optional.of(ImageFormat.HEIF),
                ImageFormat.sniff(TestImages.ftyp("heic", "mif1", "heic")));
    }

    @Test
    void shouldSniffAvifEvenWhenOnlyACompatibleBrandSaysSo() {
        assertEquals(
                Optional.of(ImageFormat.AVIF),
                ImageFormat.sniff(TestImages.ftyp("mif1", "mif1", "avif")));
    }

    @Test
    void shouldNotTakeMp4VideoForAnImage() {
        assertEquals(Optional.empty(), ImageFormat.sniff(TestImages.ftyp("isom", "isom", "mp41")));
    }

    @Test
    void shouldNotTakeTextStartingWithBmForABitmap() {
        assertEquals(
                Optional.empty(),
                ImageFormat.sniff(TestImages.asciiPadded("BMW and Audi are car makers", 64)));
    }

    @ParameterizedTest
    @NullAndEmptySource
    void shouldSniffNothingInNoData(byte[] data) {
        assertEquals(Optional.empty(), ImageFormat.sniff(data));
    }

    @Test
    void shouldSniffNothingInASignaturePrefix() {
        assertEquals(Optional.empty(), ImageFormat.sniff(new byte[] {(byte) 0xFF, (byte) 0xD8}));
    }

    @ParameterizedTest
    @CsvSource({
        "image/jpeg, JPEG",
        "image/jpg, JPEG",
        "IMAGE/JPEG, JPEG",
        "' image/png ; charset=binary', PNG",
        "image/gif, GIF",
        "image/x-ms-bmp, BMP",
        "image/webp, WEBP",
        "image/tiff, TIFF",
        "image/heic, HEIF",
        "image/avif, AVIF"
    })
    void shouldMapContentTypesToFormats(String contentType, ImageFormat expected) {
        assertEquals(Optional.of(expected), ImageFormat.fromContentType(contentType));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"application/octet-stream", "image/", "text/plain", "jpeg"})
    void shouldMapUnknownContentTypesToNothing(String contentType) {
        assertEquals(Optional.empty(), ImageFormat.fromContentType(contentType));
    }

    @ParameterizedTest
    @EnumSource(names = {"WEBP", "TIFF", "HEIF", "AVIF"})
    void shouldMarkRecognisedButUndecodedFormatsUnsupported(ImageFormat format) {
        assertFalse(format.supported());
    }
}
