package dev.fovea.ops.cli;

import dev.fovea.ops.local.LocalStack;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.ops.tools.SampleImages;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description =
                "Produce image files to the images topic as ImageEvent records (keyed by image"
                        + " id).")
final class ProduceCommand implements Callable<Integer> {
    @Mixin Connection connection;

    @Parameters(
            paramLabel = "PATH",
            arity = "0..*",
            description =
                    "Image files or folders of them (JPEG, PNG, GIF, BMP). Default: the sample"
                            + " photographs.")
    List<Path> paths = new ArrayList<>();

    @Option(
            names = "--count",
            paramLabel = "N",
            description = "Images to send, cycling over the files (default: one each).")
    Integer count;

    @Option(
            names = "--rate",
            paramLabel = "PER_SECOND",
            defaultValue = "0",
            description = "Images per second; 0 sends as fast as possible (default).")
    double rate;

    @Option(
            names = "--topic",
            defaultValue = LocalStack.IMAGES,
            description = "Topic (default ${DEFAULT-VALUE}).")
    String topic;

    @Option(
            names = "--id-prefix",
            defaultValue = "",
            description = "Prefix of the image ids (file stem + sequence).")
    String idPrefix;

    @Override
    public Integer call() throws IOException {
        List<Path> files =
                paths.isEmpty()
                        ? SampleImages.photographs(SampleImages.defaultDir())
                        : ImageProducer.imageFiles(paths);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no image files found in " + paths);
        }
        int n = count == null ? files.size() : count;
        try (ImageProducer producer =
                new ImageProducer(
                        connection.bootstrapServers,
                        new HttpSchemaRegistryClient(connection.registryUrl),
                        topic,
                        Map.of())) {
            producer.send(ImageProducer.items(files, n, idPrefix), rate, System.err);
        }
        System.err.printf("produced %d images to %s%n", n, topic);
        return 0;
    }
}
