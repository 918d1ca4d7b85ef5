package dev.fovea.ops.tools;

import dev.fovea.avro.ImageEvent;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.schemas.serde.ConfluentAvroSerializer;
import dev.fovea.schemas.serde.WireFormat;
import dev.fovea.topology.Reason;
import dev.fovea.topology.image.DecoderLimits;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Records of the images topic that no well-behaved producer sends, generated in code (nothing is
 * checked in, nothing is read from disk): broken, hostile or merely unusual images, values that are
 * not Avro, keys that are not text. Each comes with what Fovea must do with it: classify it, or
 * dead-letter it for one {@link Reason}. {@code HostileInputTest} sends it to a worker on a real
 * broker; {@code ./fovea bench} interleaves its rejected records with photographs to measure what
 * they cost.
 *
 * <p>The images are small (at most 256x256), so the corpus costs milliseconds to build and its
 * valid images little to classify. Deterministic: the same arguments give the same bytes.
 */
public final class HostileCorpus {

    /** The schema id of the unknown-schema-id record: far above the ids a registry hands out. */
    public static final int UNKNOWN_SCHEMA_ID = 2_000_000_000;

    /**
     * One record.
     *
     * @param kind what it is, unique within the corpus, e.g. {@code jpeg-cmyk}
     * @param key the record key: the id in UTF-8, but for the null and non-UTF-8 key records
     * @param value the record value; null for the tombstone
     * @param id the ImageEvent id inside the value; null where the value is no ImageEvent
     * @param expected null where the image must be classified; else the reason of its dead letter
     */
    public record Entry(String kind, byte[] key, byte[] value, String id, Reason expected) {
        public boolean classifiable() {
            return expected == null;
        }

        @Override
        public String toString() {
            return kind + " (" + (value == null ? "null" : value.length + " bytes") + ")";
        }
    }

    private final ConfluentAvroSerializer<ImageEvent> serializer;
    private final String topic;
    private final String idPrefix;
    private final List<Entry> entries = new ArrayList<>();

    private HostileCorpus(SchemaRegistryClient registry, String topic, String idPrefix) {
        this.serializer = new ConfluentAvroSerializer<>(registry, true);
        this.topic = topic;
        this.idPrefix = idPrefix;
    }

    /**
     * The corpus for a worker reading {@code topic} with {@code limits}: the oversized record is
     * one byte over its {@code image.max.bytes}, the thin images sit at and beyond its {@code
     * image.max.aspect.ratio}. Registers ImageEvent's schema under {@code <topic>-value} if
     * missing, as Fovea's producers do.
     *
     * @param idPrefix starts every image id and key, to tell runs apart
     */
    public static List<Entry> generate(
            SchemaRegistryClient registry, String topic, String idPrefix, DecoderLimits limits) {
        HostileCorpus c = new HostileCorpus(registry, topic, idPrefix);
        c.addImages(limits);
        c.addRecords();
        return List.copyOf(c.entries);
    }

    /** The entries Fovea must dead-letter. */
    public static List<Entry> rejected(List<Entry> corpus) {
        return corpus.stream().filter(e -> !e.classifiable()).toList();
    }

