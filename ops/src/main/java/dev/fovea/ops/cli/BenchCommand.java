package dev.fovea.ops.cli;

import dev.fovea.ops.bench.Bench;
import dev.fovea.ops.bench.BenchCsv;
import dev.fovea.ops.bench.BenchPlots;
import dev.fovea.ops.bench.BenchReport;
import dev.fovea.ops.bench.BenchResults;
import dev.fovea.ops.bench.CropBenchmark;
import dev.fovea.ops.bench.HostileBenchmark;
import dev.fovea.ops.bench.Workload;
import dev.fovea.ops.logging.Logging;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.ops.tools.Nsfwjs;
import dev.fovea.ops.tools.SampleImages;
import dev.fovea.topology.image.JdkImageDecoder;
import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.runtime.ModelSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Measure Fovea against this machine's own limit: throughput, latency, batching.",
            "On one model and the same images, in one run:",
            "  1. limit: decode + preprocessing + model, no Kafka, by batch size",
            "  2. end to end: local broker, worker, predictions; by stream threads",
            "  3. baseline: the same worker with inference.max.batch.size=1",
            "  4. latency at 50%% and 90%% of the end-to-end throughput",
            "  5. the batch sizes that ran and the time images waited for them",
            "  6. crops: center, 10crop and 144crop on nsfwjs' Inception v3 and on its",
            "     3-model ensemble, in crops/s (--only-crops: this phase alone)",
            "  7. hostile input: bursts of the images alone and bursts with a record Fovea",
            "     must dead-letter before each; valid images/s of both, their ratio",
            "Prints progress and Markdown tables, writes CSV files and PNG plots into",
            "--out, and ends with one key=value line."
        })
final class BenchCommand implements Callable<Integer> {
    /** Settings each run decides itself; {@code --set} cannot change them. */
    private static final Set<String> OWN_SETTINGS =
            Set.of(
                    WorkerConfig.BOOTSTRAP_SERVERS,
                    WorkerConfig.SCHEMA_REGISTRY_URL,
                    WorkerConfig.APPLICATION_ID,
                    WorkerConfig.WORKER_ID,
                    WorkerConfig.MODEL_PATH,
                    WorkerConfig.STREAM_THREADS,
                    WorkerConfig.INFERENCE_MAX_BATCH_SIZE,
                    WorkerConfig.INFERENCE_MAX_QUEUE_DELAY_MS,
                    WorkerConfig.TOPIC_IMAGES,
                    WorkerConfig.TOPIC_PREDICTIONS,
                    WorkerConfig.TOPIC_DEAD_LETTERS,
                    WorkerConfig.MODEL_CROPS,
                    WorkerConfig.ENSEMBLE_MEMBERS,
                    WorkerConfig.ENSEMBLE_CROPS,
                    WorkerConfig.ENSEMBLE_WEIGHTS,
                    WorkerConfig.ENSEMBLE_PUBLISH_MEMBERS);

    @Option(
            names = "--quick",
            description =
                    "A short run: 96 images per run, 8 s per load level, batch sizes 1,4,16, stream"
                            + " threads 2,8, the baseline at the best thread count only, crops"
                            + " runs of about 8 s.")
    boolean quick;

