package dev.fovea.schemas.registry;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Which schema changes a subject accepts, with Confluent's meaning.
 *
 * <p>BACKWARD: consumers on the new schema can read data written with the previous one, so
 * consumers upgrade first. FORWARD: consumers on the previous schema can read data written with the
 * new one, so producers upgrade first. FULL: both. The {@code _TRANSITIVE} variants check every
 * earlier version, not just the latest, which matters once old data stays in a topic across several
 * upgrades.
 */
public enum CompatibilityLevel {
    NONE(false, false, false),
    BACKWARD(true, false, false),
    BACKWARD_TRANSITIVE(true, false, true),
    FORWARD(false, true, false),
    FORWARD_TRANSITIVE(false, true, true),
    FULL(true, true, false),
    FULL_TRANSITIVE(true, true, true);

    private final boolean newReadsOld;
    private final boolean oldReadsNew;
    private final boolean transitive;

    CompatibilityLevel(boolean newReadsOld, boolean oldReadsNew, boolean transitive) {
        this.newReadsOld = newReadsOld;
        this.oldReadsNew = oldReadsNew;
        this.transitive = transitive;
    }

    /** Accepts any case, as the Confluent registry does. */
    public static CompatibilityLevel parse(String name) {
        for (CompatibilityLevel level : values()) {
            if (level.name().equalsIgnoreCase(String.valueOf(name).strip())) {
                return level;
            }
        }
        throw new IllegalArgumentException(
                "unknown compatibility level '"
                        + name
                        + "': expected one of "
                        + Arrays.toString(values()));
    }

    /**
     * Why {@code candidate} may not follow the {@code earlier} versions (oldest first) under this
     * level; empty when it may.
     */
    public List<String> problems(Schema candidate, List<RegisteredSchema> earlier) {
        List<String> problems = new ArrayList<>();
        int first = transitive ? 0 : Math.max(0, earlier.size() - 1);
        for (RegisteredSchema previous : earlier.subList(first, earlier.size())) {
            String version = "version " + previous.version();
            if (newReadsOld) {
                incompatibilities(candidate, previous.schema())
                        .forEach(
                                problem ->
                                        problems.add(
                                                "the new schema cannot read data written with "
                                                        + version
                                                        + ": "
                                                        + problem));
            }
            if (oldReadsNew) {
                incompatibilities(previous.schema(), candidate)
                        .forEach(
                                problem ->
                                        problems.add(
                                                version
                                                        + " cannot read data written with the new"
                                                        + " schema: "
                                                        + problem));
            }
        }
        return problems;
    }

    /**
     * Why data written with {@code writer} cannot be read with {@code reader}; empty when it can.
     */
    public static List<String> incompatibilities(Schema reader, Schema writer) {
        List<Incompatibility> found =
                SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
                        .getResult()
                        .getIncompatibilities();
        return found.stream()
                .map(i -> i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")")
                .collect(Collectors.toList());
    }
}