    private void addImages(DecoderLimits limits) {
        Random random = new Random(7);
        image("empty-data", new byte[0], null, Reason.UNDECODABLE_IMAGE);
        byte[] noise = new byte[4096];
        random.nextBytes(noise);
        noise[0] = 0; // no image format starts with a zero byte but ISO media, which needs "ftyp"
        image("random-bytes", noise, null, Reason.UNDECODABLE_IMAGE);
        byte[] noisyJpeg = jpeg(noise(128, 128, random), false);
        image(
                "truncated-jpeg",
                Arrays.copyOf(noisyJpeg, noisyJpeg.length / 2),
                "image/jpeg",
                Reason.UNDECODABLE_IMAGE);
        // Decompression bombs: a few hundred bytes whose headers claim 2.5 gigapixels.
        image("png-50000x50000", pngDeclaring(50_000, 50_000), "image/png", Reason.IMAGE_TOO_LARGE);
        image(
                "jpeg-50000x50000",
                withJpegFrameSize(jpeg(scene(64, 64, BufferedImage.TYPE_3BYTE_BGR), false), 50_000),
                "image/jpeg",
                Reason.IMAGE_TOO_LARGE);

        image("png-1x1", png(scene(1, 1, BufferedImage.TYPE_3BYTE_BGR)), "image/png", null);
        double ratio = limits.maxAspectRatio();
        if (ratio * 4 <= 4096) {
            int longSide = (int) Math.floor(ratio * 4);
            image(
                    "png-thin-at-max-aspect-ratio",
                    png(scene(longSide, 4, BufferedImage.TYPE_3BYTE_BGR)),
                    "image/png",
                    null);
        }
        if (ratio < 4096) {
            int longSide = Math.max(1000, (int) Math.floor(ratio) + 1);
            image(
                    "png-thin-over-max-aspect-ratio",
                    png(scene(1, longSide, BufferedImage.TYPE_BYTE_GRAY)),
                    "image/png",
                    Reason.IMAGE_TOO_LARGE);
        }
        image("png-grayscale", png(scene(96, 64, BufferedImage.TYPE_BYTE_GRAY)), null, null);
        image("png-palette", png(scene(96, 64, BufferedImage.TYPE_BYTE_INDEXED)), null, null);
        image("png-16-bit", png(sixteenBitRgb(96, 64)), null, null);
        image("png-alpha", png(translucent(96, 64)), null, null);
        image("jpeg-cmyk", cmykJpeg(96, 64), "image/jpeg", null);
        image(
                "jpeg-progressive",
                jpeg(scene(96, 64, BufferedImage.TYPE_3BYTE_BGR), true),
                "image/jpeg",
                null);
        image(
                "jpeg-exif-rotated",
                withExifOrientation(jpeg(scene(96, 64, BufferedImage.TYPE_3BYTE_BGR), false), 6),
                "image/jpeg",
                null);
        image("gif-animated", animatedGif(64, 48, 3), "image/gif", null);
        image(
                "webp-header",
                ascii("RIFF\u0024\0\0\0WEBPVP8 ", 64),
                "image/webp",
                Reason.UNSUPPORTED_FORMAT);
        image("tiff-header", ascii("II*\0\u0008\0\0\0", 64), null, Reason.UNSUPPORTED_FORMAT);
        // The bytes are a PNG: they win over the declared type.
        image(
                "content-type-lies",
                png(scene(96, 64, BufferedImage.TYPE_3BYTE_BGR)),
                "image/jpeg",
                null);
        byte[] oversized = new byte[limits.maxBytes() + 1];
        oversized[0] = (byte) 0xFF;
        oversized[1] = (byte) 0xD8;
        oversized[2] = (byte) 0xFF;
        image("over-image-max-bytes", oversized, "image/jpeg", Reason.IMAGE_TOO_LARGE);
    }

    private void addRecords() {
        byte[] photo = jpeg(scene(96, 64, BufferedImage.TYPE_3BYTE_BGR), false);
        String id = idPrefix + "null-key";
        entries.add(new Entry("null-key", null, frame(id, photo, null), id, null));
        // 0xC3 opens a two-byte sequence that '(' does not continue; 0xFF is never UTF-8.
        byte[] binaryKey = {'k', (byte) 0xC3, '(', (byte) 0xFF, 0};
        id = idPrefix + "non-utf8-key-image";
        entries.add(new Entry("non-utf8-key-image", binaryKey, frame(id, photo, null), id, null));
        entries.add(
                new Entry(
                        "non-utf8-key-not-framed",
                        binaryKey,
                        "{\"id\": \"json\"}".getBytes(StandardCharsets.UTF_8),
                        null,
                        Reason.INVALID_RECORD));

        byte[] framed = frame(idPrefix + "framed", photo, "image/jpeg");
        int schemaId = WireFormat.schemaId(framed);
        byte[] garbage = new byte[64];
        new Random(11).nextBytes(garbage);
        record("not-avro", header(schemaId, garbage));
        // Cut inside the content type, the last string: every length read before still fits.
        record("avro-cut-short", Arrays.copyOf(framed, framed.length - 4));
        byte[] wrongMagic = framed.clone();
        wrongMagic[0] = 1;
        record("wrong-magic-byte", wrongMagic);
        record(
                "unknown-schema-id",
                header(UNKNOWN_SCHEMA_ID, Arrays.copyOfRange(framed, 5, framed.length)));
        record("tombstone", null);
    }

    /** An ImageEvent of {@code data}, keyed by its id. */
    private void image(String kind, byte[] data, String contentType, Reason expected) {
        String id = idPrefix + kind;
        entries.add(new Entry(kind, utf8(id), frame(id, data, contentType), id, expected));
    }

    /** A value that is no ImageEvent, keyed like the others. */
    private void record(String kind, byte[] value) {
        entries.add(new Entry(kind, utf8(idPrefix + kind), value, null, Reason.INVALID_RECORD));
    }

    private byte[] frame(String id, byte[] data, String contentType) {
        ImageEvent event =
                ImageEvent.newBuilder()
                        .setId(id)
                        .setData(ByteBuffer.wrap(data))
                        .setContentType(contentType)
                        .setTimestamp(Instant.ofEpochMilli(0))
                        .setAttributes(Map.of())
                        .build();
        return serializer.serialize(topic, event);
    }

