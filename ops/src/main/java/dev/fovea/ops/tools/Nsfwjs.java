package dev.fovea.ops.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.fovea.models.BuildResult;
import dev.fovea.models.Labels;
import dev.fovea.models.ModelMetadata;
import dev.fovea.models.tfjs.ImportRequest;
import dev.fovea.models.tfjs.TfjsImporter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The three trained classifiers of the npm package {@code nsfwjs} (MIT licence), imported as models
 * a worker serves: a real trained Inception v3 and two MobileNet v2, with the same 5 classes
 * (Drawing, Hentai, Neutral, Porn, Sexy), for content moderation, one of the main uses of an image
 * classification stream.
 *
 * <p>The package is fetched with {@code npm pack} (no install, no scripts run) into a cache, its
 * browserify bundles unwrapped by a small Node script, and each model converted by {@link
 * TfjsImporter}. Its preprocessing (dist/cjs/core.js: pixels divided by 255, then {@code
 * tf.image.resizeBilinear(..., alignCorners=true)} to the square input, stretched, not cropped)
 * goes into the metadata, so a worker feeds the models exactly as nsfwjs does.
 */
public final class Nsfwjs {

    /** The version the importer and the agreement test were checked against. */
    public static final String VERSION = "4.4.0";

    /**
     * The architecture of a model whose directory under {@code dist/models} does not name it: the
     * "mid" model is a MobileNet v2 too (at width 1.4). The others are named after theirs.
     */
    private static final Map<String, String> ARCHITECTURES =
            Map.of("mobilenet_v2_mid", "mobilenet_v2");

    /** The package's three trained classifiers, which share one label space: an ensemble. */
    public static final List<String> MODELS =
            List.of("inception_v3", "mobilenet_v2", "mobilenet_v2_mid");

