package dev.fovea.models;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A labels file: one label per line, in class index order. */
public final class Labels {
    public static final String FILE_NAME = "labels.txt";

    private Labels() {}

    /**
     * The labels in {@code file}. Surrounding whitespace and blank lines (a trailing newline, a
     * Windows line end) are dropped, since a label is never blank.
     */
    public static List<String> read(Path file) throws IOException {
        return Files.readAllLines(file, UTF_8).stream()
                .map(String::strip)
                .filter(label -> !label.isEmpty())
                .toList();
    }
}
