package dev.fovea.schemas.serde;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.ImageEvent;
import dev.fovea.avro.Prediction;
import dev.fovea.avro.Timings;
import dev.fovea.avro.TopClass;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One filled-in instance of each contract, every optional field set, so a round trip covers them
 * all.
 */
final class Records {
    // Millisecond precision: timestamp-millis drops anything finer, and equality after a
    // round trip needs that.
    static final Instant TAKEN = Instant.ofEpochMilli(1_700_000_000_123L);

    private Records() {}

    static ImageEvent imageEvent() {
        return ImageEvent.newBuilder()
                .setId("img-42")
                .setData(
                        ByteBuffer.wrap(
                                new byte[] {
                                    (byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 16
                                }))
                .setContentType("image/jpeg")
                .setTimestamp(TAKEN)
                .setAttributes(Map.of("camera", "north-gate", "lane", "3"))
                .build();
    }

    static Prediction prediction() {
        return Prediction.newBuilder()
                .setImageId("img-42")
                .setModel("ensemble")
                .setModelVersion("2024-05")
                .setTop(
                        List.of(
                                new TopClass(281, "tabby", 0.71f),
                                new TopClass(285, "Egyptian cat", 0.2f)))
                .setProbabilities(List.of(0.71f, 0.2f, 0.09f))
                .setCropScheme("10crop")
                .setCrops(10)
                .setMembers(List.of("resnet50", "efficientnet-b0"))
                .setImageTimestamp(TAKEN)
                .setProcessedAt(TAKEN.plusMillis(85))
                .setTimings(new Timings(1.5f, 0.25f, 80.0f, 83.0f))
                .setAttributes(Map.of("camera", "north-gate"))
                .setWorker("worker-1")
                .build();
    }

    static DeadLetter deadLetter() {
        return DeadLetter.newBuilder()
                .setImageId("img-43")
                .setReason("UNDECODABLE_IMAGE")
                .setMessage("not a JPEG, PNG, GIF or BMP")
                .setSourceTopic("images.raw")
                .setPartition(2)
                .setOffset(1234L)
                .setTimestamp(TAKEN)
                .setKey(ByteBuffer.wrap("img-43".getBytes(StandardCharsets.UTF_8)))
                .setValue(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 1, 2}))
                .setWorker("worker-2")
                .setFailedAt(TAKEN.plusSeconds(1))
                .build();
    }
}
