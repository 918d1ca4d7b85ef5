package dev.fovea.ops.cli;

import dev.fovea.models.BuildRequest;
import dev.fovea.models.BuildResult;
import dev.fovea.models.Labels;
import dev.fovea.models.ModelBuilder;
import dev.fovea.models.ModelMetadata;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

@Command(
        name = "model",
        mixinStandardHelpOptions = true,
        description =
                "The model tool: build the papers' architectures as SavedModels, import trained"
                        + " TF.js models, inspect any SavedModel, benchmark them.",
        subcommands = {
            ModelCommand.Build.class,
            ModelImportCommand.class,
            ModelInspectCommand.class,
            ModelBenchCommand.class
        })
final class ModelCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(
            name = "build",
            mixinStandardHelpOptions = true,
            description = {
                "Build an architecture with seeded weights and export it as a SavedModel, with "
                        + "labels.txt and fovea-model.json (input size, preprocessing) beside it.",
                "The weights are random (He-initialised, deterministic per seed): for tests,"
                    + " benchmarks and the plumbing of the demo, not for meaningful predictions."
            })
    static final class Build implements Callable<Integer> {
        @Option(
                names = "--arch",
                required = true,
                paramLabel = "NAME",
                description = "Architecture: ${COMPLETION-CANDIDATES}.",
                completionCandidates = Architectures.class)
        String arch;

        @Option(
                names = "--classes",
                defaultValue = "1000",
                description = "Classes of the head (default ${DEFAULT-VALUE}).")
        int classes;

        @Option(
                names = "--width",
                defaultValue = "1.0",
                description =
                        "Multiplier of every convolution's filters (and VGG's fc1, fc2); < 1 gives"
                                + " small fast models (default ${DEFAULT-VALUE}).")
        double width;

        @Option(
                names = "--seed",
                defaultValue = "1",
                description = "Weight seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(
                names = "--labels",
                paramLabel = "FILE",
                description = "Labels, one per line in class order.")
        Path labels;

        @Option(
                names = "--out",
                required = true,
                paramLabel = "DIR",
                description = "Model directory to write.")
        Path out;

        @Override
        public Integer call() throws IOException {
            List<String> labelList = labels == null ? null : Labels.read(labels);
            System.err.printf(
                    "building %s (width %.2f, %d classes, seed %d)...%n",
                    arch, width, classes, seed);
            BuildResult result =
                    ModelBuilder.build(
                            new BuildRequest(arch, classes, width, seed, out, labelList));
            printResult(result, "built");
            return 0;
        }
    }

    /** One line per model written: where, what, and how long it took. */
    static void printResult(BuildResult result, String verb) {
        ModelMetadata meta = result.metadata();
        System.out.printf(
                "%s: %s, input %dx%d, %s preprocessing, %s resize, %d classes, %,d parameters,"
                        + " %s in %.1f s%n",
                result.dir(),
                meta.architecture(),
                meta.inputSize(),
                meta.inputSize(),
                meta.preprocessing(),
                meta.resize(),
                meta.classes(),
                meta.parameters(),
                verb,
                result.time().toMillis() / 1000.0);
    }

    /** Where models go unless told otherwise: {@code .fovea/models} under Fovea's home. */
    static Path defaultModelsDir() {
        return Path.of(System.getProperty("fovea.home", "."), ".fovea", "models");
    }

    /**
     * The Inception v3 with seeded weights that the demo's {@code --built-model}, the bench and the
     * local cluster serve when given no model: small and fast, meaningless classes; built once.
     */
    static Path seededDemoModel(double width, Consumer<String> step) {
        Path dir =
                defaultModelsDir()
                        .resolve(String.format(Locale.ROOT, "demo-inception_v3-w%.2f", width));
        if (ModelMetadata.isCurrentModelDirectory(dir)) {
            step.accept("reusing " + dir);
        } else {
            step.accept("building Inception v3, width " + width + ", seeded weights, into " + dir);
            ModelBuilder.build(new BuildRequest("inception_v3", 1000, width, 1, dir, null));
        }
        return dir;
    }

    static final class Architectures implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ModelBuilder.architectures().iterator();
        }
    }
}
