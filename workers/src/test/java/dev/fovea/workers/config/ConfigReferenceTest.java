package dev.fovea.workers.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

class ConfigReferenceTest {
    private static final String START = "<!-- config-reference:start -->\n";
    private static final String END = "<!-- config-reference:end -->";

    @Test
    void shouldDocumentEverySettingInTheReadmeAsTheCodeDefinesIt() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf(START);
        int end = readme.indexOf(END);
        assertTrue(start >= 0 && end > start, "README.md lacks the config-reference markers");
        assertEquals(
                WorkerConfig.markdownReference(),
                readme.substring(start + START.length(), end),
                "README.md's configuration reference is stale: replace it with `./fovea worker"
                        + " --config-reference`");
    }
}