    @Option(
            names = "--only-hostile",
            description =
                    "Only phase 6 (hostile input), at the most stream threads of --threads: writes"
                            + " hostile.csv, prints its table and a key=value line.")
    boolean onlyHostile;

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description =
                    "Measure this SavedModel (default: Inception v3 with seeded weights, built once"
                            + " into .fovea/models).")
    Path model;

    @Option(
            names = "--width",
            paramLabel = "W",
            defaultValue = "0.25",
            description = "Width of the built Inception v3 (default ${DEFAULT-VALUE}).")
    double width;

    @Option(
            names = "--photos",
            paramLabel = "DIR",
            description =
                    "Images to work on (default: the sample photographs of Debian's"
                            + " python3-skimage, fetched once).")
    Path photos;

    @Option(
            names = "--images",
            paramLabel = "N",
            description =
                    "Images per throughput run, limit and end to end (default 600; 96 with"
                            + " --quick).")
    Integer images;

    @Option(
            names = "--seconds",
            paramLabel = "S",
            description =
                    "Steady window of each latency level, in seconds (default 30; 8 with"
                            + " --quick).")
    Integer seconds;

    @Option(
            names = "--batch-sizes",
            split = ",",
            paramLabel = "N",
            description = "Batch sizes of the limit (default 1,2,4,8,16,32; 1,4,16 with --quick).")
    List<Integer> batchSizes;

    @Option(
            names = "--threads",
            split = ",",
            paramLabel = "N",
            description =
                    "Stream-thread counts of the end-to-end runs (default 1,2,4,8,16; 2,8 with"
                            + " --quick); the best one is the headline figure.")
    List<Integer> threads;

    @Option(
            names = "--max-batch",
            paramLabel = "N",
            description = "inference.max.batch.size of the batched worker (default: the worker's).")
    Integer maxBatch;

    @Option(
            names = "--max-queue-delay-ms",
            paramLabel = "MS",
            description = "inference.max.queue.delay.ms of the worker (default: the worker's).")
    Long maxQueueDelayMs;

    @Option(
            names = "--partitions",
            paramLabel = "N",
            description = "Partitions of each run's topics (default: the most stream threads).")
    Integer partitions;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description =
                    "A further worker setting for every worker, e.g. --set kafka.linger.ms=5"
                            + " (repeatable).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(
            names = "--no-crops",
            description = "Skip the crops phase (crop schemes and the ensemble).")
    boolean noCrops;

    @Option(names = "--only-crops", description = "Run the crops phase alone, none of the others.")
    boolean onlyCrops;

    @Option(
            names = "--crop-threads",
            paramLabel = "N",
            description =
                    "Stream threads of the crops runs (default: the best end-to-end count; with"
                            + " --only-crops, the max batch size).")
    Integer cropThreads;

    @Option(
            names = "--crop-seconds",
            paramLabel = "S",
            description =
                    "About how long each crops run lasts, at the models' own rate (default 20; 8"
                            + " with --quick).")
    Integer cropSeconds;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            defaultValue = "${sys:fovea.home:-.}/.fovea/bench",
            description = "Where the CSV files and plots go (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(
            names = "--verbose",
            description = "Keep the workers' and the broker's info logs (one set per run).")
    boolean verbose;

    private final PrintStream progress = System.err;

    @Override
    public Integer call() throws Exception {
        if (!verbose) {
            quietLogs();
        }
        int imagesPerRun = images != null ? images : quick ? 96 : 600;
        Duration window = Duration.ofSeconds(seconds != null ? seconds : quick ? 8 : 30);
        List<Integer> limitSizes =
                sortedDistinct(
                        batchSizes != null
                                ? batchSizes
                                : quick ? List.of(1, 4, 16) : List.of(1, 2, 4, 8, 16, 32));
        List<Integer> threadCounts =
                sortedDistinct(
                        threads != null
                                ? threads
                                : quick ? List.of(2, 8) : List.of(1, 2, 4, 8, 16));
        for (String key : settings.keySet()) {
            if (OWN_SETTINGS.contains(key)) {
                throw new IllegalArgumentException(
                        "--set "
                                + key
                                + ": the benchmark sets this itself (see --threads, --max-batch,"
                                + " --max-queue-delay-ms, --model; the crops phase sets the crop"
                                + " schemes and the ensemble)");
            }
        }
        if (noCrops && onlyCrops) {
            throw new IllegalArgumentException("--no-crops and --only-crops exclude each other");
        }
        if (cropThreads != null && cropThreads < 1) {
            throw new IllegalArgumentException("--crop-threads must be at least 1");
        }
        if (cropSeconds != null && cropSeconds < 1) {
            throw new IllegalArgumentException("--crop-seconds must be at least 1");
        }

        Path modelDir = onlyCrops ? null : model != null ? model : builtModel();
        CropBenchmark.Plan crops = noCrops ? null : cropPlan(modelDir);
        Map<String, String> base = new HashMap<>(settings);
        base.put(
                WorkerConfig.MODEL_PATH, (modelDir != null ? modelDir : crops.single()).toString());
        WorkerConfig config = WorkerConfig.of(base);
        ModelSpec spec = modelDir != null ? ModelSpec.resolve(config) : null;
        int batch =
                maxBatch != null ? maxBatch : config.getInt(WorkerConfig.INFERENCE_MAX_BATCH_SIZE);
        long delay =
                maxQueueDelayMs != null
                        ? maxQueueDelayMs
                        : config.getLong(WorkerConfig.INFERENCE_MAX_QUEUE_DELAY_MS);
        if (batch < 2) {
            throw new IllegalArgumentException(
                    "--max-batch must be at least 2: the baseline is the run without a batcher");
        }
        int topicPartitions =
                partitions != null ? partitions : threadCounts.get(threadCounts.size() - 1);

        List<Path> files =
                photos != null
                        ? ImageProducer.imageFiles(List.of(photos))
                        : SampleImages.photographs(SampleImages.defaultDir());
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no images found in " + photos);
        }
        Bench.Plan plan =
                new Bench.Plan(
                        modelDir,
                        spec,
                        Workload.read(files)
                                .classifiable(
                                        new JdkImageDecoder(config.decoderLimits()), System.err),
                        imagesPerRun,
                        window,
                        limitSizes,
                        threadCounts,
                        batch,
                        delay,
                        topicPartitions,
                        Map.copyOf(settings),
                        quick,
                        crops,
                        onlyCrops);
        if (onlyHostile) {
            HostileBenchmark.Result hostile = new Bench(plan, progress).runHostileOnly();
            BenchCsv.writeHostileOnly(hostile, out);
            step("wrote " + out.resolve("hostile.csv"));
            BenchReport.printHostileOnly(spec.name(), hostile, System.out);
            return 0;
        }
        BenchResults results = new Bench(plan, progress).run();
        new BenchCsv(results).write(out);
        step("wrote the CSV files to " + out);
        try {
            for (Path png : new BenchPlots(results).write(out)) {
                step("plotted " + png);
            }
        } catch (IOException | RuntimeException | LinkageError | java.awt.AWTError e) {
            // Drawing text needs fonts; a machine without any still gets its figures.
            step("could not draw the plots (" + e + "); the CSV files have every figure");
        }
        new BenchReport(results).print(System.out);
        return 0;
    }

    /**
     * The crops phase: nsfwjs' trained models, imported once as the demo imports them, so that the
     * single model and the ensemble are the same trained networks. Without them (npm or Node
     * missing, no network), the single model is the bench's own and the ensemble is skipped: the
     * crops figure still comes out, and the rest of the bench is not lost for it.
     *
     * @param benchModel the model of the other phases; null with --only-crops
     */
    private CropBenchmark.Plan cropPlan(Path benchModel) {
        List<Path> nsfwjs = new ArrayList<>();
        String skipped = null;
        try {
            nsfwjs = nsfwjsModels();
        } catch (IOException | RuntimeException e) {
            // npm's own output runs over several lines; the report gives it one.
            skipped =
                    "nsfwjs could not be imported ("
                            + String.valueOf(e.getMessage()).replaceAll("\\s*\\n\\s*", " ")
                            + ")";
        }
        Path single;
        if (nsfwjs.isEmpty()) {
            single = benchModel != null ? benchModel : model != null ? model : builtModel();
            step(skipped + "; the crops phase measures " + single + " alone, without the ensemble");
        } else {
            single = nsfwjs.get(0);
        }
        int seconds = cropSeconds != null ? cropSeconds : quick ? 8 : 20;
        return new CropBenchmark.Plan(
                single,
                nsfwjs,
                skipped,
                cropThreads,
                Duration.ofSeconds(seconds),
                // A warm-up of a quarter of the run at most: a few seconds by default.
                Duration.ofMillis(Math.min(quick ? 2000 : 4000, seconds * 250L)));
    }

    /** nsfwjs' three models, imported from npm the first time; Inception v3 first. */
    private List<Path> nsfwjsModels() throws IOException {
        return Nsfwjs.ensureImported(ModelCommand.defaultModelsDir(), this::step);
    }

    private Path builtModel() {
        return ModelCommand.seededDemoModel(width, this::step);
    }

    /**
     * Each run starts a worker, which logs its settings, its topology and a warning about its
     * fresh, empty topics, and Kafka warns about settings the worker chooses on purpose: one set
     * per run, noise here. Failures still surface, as the exceptions that stop the run.
     */
    private static void quietLogs() {
        Logging.quiet(
                List.of(
                        "dev.fovea.workers",
                        "dev.fovea.ops.local",
                        "dev.fovea.schemas",
                        "org.apache.kafka.streams.StreamsConfig",
                        "org.apache.kafka.controller",
                        "org.apache.kafka.clients.NetworkClient"));
    }

    private static List<Integer> sortedDistinct(List<Integer> values) {
        for (int v : values) {
            if (v < 1) {
                throw new IllegalArgumentException("batch sizes and thread counts start at 1");
            }
        }
        return List.copyOf(new TreeSet<>(values));
    }

    private void step(String what) {
        progress.println("==> " + what);
    }
}
