package dev.fovea.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.topology.image.JdkImageDecoder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

class WorkloadTest {
    @TempDir Path tmp;

    private Path jpeg(String name) throws IOException {
        Path file = tmp.resolve(name);
        ImageIO.write(new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB), "jpg", file.toFile());
        return file;
    }

    @Test
    void shouldLeaveOutWhatTheWorkerWouldDeadLetterAndSaySo() throws IOException {
        Path good = jpeg("good.jpg");
        byte[] whole = Files.readAllBytes(jpeg("whole.jpg"));
        Path truncated =
                Files.write(tmp.resolve("truncated.jpg"), Arrays.copyOf(whole, whole.length / 2));
        ByteArrayOutputStream said = new ByteArrayOutputStream();

        Workload workload =
                Workload.read(List.of(good, truncated))
                        .classifiable(
                                new JdkImageDecoder(),
                                new PrintStream(said, true, StandardCharsets.UTF_8));

        assertEquals(List.of("good.jpg"), workload.photos().stream().map(p -> p.name()).toList());
        String line = said.toString(StandardCharsets.UTF_8);
        assertTrue(
                line.startsWith(
                        "bench: leaving out truncated.jpg, which the worker would dead-letter"
                                + " (UNDECODABLE_IMAGE: "),
                line);
    }

    @Test
    void shouldRefuseAWorkloadWithNothingToClassify() throws IOException {
        Path empty = Files.write(tmp.resolve("empty.jpg"), new byte[0]);

        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Workload.read(List.of(empty))
                                        .classifiable(
                                                new JdkImageDecoder(),
                                                new PrintStream(new ByteArrayOutputStream())));

        assertEquals("none of the 1 images can be classified", e.getMessage());
    }
}
