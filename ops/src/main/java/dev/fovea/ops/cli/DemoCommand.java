package dev.fovea.ops.cli;

import dev.fovea.avro.Prediction;
import dev.fovea.ops.local.LocalStack;
import dev.fovea.ops.tools.Formats;
import dev.fovea.ops.tools.ImageProducer;
import dev.fovea.ops.tools.Nsfwjs;
import dev.fovea.ops.tools.SampleImages;
import dev.fovea.ops.tools.TopicReader;
import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.schemas.registry.SchemaRegistryClient;
import dev.fovea.workers.FoveaWorker;
import dev.fovea.workers.config.WorkerConfig;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Everything at once on this machine: the local stack (reused if already up), a demo"
                + " model (built once), a worker, real photographs in, their predictions printed, a"
                + " throughput burst, then it keeps serving until Ctrl-C.",
            "The demo serves the ensemble of nsfwjs' three trained classifiers (Inception v3,"
                + " MobileNetV2, MobileNetV2-mid; 5 content-moderation classes: Drawing, Hentai,"
                + " Neutral, Porn, Sexy), imported once from npm, each on 10 crops of every image:"
                + " one prediction per image, the mean of 30 crops' probabilities. With"
                + " --built-model, or when npm cannot fetch nsfwjs, an Inception v3 with seeded"
                + " random weights, whose predictions show the plumbing only."
        })
final class DemoCommand implements Callable<Integer> {
    @Mixin StackOptions stack;

