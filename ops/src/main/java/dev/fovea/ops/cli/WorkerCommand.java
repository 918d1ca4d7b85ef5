package dev.fovea.ops.cli;

import dev.fovea.workers.FoveaWorker;
import dev.fovea.workers.config.WorkerConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
        FoveaWorker worker = FoveaWorker.start(workerConfig);
        Thread closer = new Thread(worker::close, "fovea-shutdown");
        Runtime.getRuntime().addShutdownHook(closer);
        worker.awaitStopped();
        if (worker.failure() != null) {
            System.err.println(
                    "fovea worker: stopped after a failure: "
                            + FoveaWorker.explain(worker.failure()));
            return 1;
        }
        return 0;
    }
}