    private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);

    private Nsfwjs() {}

    /** Where {@link #fetch} keeps the package: {@code ~/.cache/fovea/nsfwjs-VERSION}. */
    public static Path defaultCache() {
        return Path.of(System.getProperty("user.home"), ".cache", "fovea", "nsfwjs-" + VERSION);
    }

    /** The name of the model directory an nsfwjs model is imported into. */
    public static String modelName(String model) {
        return "nsfwjs-" + model;
    }

    /**
     * The unpacked package {@code nsfwjs@VERSION} in {@code cache}, fetched with {@code npm pack}
     * when it is not there yet.
     *
     * @throws IOException when npm is missing or cannot fetch it, saying what to do
     */
    public static Path fetch(Path cache) throws IOException {
        Path pkg = cache.resolve("package");
        if (Files.isRegularFile(pkg.resolve("package.json"))) {
            return pkg;
        }
        Files.createDirectories(cache);
        Path work = Files.createTempDirectory(cache, ".fetch");
        try {
            Commands.Outcome pack =
                    Commands.run(work, NPM_TIMEOUT, "npm", "pack", "--silent", "nsfwjs@" + VERSION);
            if (!pack.ok()) {
                throw new IOException(
                        "could not fetch nsfwjs@"
                                + VERSION
                                + " with npm pack"
                                + (pack.exitCode() == 127
                                        ? ": npm is not installed (apt-get install npm)"
                                        : " (is the npm registry reachable?):\n" + pack.tail()));
            }
            Path tarball = work.resolve("nsfwjs-" + VERSION + ".tgz");
            Commands.Outcome untar =
                    Commands.run(work, NPM_TIMEOUT, "tar", "xzf", tarball.toString());
            if (!untar.ok()) {
                throw new IOException("could not unpack " + tarball + ":\n" + untar.tail());
            }
            Files.move(work.resolve("package"), pkg);
            return pkg;
        } finally {
            Commands.deleteRecursively(work);
        }
    }

    /**
     * The directories of {@link #MODELS} in {@code modelsDir}, in that order (Inception v3 first),
     * imported from npm the first time.
     *
     * @param step told what happens, for a user watching
     * @throws IOException when npm is missing or cannot fetch the package, saying what to do
     */
    public static List<Path> ensureImported(Path modelsDir, Consumer<String> step)
            throws IOException {
        List<Path> dirs = MODELS.stream().map(m -> modelsDir.resolve(modelName(m))).toList();
        if (dirs.stream().allMatch(ModelMetadata::isCurrentModelDirectory)) {
            step.accept("using nsfwjs' trained models in " + modelsDir);
            return dirs;
        }
        step.accept("importing nsfwjs@" + VERSION + "'s trained models from npm (once)");
        importAll(
                fetch(defaultCache()),
                modelsDir,
                result -> step.accept("imported " + result.dir()));
        for (Path dir : dirs) {
            if (!ModelMetadata.isCurrentModelDirectory(dir)) {
                throw new IOException("the import of nsfwjs made no model " + dir);
            }
        }
        return dirs;
    }

    /**
     * Imports every model of the unpacked package {@code pkg} into {@code outDir/nsfwjs-MODEL}.
     *
     * @param imported told of each model as soon as it is in place, for a user watching
     */
    public static List<BuildResult> importAll(Path pkg, Path outDir, Consumer<BuildResult> imported)
            throws IOException {
        Path unwrapped = Files.createTempDirectory("fovea-nsfwjs");
        try {
            List<BuildResult> results = new ArrayList<>();
            for (String model : unwrap(pkg, unwrapped)) {
                BuildResult result =
                        TfjsImporter.importModel(
                                request(pkg, unwrapped, model, outDir.resolve(modelName(model))));
                imported.accept(result);
                results.add(result);
            }
            return results;
        } finally {
            Commands.deleteRecursively(unwrapped);
        }
    }

    /**
     * The import of {@code model}, unwrapped into {@code unwrapped/MODEL} by {@link #unwrap}, with
     * nsfwjs' preprocessing and labels.
     */
    public static ImportRequest request(Path pkg, Path unwrapped, String model, Path out)
            throws IOException {
        Path from = unwrapped.resolve(model);
        return new ImportRequest(
                from,
                out,
                ARCHITECTURES.getOrDefault(model, model),
                "unit",
                ModelMetadata.ALIGN_CORNERS,
                Labels.read(from.resolve(Labels.FILE_NAME)),
                "nsfwjs@" + packageVersion(pkg) + " dist/models/" + model);
    }

    /**
     * Runs the Node script that turns the package's bundles into TF.js model directories, {@code
     * out/MODEL}, and gives the models' names, sorted.
     */
    public static List<String> unwrap(Path pkg, Path out) throws IOException {
        packageVersion(pkg); // fails early on a directory that is not nsfwjs
        Files.createDirectories(out);
        Path script = Files.createTempFile("nsfwjs-unwrap", ".cjs");
        try {
            try (InputStream in = Nsfwjs.class.getResourceAsStream("nsfwjs-unwrap.cjs")) {
                Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            }
            Commands.Outcome node =
                    Commands.run(
                            out,
                            NPM_TIMEOUT,
                            "node",
                            script.toString(),
                            pkg.toAbsolutePath().toString(),
                            out.toAbsolutePath().toString());
            if (!node.ok()) {
                throw new IOException(
                        node.exitCode() == 127
                                ? "Node.js is needed to unwrap nsfwjs' model bundles: apt-get"
                                        + " install nodejs"
                                : "unwrapping the nsfwjs bundles in "
                                        + pkg
                                        + " failed:\n"
                                        + node.tail());
            }
        } finally {
            Files.deleteIfExists(script);
        }
        try (Stream<Path> dirs = Files.list(out)) {
            return dirs.filter(p -> Files.isRegularFile(p.resolve("model.json")))
                    .map(p -> p.getFileName().toString())
                    .sorted()
                    .toList();
        }
    }

    private static String packageVersion(Path pkg) throws IOException {
        Path json = pkg.resolve("package.json");
        if (!Files.isRegularFile(json)) {
            throw new IOException(pkg + " is not an npm package (no package.json)");
        }
        JsonNode manifest = new ObjectMapper().readTree(json.toFile());
        if (!manifest.path("name").asText().equals("nsfwjs")) {
            throw new IOException(pkg + " is not the nsfwjs package");
        }
        return manifest.path("version").asText("unknown");
    }
}
