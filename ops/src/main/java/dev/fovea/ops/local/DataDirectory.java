package dev.fovea.ops.local;

import static java.nio.charset.StandardCharsets.UTF_8;

import kafka.tools.StorageTool;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The broker's data directory (its single log dir, metadata log included), locked for as long as
 * the broker runs. A new or empty directory is formatted; a formatted one is reused as it is, so
 * topics and committed offsets survive restarts.
 */
final class DataDirectory implements AutoCloseable {

    /**
     * Our own lock, beside Kafka's {@code .lock}. Kafka takes its lock only when the broker half
     * starts, after the controller half has opened the metadata log: a second broker pointed at a
     * running one's directory would append to that metadata log before failing.
     */
    private static final String LOCK_FILE = ".fovea-broker.lock";

    /**
     * Directories locked by this JVM. A file lock is held per process, so it cannot tell two
     * brokers of one JVM apart; and on Linux, closing any channel on the lock file, even the second
     * broker's failed attempt, would release the first broker's lock.
     */
    private static final Set<Path> IN_USE_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    private final Path path;
    private final boolean temporary;
    private final FileChannel lockChannel;

    private DataDirectory(Path path, boolean temporary, FileChannel lockChannel) {
        this.path = path;
        this.temporary = temporary;
        this.lockChannel = lockChannel;
    }

    /** Creates and locks {@code requested}, or a temporary directory when it is null. */
    static DataDirectory open(Path requested) {
        boolean temporary = requested == null;
        Path path;
        try {
            // The real path, so that one directory reached through two paths is still one entry
            // below.
            path =
                    (temporary
                                    ? Files.createTempDirectory("fovea-kafka-")
                                    : Files.createDirectories(requested))
                            .toRealPath();
        } catch (IOException e) {
            throw notWritable(requested, e);
        }
        if (!IN_USE_IN_THIS_JVM.add(path)) {
            throw inUse(path);
        }
        FileChannel lockChannel = null;
        boolean locked = false;
        try {
            lockChannel =
                    FileChannel.open(
                            path.resolve(LOCK_FILE),
                            StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE);
            locked = lockChannel.tryLock() != null;
        } catch (IOException e) {
            throw notWritable(path, e);
        } finally {
            if (!locked) {
                Utils.closeQuietly(lockChannel, "data dir lock");
                IN_USE_IN_THIS_JVM.remove(path);
            }
        }
        if (!locked) {
            throw inUse(path);
        }
        return new DataDirectory(path, temporary, lockChannel);
    }

    Path path() {
        return path;
    }

    /**
     * Formats the directory unless it is already: an unformatted log dir fails to start, and
     * formatting again would replace the cluster id and lose every topic.
     *
     * @return whether the directory was formatted now
     */
    boolean formatIfNew(Properties brokerProperties) {
        if (Files.exists(path.resolve(MetaPropertiesEnsemble.META_PROPERTIES_NAME))) {
            return false;
        }
        if (holdsOtherFiles()) {
            throw new BrokerException(
                    String.format(
                            "Kafka data dir %s is not empty but holds no Kafka data (no"
                                + " meta.properties): empty it or choose another with --data-dir",
                            path));
        }
        format(brokerProperties);
        return true;
    }

    /** Releases the lock, and deletes the directory if it was a temporary one. */
    @Override
    public void close() {
        Utils.closeQuietly(lockChannel, "data dir lock");
        IN_USE_IN_THIS_JVM.remove(path);
        if (temporary) {
            try {
                Utils.delete(path.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete temporary Kafka data dir " + path, e);
            }
        }
    }

    private void format(Properties brokerProperties) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exitCode;
        try {
            Path propertiesFile = Files.createTempFile("fovea-kafka-", ".properties");
            try {
                try (Writer writer = Files.newBufferedWriter(propertiesFile)) {
                    brokerProperties.store(
                            writer, "in-JVM Kafka broker: written to format its data dir");
                }
                // StorageTool.execute, not StorageTool.main: main exits the JVM (environment.md).
                // No --standalone: this node declares its quorum in controller.quorum.voters, which
                // format --standalone refuses (see KafkaBroker).
                String[] args = {
                    "format",
                    "--cluster-id",
                    Uuid.randomUuid().toString(),
                    "--config",
                    propertiesFile.toString()
                };
                exitCode = StorageTool.execute(args, new PrintStream(output, true, UTF_8));
            } finally {
                Files.delete(propertiesFile);
            }
        } catch (IOException | RuntimeException e) {
            throw new BrokerException(
                    String.format(
                            "cannot format Kafka data dir %s (%s): delete it or choose another with"
                                    + " --data-dir",
                            path, e),
                    e);
        }
        // Only unparsable arguments end in an exit code; a formatting failure throws.
        if (exitCode != 0) {
            throw new IllegalStateException(
                    "kafka-storage format refused its arguments: " + output.toString(UTF_8));
        }
    }

    private boolean holdsOtherFiles() {
        try (Stream<Path> entries = Files.list(path)) {
            return entries.anyMatch(entry -> !entry.getFileName().toString().equals(LOCK_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list Kafka data dir " + path, e);
        }
    }

    private static BrokerException notWritable(Path dir, IOException e) {
        return new BrokerException(
                String.format(
                        "Kafka data dir %s is not a writable directory: fix its permissions or"
                                + " choose another with --data-dir",
                        dir),
                e);
    }

    private static BrokerException inUse(Path dir) {
        return new BrokerException(
                String.format(
                        "Kafka data dir %s is used by another running broker: is a local stack"
                            + " already running (./fovea local status)? stop it or choose another"
                            + " with --data-dir",
                        dir));
    }
}