    @Option(
            names = "--images",
            paramLabel = "DIR",
            description =
                    "Images to send (default: photographs from Debian's python3-skimage, fetched"
                            + " once).")
    Path images;

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description = "Serve this SavedModel instead of the demo model.")
    Path model;

    @Option(
            names = "--built-model",
            description =
                    "Serve an Inception v3 built with seeded weights (small and fast, meaningless"
                            + " predictions) instead of the trained nsfwjs one.")
    boolean builtModel;

    @Option(
            names = "--width",
            defaultValue = "0.25",
            description = "Width of the built Inception v3 (default ${DEFAULT-VALUE}).")
    double width;

    @Option(
            names = "--crops",
            paramLabel = "SCHEME",
            description =
                    "Crops per image and model: resize, center, 10crop, 144crop or vgg150"
                            + " (default: 10crop for the nsfwjs ensemble, resize for one model).")
    String crops;

    @Option(
            names = "--burst",
            paramLabel = "N",
            description =
                    "Images sent after the photographs to measure throughput; 0 skips it"
                            + " (default: as many as take about 30 s at the photographs' rate,"
                            + " 12 to 200).")
    Integer burst;

    @Option(
            names = "--threads",
            paramLabel = "N",
            description =
                    "Stream threads of the demo worker (default: one per core, at most the"
                            + " partitions).")
    Integer threads;

    @Option(
            names = "--exit",
            description = "Exit after the summary instead of serving until Ctrl-C.")
    boolean exitAfterSummary;

    @Override
    public Integer call() throws Exception {
        List<Path> photos =
                images == null
                        ? SampleImages.photographs(SampleImages.defaultDir())
                        : ImageProducer.imageFiles(List.of(images));
        if (photos.isEmpty()) {
            throw new IllegalArgumentException("no images found in " + images);
        }
        LocalStack ownStack = null;
        if (LocalCommand.registryAnswers(stack)
                && LocalCommand.topics(stack.bootstrapServers()) != null) {
            step("using the local stack already running at " + stack.bootstrapServers());
        } else {
            step(
                    "starting the local stack (Kafka "
                            + stack.bootstrapServers()
                            + ", registry "
                            + stack.registryUrl()
                            + ")");
            Files.createDirectories(stack.dataDir);
            ownStack = LocalStack.start(stack.settings());
        }
        Map<String, String> served = model != null ? single(model) : demoModel();

        step("starting a worker on " + served);
        // One stream thread per core lets one image decode while another runs through the model:
        // 35-38 against 28 images/s with one thread, in 600-image bursts on 2 cores.
        int threads =
                this.threads != null
                        ? this.threads
                        : Math.min(stack.partitions, Runtime.getRuntime().availableProcessors());
        Map<String, String> settings = new HashMap<>(served);
        settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.registryUrl());
        settings.put(WorkerConfig.APPLICATION_ID, "fovea-demo");
        settings.put(WorkerConfig.STREAM_THREADS, Integer.toString(threads));
        settings.put(WorkerConfig.TOP_K, "3");
        // Any free port: a demo must not fail because a worker already holds the default.
        settings.putIfAbsent(WorkerConfig.METRICS_PORT, "0");
        WorkerConfig config = WorkerConfig.of(settings);
        FoveaWorker worker;
        try {
            worker = FoveaWorker.start(config);
        } catch (RuntimeException e) {
            if (ownStack != null) {
                ownStack.close();
            }
            throw e;
        }
        LocalStack stackToClose = ownStack;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    System.err.println(
                                            "\nstopping the worker"
                                                    + (stackToClose != null
                                                            ? " and the local stack"
                                                            : "")
                                                    + "...");
                                    worker.close();
                                    if (stackToClose != null) {
                                        stackToClose.close();
                                    }
                                    stopped.countDown();
                                },
                                "demo-shutdown"));

        SchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.registryUrl());
        String run = "demo-" + LocalTime.now().format(DateTimeFormatter.ofPattern("HHmmss")) + "-";
        try (ImageProducer producer =
                        new ImageProducer(
                                stack.bootstrapServers(), registry, LocalStack.IMAGES, Map.of());
                TopicReader<Prediction> reader =
                        new TopicReader<>(
                                stack.bootstrapServers(),
                                registry,
                                Prediction.class,
                                LocalStack.PREDICTIONS,
                                true,
                                Map.of())) {
            step("producing " + photos.size() + " photographs to " + LocalStack.IMAGES);
            List<ImageProducer.Item> items =
                    ImageProducer.items(photos, photos.size(), run + "photo-");
            long photosStart = System.nanoTime();
            producer.send(items, 0, null);
            System.out.println();
            System.out.println(Formats.PREDICTION_HEADER);
            await(reader, worker, run + "photo-", items.size(), true);
            double perSecond = items.size() / ((System.nanoTime() - photosStart) / 1e9);

            // Sized by time: 200 images take 6 s on one small model and 8 minutes on an
            // ensemble of three trained models at 10 crops each.
            int burst =
                    this.burst != null
                            ? this.burst
                            : (int) Math.max(12, Math.min(200, Math.round(perSecond * 30)));
            if (burst > 0) {
                step("throughput: " + burst + " more images through Kafka, the worker and back");
                long start = System.nanoTime();
                producer.send(ImageProducer.items(photos, burst, run + "burst-"), 0, System.err);
                await(reader, worker, run + "burst-", burst, false);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(
                        "%n%d images in %.1f s end to end: %.1f images/s%n",
                        burst, seconds, burst / seconds);
            }
            System.out.printf(
                    "process RSS %d MiB (%s)%n",
                    rssMiB(),
                    ownStack != null
                            ? "broker, registry, worker and model in one JVM"
                            : "worker and model");
        }
        if (exitAfterSummary) {
            System.exit(0);
        }
        System.out.println(
                "\n"
                    + "Serving until Ctrl-C. Meanwhile, in another terminal:\n"
                    + "  ./fovea produce path/to/images --count 100   # more images\n"
                    + "  ./fovea consume --follow                      # predictions as they come\n"
                    + "  ./fovea consume --dead-letters                # what could not be"
                    + " classified");
        stopped.await();
        return 0;
    }

    /** The worker settings of the demo's model: nsfwjs' ensemble, else a seeded model. */
    private Map<String, String> demoModel() {
        if (builtModel) {
            return single(builtModel());
        }
        try {
            return ensemble(
                    Nsfwjs.ensureImported(ModelCommand.defaultModelsDir(), DemoCommand::step));
        } catch (IOException | RuntimeException e) {
            step(
                    "could not import nsfwjs ("
                            + e.getMessage()
                            + "); serving an Inception v3 with seeded weights instead");
            return single(builtModel());
        }
    }

    private Map<String, String> single(Path dir) {
        return Map.of(
                WorkerConfig.MODEL_PATH,
                dir.toString(),
                WorkerConfig.MODEL_CROPS,
                crops != null ? crops : "resize");
    }

    private Map<String, String> ensemble(List<Path> members) {
        return Map.of(
                WorkerConfig.ENSEMBLE_MEMBERS,
                members.stream().map(Path::toString).collect(Collectors.joining(",")),
                WorkerConfig.ENSEMBLE_NAME,
                "nsfwjs-ensemble",
                WorkerConfig.ENSEMBLE_CROPS,
                crops != null ? crops : "10crop");
    }

    private Path builtModel() {
        return ModelCommand.seededDemoModel(width, DemoCommand::step);
    }

    /** Reads predictions of this run until {@code expected} distinct images have one. */
    private void await(
            TopicReader<Prediction> reader,
            FoveaWorker worker,
            String idPrefix,
            int expected,
            boolean print) {
        Set<String> answered = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (answered.size() < expected) {
            if (worker.failure() != null) {
                throw new IllegalStateException(
                        "the worker stopped after a failure: " + worker.failure(),
                        worker.failure());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "only "
                                + answered.size()
                                + " of "
                                + expected
                                + " predictions arrived within 5 minutes; see ./fovea consume"
                                + " --dead-letters");
            }
            for (ConsumerRecord<String, Prediction> record : reader.poll(Duration.ofMillis(200))) {
                Prediction p = record.value();
                if (p.getImageId().startsWith(idPrefix) && answered.add(p.getImageId()) && print) {
                    if (answered.size() == 1) {
                        System.err.printf(
                                "first prediction %.1f s after the demo started%n",
                                (System.currentTimeMillis()
                                                - ManagementFactory.getRuntimeMXBean()
                                                        .getStartTime())
                                        / 1e3);
                    }
                    System.out.println(Formats.row(p));
                }
            }
        }
    }

    private static void step(String what) {
        System.err.println("==> " + what);
    }

    private static long rssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
