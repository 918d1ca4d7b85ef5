package dev.fovea.schemas.registry.server;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.fovea.schemas.registry.CompatibilityLevel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The registry's whole state in one JSON file. It is small (a few schemas), so it is rewritten on
 * every change, through a temporary file and an atomic rename: a crash leaves the old file or the
 * new one, never half of one.
 */
final class StoreFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Schemas by id; each subject's schema ids in version order; compatibility levels. */
    record Snapshot(
            Map<Integer, String> schemas,
            Map<String, List<Integer>> subjects,
            CompatibilityLevel compatibility,
            Map<String, CompatibilityLevel> subjectCompatibility) {}

    private final Path dir;
    private final Path file;

    StoreFile(Path dir) {
        this.dir = dir;
        this.file = dir.resolve("registry.json");
    }

    Optional<Snapshot> read() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), Snapshot.class));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read the schema registry's data in "
                            + file
                            + " ("
                            + e.getMessage()
                            + "): move the file away to start an empty registry",
                    e);
        }
    }

    void write(Snapshot snapshot) {
        Path temp = null;
        try {
            Files.createDirectories(dir);
            temp = Files.createTempFile(dir, "registry", ".json.tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(temp.toFile(), snapshot);
            Files.move(temp, file, ATOMIC_MOVE, REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new UncheckedIOException("cannot write the schema registry's data to " + file, e);
        }
    }

    /** A failed write should not leave a temporary file per attempt behind, on a full disk. */
    private static void deleteQuietly(Path temp) {
        if (temp != null) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the write's own failure is the one to report
            }
        }
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
