package dev.fovea.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.fovea.models.BuildResult;
import dev.fovea.ops.tools.Nsfwjs;
import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.JdkImageDecoder;
import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.runtime.ModelSpec;
import dev.fovea.workers.runtime.SavedModelClassifier;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The imported nsfwjs models compute what nsfwjs computes: the three trained classifiers of {@code
 * nsfwjs@4.4.0}, imported by Fovea's model tool and served by the worker's classifier (its
 * preprocessing and resize taken from the imported metadata), against nsfwjs itself on
 * {@code @tensorflow/tfjs} in Node, on the same decoded pixels of real photographs.
 *
 * <p>Both sides start from the same RGB bytes (the worker's JPEG/PNG decoder), so what is compared
 * is the model and its preprocessing, not two image decoders.
 */
class NsfwjsAgreementTest {
    private static final Path NODE_PROJECT = Path.of("src", "test", "node").toAbsolutePath();

    /** The bound, per probability. */
    private static final double TOLERANCE = 1e-4;

    private static final int PHOTOGRAPHS = 6;

    /** nsfwjs' name of each model, by the directory it ships it in. */
    private static final Map<String, String> NSFWJS_NAMES =
            Map.of(
                    "inception_v3", "InceptionV3",
                    "mobilenet_v2", "MobileNetV2",
                    "mobilenet_v2_mid", "MobileNetV2Mid");

    private static List<BuildResult> imported;
    private static List<DecodedImage> images;
    private static Map<String, JsonNode> reference;

    @BeforeAll
    static void importAndRunTheReference() throws Exception {
        Path pkg = NODE_PROJECT.resolve("node_modules").resolve("nsfwjs");
        assertTrue(
                Files.isDirectory(pkg),
                "run `npm ci` in " + NODE_PROJECT + " (./fovea test does it)");
        imported =
                Nsfwjs.importAll(pkg, Path.of("target", "nsfwjs-models").toAbsolutePath(), r -> {});

        JdkImageDecoder decoder = new JdkImageDecoder(JdkImageDecoder.DEFAULT_MAX_PIXELS);
        images = new ArrayList<>();
        for (Path photo : Fixture.photographs().subList(0, PHOTOGRAPHS)) {
            images.add(decoder.decode(Files.readAllBytes(photo), null));
        }
        reference = runNsfwjs(images);
    }

    @Test
    void shouldImportTheThreeModelsOfThePackage() {
        assertEquals(
                NSFWJS_NAMES.keySet(),
                imported.stream()
                        .map(r -> r.dir().getFileName().toString().replace("nsfwjs-", ""))
                        .collect(java.util.stream.Collectors.toSet()));
        for (BuildResult r : imported) {
            assertEquals(
                    List.of("Drawing", "Hentai", "Neutral", "Porn", "Sexy").size(),
                    r.metadata().classes());
            assertEquals("unit", r.metadata().preprocessing());
            assertEquals("align_corners", r.metadata().resize());
        }
    }

    @Test
    void shouldGiveTheProbabilitiesOfNsfwjsOnRealPhotographs() throws Exception {
        for (BuildResult model : imported) {
            String name = model.dir().getFileName().toString().replace("nsfwjs-", "");
            JsonNode expected = reference.get(NSFWJS_NAMES.get(name));
            double worst = 0;
            try (SavedModelClassifier classifier =
                    SavedModelClassifier.load(ModelSpec.resolve(config(model.dir())))) {
                for (int i = 0; i < images.size(); i++) {
                    float[] actual = classifier.classify(images.get(i));
                    JsonNode row = expected.get(i);
                    assertEquals(row.size(), actual.length, name);
                    for (int c = 0; c < actual.length; c++) {
                        double difference = Math.abs(actual[c] - row.get(c).asDouble());
                        worst = Math.max(worst, difference);
                        assertTrue(
                                difference <= TOLERANCE,
                                name
                                        + " image "
                                        + i
                                        + " class "
                                        + c
                                        + ": Fovea "
                                        + actual[c]
                                        + ", nsfwjs "
                                        + row.get(c).asDouble());
                    }
                    assertEquals(argmax(row), argmax(actual), name + " image " + i + " top-1");
                }
            }
            System.out.printf(
                    "nsfwjs %s: %d photographs, max |Fovea - nsfwjs| = %.2e%n",
                    name, images.size(), worst);
        }
    }

    private static WorkerConfig config(Path model) {
        Map<String, String> values = new HashMap<>();
        values.put(WorkerConfig.MODEL_PATH, model.toString());
        return WorkerConfig.of(values);
    }

    /** Writes the pixels for the Node script, runs it, and reads its rows per model. */
    private static Map<String, JsonNode> runNsfwjs(List<DecodedImage> images) throws Exception {
        ObjectMapper json = new ObjectMapper();
        Path dir = Files.createTempDirectory("nsfwjs-reference");
        ObjectNode manifest = json.createObjectNode();
        ArrayNode files = manifest.putArray("images");
        for (int i = 0; i < images.size(); i++) {
            DecodedImage image = images.get(i);
            Files.write(dir.resolve(i + ".rgb"), image.rgb());
            files.addObject()
                    .put("file", i + ".rgb")
                    .put("width", image.width())
                    .put("height", image.height());
        }
        ArrayNode models = manifest.putArray("models");
        NSFWJS_NAMES.values().stream().sorted().forEach(models::add);
        Path manifestFile = dir.resolve("manifest.json");
        json.writeValue(manifestFile.toFile(), manifest);

        Path output = dir.resolve("output.txt");
        Process node =
                new ProcessBuilder("node", "nsfwjs-reference.mjs", manifestFile.toString())
                        .directory(NODE_PROJECT.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .start();
        boolean finished = node.waitFor(10, TimeUnit.MINUTES);
        if (!finished) {
            node.destroyForcibly();
        }
        String printed = Files.readString(output);
        assertTrue(finished && node.exitValue() == 0, "nsfwjs-reference.mjs failed:\n" + printed);
        Map<String, JsonNode> rows = new HashMap<>();
        for (String line : printed.lines().toList()) {
            if (line.startsWith("{")) {
                JsonNode result = json.readTree(line);
                rows.put(result.get("model").asText(), result.get("probabilities"));
            }
        }
        assertEquals(NSFWJS_NAMES.size(), rows.size(), printed);
        return rows;
    }

    private static int argmax(JsonNode row) {
        int best = 0;
        for (int i = 1; i < row.size(); i++) {
            if (row.get(i).asDouble() > row.get(best).asDouble()) {
                best = i;
            }
        }
        return best;
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }
}
