package dev.fovea.workers.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.models.BuildRequest;
import dev.fovea.models.ModelBuilder;
import dev.fovea.topology.crops.CropScheme;
import dev.fovea.workers.config.WorkerConfig;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Resolving what a worker serves from its settings; no model is loaded here. */
class EnsembleSpecTest {
    @TempDir static Path dir;
    static Path a;
    static Path b;

    @BeforeAll
    static void buildModels() {
        a = dir.resolve("a");
        b = dir.resolve("b");
        ModelBuilder.build(new BuildRequest("googlenet", 3, 0.125, 1, a, null));
        ModelBuilder.build(new BuildRequest("googlenet", 3, 0.125, 2, b, null));
    }

    private static EnsembleSpec resolve(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return EnsembleSpec.resolve(WorkerConfig.of(values));
    }

    private static String failure(String... keyValues) {
        return assertThrows(ModelLoadException.class, () -> resolve(keyValues)).getMessage();
    }

    private static String members(Path... dirs) {
        return String.join(",", java.util.Arrays.stream(dirs).map(Path::toString).toList());
    }

    @Test
    void shouldServeASingleModelAsAnEnsembleOfOneUnderItsOwnName() {
        EnsembleSpec spec =
                resolve(WorkerConfig.MODEL_PATH, a.toString(), WorkerConfig.MODEL_CROPS, "center");
        assertEquals(1, spec.members().size());
        EnsembleSpec.MemberSpec only = spec.members().get(0);
        assertEquals(only.model().name(), spec.name());
        assertEquals(only.model().version(), spec.version());
        assertEquals(CropScheme.CENTER, only.crops());
        assertEquals(1.0, only.weight());
    }

    @Test
    void shouldGiveEachMemberItsSchemeAndWeightInOrder() {
        EnsembleSpec spec =
                resolve(
                        WorkerConfig.ENSEMBLE_MEMBERS, members(a, b),
                        WorkerConfig.ENSEMBLE_NAME, "duo",
                        WorkerConfig.ENSEMBLE_CROPS, "144crop, 10crop",
                        WorkerConfig.ENSEMBLE_WEIGHTS, "2,0.5");
        assertEquals("duo", spec.name());
        assertEquals(
                List.of(CropScheme.GOOGLENET_144, CropScheme.TEN_CROP),
                spec.members().stream().map(EnsembleSpec.MemberSpec::crops).toList());
        assertEquals(
                List.of(2.0, 0.5),
                spec.members().stream().map(EnsembleSpec.MemberSpec::weight).toList());
        assertEquals(List.of(a, b), spec.members().stream().map(m -> m.model().dir()).toList());
    }

    @Test
    void shouldApplyOneSchemeToEveryMemberAndWeighThemEqually() {
        EnsembleSpec spec =
                resolve(
                        WorkerConfig.ENSEMBLE_MEMBERS,
                        members(a, b),
                        WorkerConfig.ENSEMBLE_CROPS,
                        "vgg150");
        for (EnsembleSpec.MemberSpec m : spec.members()) {
            assertEquals(CropScheme.VGG_150, m.crops());
            assertEquals(1.0, m.weight());
        }
    }

    @Test
    void shouldChangeTheEnsembleVersionWhenAMembersWeightOrSchemeDoes() {
        String plain = resolve(WorkerConfig.ENSEMBLE_MEMBERS, members(a, b)).version();
        assertEquals(plain, resolve(WorkerConfig.ENSEMBLE_MEMBERS, members(a, b)).version());
        assertNotEquals(
                plain,
                resolve(
                                WorkerConfig.ENSEMBLE_MEMBERS,
                                members(a, b),
                                WorkerConfig.ENSEMBLE_WEIGHTS,
                                "1,2")
                        .version());
        assertNotEquals(
                plain,
                resolve(
                                WorkerConfig.ENSEMBLE_MEMBERS,
                                members(a, b),
                                WorkerConfig.ENSEMBLE_CROPS,
                                "center")
                        .version());
    }

    @Test
    void shouldRefuseModelSettingsThatCannotSpeakForSeveralModels() {
        String message =
                failure(
                        WorkerConfig.ENSEMBLE_MEMBERS,
                        members(a, b),
                        WorkerConfig.MODEL_PREPROCESSING,
                        "unit");
        assertTrue(message.startsWith("model.preprocessing is set, but ensemble.members"), message);
        message =
                failure(
                        WorkerConfig.ENSEMBLE_MEMBERS, members(a, b),
                        WorkerConfig.MODEL_PATH, a.toString());
        assertTrue(message.contains("Unset model.path"), message);
    }

    @Test
    void shouldNameTheCountsWhenWeightsOrSchemesDoNotMatchTheMembers() {
        String weights =
                failure(
                        WorkerConfig.ENSEMBLE_MEMBERS,
                        members(a, b),
                        WorkerConfig.ENSEMBLE_WEIGHTS,
                        "1,2,3");
        assertTrue(weights.contains("3 values for 2 members"), weights);
        String schemes =
                failure(
                        WorkerConfig.ENSEMBLE_MEMBERS,
                        members(a, b, a),
                        WorkerConfig.ENSEMBLE_CROPS,
                        "center,10crop");
        assertTrue(schemes.contains("2 values for 3 members"), schemes);
    }

    @Test
    void shouldRefuseAWeightThatIsNotAPositiveNumber() {
        for (String bad : List.of("0", "-1", "heavy", "Infinity")) {
            String message =
                    failure(
                            WorkerConfig.ENSEMBLE_MEMBERS,
                            members(a, b),
                            WorkerConfig.ENSEMBLE_WEIGHTS,
                            "1," + bad);
            assertTrue(message.contains("'" + bad + "' is not a positive number"), message);
        }
    }

    @Test
    void shouldRefuseAnUnknownSchemeListingTheKnownOnes() {
        String message =
                failure(
                        WorkerConfig.ENSEMBLE_MEMBERS,
                        members(a, b),
                        WorkerConfig.ENSEMBLE_CROPS,
                        "12crop");
        assertTrue(message.contains("ensemble.crops") && message.contains("10crop"), message);
    }

    @Test
    void shouldRefuseTwoMembersOfOneName() {
        String message = failure(WorkerConfig.ENSEMBLE_MEMBERS, members(a, a));
        assertTrue(message.contains("two ensemble members are named a"), message);
    }

    @Test
    void shouldSayAMemberNeedsItsMetadata() throws IOException {
        Path bare = dir.resolve("bare");
        Files.createDirectories(bare.resolve("variables"));
        Files.copy(a.resolve("saved_model.pb"), bare.resolve("saved_model.pb"));
        String message = failure(WorkerConfig.ENSEMBLE_MEMBERS, members(a, bare));
        assertTrue(
                message.contains("ensemble member " + bare) && message.contains("fovea-model.json"),
                message);
    }
}
