package dev.fovea.schemas.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

class CompatibilityLevelTest {
    private static final Schema A = record("{\"name\": \"a\", \"type\": \"int\"}");
    private static final Schema A_B_WITH_DEFAULT =
            record(
                    "{\"name\": \"a\", \"type\": \"int\"}, {\"name\": \"b\", \"type\": \"int\","
                            + " \"default\": 0}");
    private static final Schema A_B =
            record("{\"name\": \"a\", \"type\": \"int\"}, {\"name\": \"b\", \"type\": \"int\"}");

    @ParameterizedTest(name = "{0}: adding a field with a default passes ({1}), without one ({2})")
    @CsvSource({
        "NONE, true, true",
        "BACKWARD, true, false",
        "FORWARD, true, true",
        "FULL, true, false",
    })
    void shouldJudgeAddingAField(
            CompatibilityLevel level, boolean withDefault, boolean withoutDefault) {
        assertEquals(withDefault, level.problems(A_B_WITH_DEFAULT, history(A)).isEmpty());
        assertEquals(withoutDefault, level.problems(A_B, history(A)).isEmpty());
    }

    @ParameterizedTest(name = "{0}: removing a field without a default passes ({1})")
    @CsvSource({"NONE, true", "BACKWARD, true", "FORWARD, false", "FULL, false"})
    void shouldJudgeRemovingAFieldOldReadersNeed(CompatibilityLevel level, boolean passes) {
        assertEquals(passes, level.problems(A, history(A_B)).isEmpty());
    }

    @ParameterizedTest(name = "{0}: checking every version passes ({1})")
    @CsvSource({"BACKWARD, true", "BACKWARD_TRANSITIVE, false", "FULL_TRANSITIVE, false"})
    void shouldCheckEveryEarlierVersionOnlyWhenTransitive(
            CompatibilityLevel level, boolean passes) {
        // A_B reads version 2 (it has b) but not version 1 (b is missing and has no default).
        assertEquals(passes, level.problems(A_B, history(A, A_B_WITH_DEFAULT)).isEmpty());
    }

    @Test
    void shouldSayWhichVersionAndFieldBreak() {
        List<String> problems = CompatibilityLevel.BACKWARD.problems(A_B, history(A));

        assertEquals(
                List.of(
                        "the new schema cannot read data written with version 1: "
                                + "READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1 (b)"),
                problems);
    }

    @Test
    void shouldParseLevelsInAnyCaseAndListTheValidOnes() {
        assertEquals(
                CompatibilityLevel.FULL_TRANSITIVE, CompatibilityLevel.parse("full_transitive"));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> CompatibilityLevel.parse("sideways"));
        assertTrue(e.getMessage().contains("NONE, BACKWARD, BACKWARD_TRANSITIVE"), e.getMessage());
    }

    private static Schema record(String fields) {
        return new Schema.Parser()
                .parse("{\"type\": \"record\", \"name\": \"R\", \"fields\": [" + fields + "]}");
    }

    private static List<RegisteredSchema> history(Schema... versions) {
        return IntStream.range(0, versions.length)
                .mapToObj(i -> new RegisteredSchema("s", i + 1, i + 1, versions[i]))
                .collect(Collectors.toList());
    }
}
