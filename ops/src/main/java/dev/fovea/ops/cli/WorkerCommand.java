package dev.fovea.ops.cli;

import dev.fovea.ops.logging.Logging;
import dev.fovea.workers.FoveaWorker;
import dev.fovea.workers.config.WorkerConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(
        name = "worker",
        mixinStandardHelpOptions = true,
        description = {
            "Run a worker: consume images, publish predictions, until stopped (Ctrl-C / SIGTERM).",
            "Settings come from defaults < --config file < FOVEA_*/KAFKA_* environment < options; "
                    + "the README lists every key."
        })
final class WorkerCommand implements Callable<Integer> {

    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description = "Properties file of worker settings.")
    Path config;

    @Option(
            names = {"-m", "--model"},
            paramLabel = "DIR",
            description = "SavedModel directory (model.path).")
    Path model;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description =
                    "Any setting, e.g. --set top.k=3 "
                            + "--set kafka.security.protocol=SSL. Repeatable.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(
            names = "--config-reference",
            description = "Print every setting as the README's markdown table and exit.")
    boolean printReference;

    @Override
    public Integer call() throws InterruptedException {
        if (printReference) {
            System.out.print(WorkerConfig.markdownReference());
            return 0;
        }
        Map<String, String> overrides = new LinkedHashMap<>(settings);
        if (model != null) {
            overrides.put(WorkerConfig.MODEL_PATH, model.toString());
        }
        WorkerConfig workerConfig = WorkerConfig.load(config, System.getenv(), overrides);
        Logging.apply(workerConfig);
        FoveaWorker worker = FoveaWorker.start(workerConfig);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> onShutdown(worker), "fovea-shutdown"));
        worker.awaitStopped();
        // Set before returning: the System.exit that follows runs the hook too, which must then
        // leave the exit status alone.
        exiting = true;
        if (worker.failure() != null) {
            Errors.say(
                    "fovea worker: stopped after a failure: "
                            + FoveaWorker.explain(worker.failure()),
                    null,
                    new PrintWriter(System.err, true));
            return 1;
        }
        return 0;
    }

    private volatile boolean exiting;

    /**
     * SIGTERM (or Ctrl-C): close the worker within {@code shutdown.grace.ms}, then exit 0, or 1
     * when the grace period ran out. A JVM stopped by a signal exits 143 whatever its hooks do, and
     * a System.exit during shutdown blocks forever: only {@link Runtime#halt} sets the status an
     * orchestrator reads as "stopped cleanly". Other hooks still run meanwhile (they start
     * together); halt only cuts short those still running after the worker has closed.
     */
    private void onShutdown(FoveaWorker worker) {
        boolean signalled = !exiting;
        Thread closer = new Thread(worker::close, "fovea-close");
        closer.start();
        try {
            closer.join(worker.shutdownGrace().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!signalled) {
            return;
        }
        boolean closed = !closer.isAlive();
        if (!closed) {
            Errors.say(
                    "fovea worker: not stopped within shutdown.grace.ms ("
                            + worker.shutdownGrace().toMillis()
                            + " ms); exiting with records uncommitted",
                    null,
                    new PrintWriter(System.err, true));
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(closed && worker.failure() == null ? 0 : 1);
    }
}