    private static byte[] header(int schemaId, byte[] body) {
        return ByteBuffer.allocate(5 + body.length)
                .put(WireFormat.MAGIC_BYTE)
                .putInt(schemaId)
                .put(body)
                .array();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Text, then zeros up to {@code length}: a file signature with nothing behind it. */
    private static byte[] ascii(String text, int length) {
        return Arrays.copyOf(text.getBytes(StandardCharsets.ISO_8859_1), length);
    }

    // Images. Smooth content rather than noise keeps the encodings small and like photographs.

    private static BufferedImage scene(int width, int height, int type) {
        BufferedImage image = new BufferedImage(width, height, type);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int r = 255 * x / Math.max(1, width - 1);
                int g = 255 * y / Math.max(1, height - 1);
                int b = (x / 8 + y / 8) % 2 == 0 ? 200 : 40;
                image.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return image;
    }

    private static BufferedImage noise(int width, int height, Random random) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt() & 0xFFFFFF);
            }
        }
        return image;
    }

    private static BufferedImage translucent(int width, int height) {
        BufferedImage image = scene(width, height, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int alpha = 255 * x / (width - 1);
                image.setRGB(x, y, alpha << 24 | (image.getRGB(x, y) & 0xFFFFFF));
            }
        }
        return image;
    }

    private static BufferedImage sixteenBitRgb(int width, int height) {
        ColorModel model =
                new ComponentColorModel(
                        ColorSpace.getInstance(ColorSpace.CS_sRGB),
                        false,
                        false,
                        ColorModel.OPAQUE,
                        DataBuffer.TYPE_USHORT);
        WritableRaster raster = model.createCompatibleWritableRaster(width, height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setPixel(
                        x, y, new int[] {65535 * x / (width - 1), 65535 * y / (height - 1), 30000});
            }
        }
        return new BufferedImage(model, raster, false, null);
    }

    /** The JDK's JPEG writer stores four bands as they are: CMYK, without an Adobe segment. */
    private static byte[] cmykJpeg(int width, int height) {
        WritableRaster cmyk =
                Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, width, height, 4, null);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                cmyk.setPixel(
                        x, y, new int[] {255 * x / (width - 1), 255 * y / (height - 1), 60, 20});
            }
        }
        return writeJpeg(new IIOImage(cmyk, null, null), false);
    }

    private static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG writer for image type " + image.getType());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] jpeg(BufferedImage image, boolean progressive) {
        return writeJpeg(new IIOImage(image, null, null), progressive);
    }

    private static byte[] writeJpeg(IIOImage image, boolean progressive) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            writer.write(null, image, param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static byte[] animatedGif(int width, int height, int frames) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int f = 0; f < frames; f++) {
                BufferedImage frame = scene(width, height, BufferedImage.TYPE_BYTE_INDEXED);
                frame.getRaster().setSample(f, f, 0, 0); // frames that differ
                writer.writeToSequence(new IIOImage(frame, null, null), null);
            }
            writer.endWriteSequence();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** A PNG signature and a valid IHDR claiming {@code width x height}, an empty IDAT, IEND. */
    private static byte[] pngDeclaring(int width, int height) {
        ByteBuffer ihdr =
                ByteBuffer.allocate(13)
                        .putInt(width)
                        .putInt(height)
                        .put((byte) 8) // bit depth
                        .put((byte) 2) // RGB
                        .put(new byte[3]); // deflate, adaptive filtering, no interlace
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        pngChunk(out, "IHDR", ihdr.array());
        pngChunk(out, "IDAT", new byte[0]);
        pngChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void pngChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(8).putInt(data.length).put(name).array());
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** A copy whose frame header claims {@code side x side}; the scan data stays as it was. */
    private static byte[] withJpegFrameSize(byte[] jpeg, int side) {
        byte[] copy = jpeg.clone();
        int pos = 2;
        while (true) {
            int marker = copy[pos + 1] & 0xFF;
            if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xCC) {
                // Length (2), precision (1), then height and width.
                ByteBuffer.wrap(copy, pos + 5, 4).putShort((short) side).putShort((short) side);
                return copy;
            }
            pos += 2 + ((copy[pos + 2] & 0xFF) << 8 | (copy[pos + 3] & 0xFF));
        }
    }

    /** An EXIF APP1 segment right after SOI whose only tag is the orientation. */
    private static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        ByteBuffer exif = ByteBuffer.allocate(6 + 8 + 2 + 12 + 4);
        exif.put("Exif\0\0".getBytes(StandardCharsets.US_ASCII));
        exif.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8); // big-endian TIFF
        exif.putShort((short) 1); // one IFD0 entry: orientation, SHORT, 1 value
        exif.putShort((short) 0x0112).putShort((short) 3).putInt(1);
        exif.putShort((short) orientation).putShort((short) 0);
        exif.putInt(0); // no IFD1
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xE1});
        out.writeBytes(ByteBuffer.allocate(2).putShort((short) (exif.capacity() + 2)).array());
        out.writeBytes(exif.array());
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }
}
