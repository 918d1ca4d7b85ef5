package dev.fovea.ops.bench;

import dev.fovea.ops.local.LocalStack;
import dev.fovea.topology.crops.CropScheme;
import dev.fovea.workers.config.WorkerConfig;
import dev.fovea.workers.image.InputWriter;
import dev.fovea.workers.runtime.EnsembleSpec;
import dev.fovea.workers.runtime.ModelSpec;
import dev.fovea.workers.runtime.SavedModelClassifier;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The crops phase of {@code ./fovea bench}: the worker end to end, as {@link EndToEndBenchmark}
 * runs it, on test-time crop schemes ({@code center}, {@code 10crop}, {@code 144crop}), for one
 * model and for an ensemble whose members all use the same scheme. Each image costs {@code
 * scheme.count()} crops per member, so the figure that compares schemes is crops/s: images/s times
 * the crops of one image over every member.
 *
 * <p>Runs are sized by time, not by a count: first each model is timed alone on full batches, and
 * each run gets the images that take about {@link Plan#runLength()} at that rate, but never fewer
 * than {@link #MIN_BATCHES} full batches of each member. A fixed count would make a {@code 144crop}
 * ensemble run hundreds of times longer than a {@code center} one.
 */
public final class CropBenchmark {

    /** The schemes measured, in the order of the report. */
    public static final List<CropScheme> SCHEMES =
            List.of(CropScheme.CENTER, CropScheme.TEN_CROP, CropScheme.GOOGLENET_144);

    /**
     * What to measure.
     *
     * @param single the model of the single-model runs
     * @param ensemble the members of the ensemble, equal weights; empty: no ensemble runs
     * @param skipped why the ensemble does not run, for the report; null when it does
     * @param threads stream threads of every run; null: the best of the end-to-end runs, or the max
     *     batch size without them
     * @param runLength how long each measured run should last at the models' own rate
     * @param warmUp how long each run's warm-up should last, and at least a full batch of each
     *     member; none when one image takes longer and fills a batch by itself
     */
    public record Plan(
            Path single,
            List<Path> ensemble,
            String skipped,
            Integer threads,
            Duration runLength,
            Duration warmUp) {
        public Plan {
            ensemble = List.copyOf(ensemble);
        }
    }

    /** The fewest full batches of each member a run measures, whatever the rate. */
    static final int MIN_BATCHES = 8;

    private final Plan plan;
    private final Workload workload;
    private final int maxBatchSize;
    private final long maxQueueDelayMs;
    private final Map<String, String> settings;
    private final PrintStream progress;
    private final Map<Path, CropResults.Model> alone = new LinkedHashMap<>();

    public CropBenchmark(
            Plan plan,
            Workload workload,
            int maxBatchSize,
            long maxQueueDelayMs,
            Map<String, String> settings,
            PrintStream progress) {
        this.plan = plan;
        this.workload = workload;
        this.maxBatchSize = maxBatchSize;
        this.maxQueueDelayMs = maxQueueDelayMs;
        this.settings = Map.copyOf(settings);
        this.progress = progress;
    }

    /**
     * Times each model alone, once. Call it before the broker starts: a broker just started has the
     * JIT compiling its code on the same cores, which took a third off a model's rate here.
     */
    public void timeModels() {
        alone.put(plan.single(), alone(spec(plan.single(), true)));
        for (Path member : plan.ensemble()) {
            if (!alone.containsKey(member)) {
                alone.put(member, alone(spec(member, false)));
            }
        }
    }

    /** Runs every scheme on the single model, then on the ensemble; times the models first. */
    public CropResults run(LocalStack stack, int threads, String threadsReason)
            throws InterruptedException {
        if (alone.isEmpty()) {
            timeModels();
        }
        progress.printf(
                Locale.ROOT,
                "==> crops: %d stream threads (%s), max batch %d, runs sized to %d s at the models'"
                        + " own rate%n",
                threads,
                threadsReason,
                maxBatchSize,
                plan.runLength().toSeconds());
        if (plan.skipped() != null) {
            progress.println("==> crops: no ensemble runs: " + plan.skipped());
        }

        List<CropResults.Run> runs = new ArrayList<>();
        List<CropResults.Model> single = List.of(alone.get(plan.single()));
        for (CropScheme scheme : SCHEMES) {
            Map<String, String> own = new HashMap<>(settings);
            own.put(WorkerConfig.MODEL_CROPS, scheme.id());
            runs.add(
                    measure(
                            stack,
                            CropResults.SINGLE,
                            single,
                            scheme,
                            plan.single(),
                            own,
                            threads));
        }
        if (!plan.ensemble().isEmpty()) {
            List<CropResults.Model> members = plan.ensemble().stream().map(alone::get).toList();
            String paths =
                    plan.ensemble().stream().map(Path::toString).collect(Collectors.joining(","));
            for (CropScheme scheme : SCHEMES) {
                Map<String, String> own = new HashMap<>(settings);
                // Meant for --model; a worker refuses them with ensemble.members, whose members
                // take theirs from their own metadata.
                own.keySet().removeAll(EnsembleSpec.SINGLE_MODEL_SETTINGS);
                own.put(WorkerConfig.ENSEMBLE_MEMBERS, paths);
                own.put(WorkerConfig.ENSEMBLE_CROPS, scheme.id());
                runs.add(measure(stack, CropResults.ENSEMBLE, members, scheme, null, own, threads));
            }
        }
        return new CropResults(
                threads,
                threadsReason,
                maxBatchSize,
                List.copyOf(alone.values()),
                runs,
                plan.skipped());
    }

    private CropResults.Run measure(
            LocalStack stack,
            String subject,
            List<CropResults.Model> members,
            CropScheme scheme,
            Path model,
            Map<String, String> own,
            int threads)
            throws InterruptedException {
        int crops = cropsPerImage(scheme, members.size());
        double expected =
                expectedCropsPerSecond(
                        members.stream().map(CropResults.Model::cropsPerSecondAlone).toList());
        // The rate alone was measured while other processes might have taken most of the
        // machine; a floor of full batches keeps a run from shrinking to a few images.
        int minCrops = MIN_BATCHES * maxBatchSize * members.size();
        int images = imagesFor(plan.runLength(), expected, crops, threads, minCrops);
        int warmUp = warmUpImages(plan.warmUp(), expected, crops, maxBatchSize * members.size());
        progress.printf(
                Locale.ROOT,
                "==> crops, %s, %s: %d crops per image, %d images (%d to warm up)%n",
                subject,
                scheme.id(),
                crops,
                images,
                warmUp);
        String name = "crops-" + subject + "-" + scheme.id();
        WorkerRun.Setup setup = new WorkerRun.Setup(model, workload, threads, maxQueueDelayMs, own);
        try (WorkerRun worker =
                WorkerRun.start(stack, setup, name, threads, maxBatchSize, warmUp)) {
            MachineLoad.Snapshot before = MachineLoad.now();
            WorkerRun.Result result = worker.burst(name, images);
            MachineLoad.Snapshot after = MachineLoad.now();
            CropResults.Run run =
                    new CropResults.Run(
                            subject,
                            members.stream().map(CropResults.Model::name).toList(),
                            scheme,
                            crops,
                            result,
                            MachineLoad.ownCores(before, after),
                            MachineLoad.otherCores(before, after));
            progress.printf(
                    Locale.ROOT,
                    "    %.2f images/s, %.1f crops/s (%d images in %.1f s), mean batch %.1f;"
                            + " per image, median: decode %.0f ms, queue %.0f ms, inference %.0f"
                            + " ms, in worker %.0f ms; cores: %.2f this JVM, %.2f other"
                            + " processes%n",
                    run.imagesPerSecond(),
                    run.cropsPerSecond(),
                    result.images(),
                    result.seconds(),
                    result.batches() == null ? 1.0 : result.batches().meanSize(),
                    run.medianMs(WorkerRun.ImageTiming::decodeMs),
                    run.medianMs(WorkerRun.ImageTiming::queueMs),
                    run.medianMs(WorkerRun.ImageTiming::inferenceMs),
                    run.medianMs(WorkerRun.ImageTiming::workerMs),
                    run.ownCores(),
                    run.otherCores());
            return run;
        }
    }

    private ModelSpec spec(Path dir, boolean single) {
        Map<String, String> own = new HashMap<>(settings);
        own.put(WorkerConfig.MODEL_PATH, dir.toString());
        WorkerConfig config = WorkerConfig.of(own);
        // A single model takes the model.* settings as a worker would; a member, its metadata.
        return single ? ModelSpec.resolve(config) : ModelSpec.member(config, dir.toString());
    }

    /** The model on full batches of preprocessed input, nothing else running. */
    private CropResults.Model alone(ModelSpec spec) {
        try (SavedModelClassifier model = SavedModelClassifier.load(spec)) {
            float[] row = new float[InputWriter.inputLength(model.inputSize())];
            // Mid-grey in [0,1] inputs; the model's cost does not depend on the values.
            Arrays.fill(row, 0.5f);
            MachineLoad.Snapshot before = MachineLoad.now();
            double ms =
                    LimitBenchmark.modelAlone(
                            model.batches(), row, maxBatchSize, 3, Duration.ofSeconds(2));
            CropResults.Model result =
                    new CropResults.Model(
                            spec.name(),
                            model.inputSize(),
                            maxBatchSize * 1000 / ms,
                            MachineLoad.otherCores(before, MachineLoad.now()));
            progress.printf(
                    Locale.ROOT,
                    "==> crops: %s alone, batch %d: %.0f ms per batch, %.1f crops/s; other"
                            + " processes: %.2f cores%n",
                    result.name(),
                    maxBatchSize,
                    ms,
                    result.cropsPerSecondAlone(),
                    result.otherCores());
            return result;
        }
    }

    /** The crops of one image over every member: the scheme's count once per member. */
    static int cropsPerImage(CropScheme scheme, int members) {
        if (members < 1) {
            throw new IllegalArgumentException("a run has at least one member, got " + members);
        }
        return Math.multiplyExact(scheme.count(), members);
    }

    /**
     * Crops/s of all members together when every image goes through each of them in turn, each at
     * its own rate alone: the harmonic combination {@code n / sum(1 / rate)}. One model: its rate.
     */
    static double expectedCropsPerSecond(List<Double> aloneCropsPerSecond) {
        if (aloneCropsPerSecond.isEmpty()) {
            throw new IllegalArgumentException("no members");
        }
        double secondsPerCropOfEach = 0;
        for (double rate : aloneCropsPerSecond) {
            if (!(rate > 0)) {
                throw new IllegalArgumentException("a rate must be positive, got " + rate);
            }
            secondsPerCropOfEach += 1 / rate;
        }
        return aloneCropsPerSecond.size() / secondsPerCropOfEach;
    }

    /**
     * The images that last about {@code length} at {@code cropsPerSecond}, but at least enough for
     * {@code minCrops} crops, and at least one; when there are at least as many as stream threads,
     * a multiple of them, so every thread's partition gets as many images and none idles at the end
     * while another finishes.
     */
    static int imagesFor(
            Duration length, double cropsPerSecond, int cropsPerImage, int threads, int minCrops) {
        long byTime = Math.round(length.toMillis() / 1000.0 * cropsPerSecond / cropsPerImage);
        long byCrops = (minCrops + cropsPerImage - 1) / cropsPerImage;
        long images = Math.max(1, Math.max(byTime, byCrops));
        if (images >= threads) {
            images -= images % threads;
        }
        return Math.toIntExact(images);
    }

    /**
     * The whole images that fit in {@code warmUp} at {@code cropsPerSecond}, and at least those
     * that make {@code batchCrops} crops (a full batch of each member) when one image has fewer.
     * None when one image takes longer than the warm-up and fills a batch by itself: its own crops
     * fill batches from the start, and warming up with a whole image would double the run.
     */
    static int warmUpImages(
            Duration warmUp, double cropsPerSecond, int cropsPerImage, int batchCrops) {
        long byTime =
                (long) Math.floor(warmUp.toMillis() / 1000.0 * cropsPerSecond / cropsPerImage);
        long byBatch =
                cropsPerImage < batchCrops ? (batchCrops + cropsPerImage - 1) / cropsPerImage : 0;
        return Math.toIntExact(Math.max(byTime, byBatch));
    }
}
