package dev.fovea.ops.bench;

import dev.fovea.ops.local.LocalStack;
import dev.fovea.workers.runtime.ModelSpec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The whole of {@code ./fovea bench}, in order: the limit with no Kafka ({@link LimitBenchmark}),
 * then, on one local broker and registry, Fovea end to end by stream threads ({@link
 * EndToEndBenchmark}), the per-record baseline, the latency at fixed loads ({@link LatencyProbe}),
 * the throughput with hostile input ({@link HostileBenchmark}), and the crop schemes and ensemble
 * ({@link CropBenchmark}). Every run uses the same encoded images and this machine; all but the
 * crops phase the same model.
 */
public final class Bench {

    /**
     * What to measure.
     *
     * @param images images per throughput run (the limit's and each end-to-end burst)
     * @param latencyWindow the steady window of each latency level
     * @param batchSizes the batch sizes of the limit
     * @param threads the stream-thread counts of the end-to-end runs
     * @param partitions partitions of each run's topics
     * @param settings further worker settings, for every worker
     * @param quick a short run: shorter model timings, the baseline at the best thread count only,
     *     one more decoder count for the limit instead of two
     * @param model the model of the limit, end-to-end, baseline and latency runs; null with {@code
     *     onlyCrops}
     * @param crops the crops phase; null to skip it
     * @param onlyCrops the crops phase alone, none of the others
     */
    public record Plan(
            Path model,
            ModelSpec spec,
            Workload workload,
            int images,
            Duration latencyWindow,
            List<Integer> batchSizes,
            List<Integer> threads,
            int maxBatchSize,
            long maxQueueDelayMs,
            int partitions,
            Map<String, String> settings,
            boolean quick,
            CropBenchmark.Plan crops,
            boolean onlyCrops) {}

    /** The loads of the latency runs, as fractions of the best end-to-end throughput. */
    static final double[] LOADS = {0.5, 0.9};

    private final Plan plan;
    private final PrintStream progress;
    private final int cores = Runtime.getRuntime().availableProcessors();

    public Bench(Plan plan, PrintStream progress) {
        this.plan = plan;
        this.progress = progress;
    }

    public BenchResults run() throws InterruptedException {
        if (plan.onlyCrops()) {
            progress.printf(
                    Locale.ROOT,
                    "==> crops only, on %d cores: %d photographs%n",
                    cores,
                    plan.workload().size());
        } else {
            progress.printf(
                    Locale.ROOT,
                    "==> %s on %d cores: %d photographs, %d images per run%n",
                    plan.spec().name(),
                    cores,
                    plan.workload().size(),
                    plan.images());
        }
        List<LimitBenchmark.Point> limit = new ArrayList<>();
        SortedMap<Integer, Double> modelAlone = new TreeMap<>();
        int inputSize = 0;
        if (!plan.onlyCrops()) {
            try (LimitBenchmark bench = LimitBenchmark.load(plan.spec(), plan.workload())) {
                inputSize = bench.inputSize();
                measureModelAlone(bench, modelAlone);
                measureLimit(bench, limit);
            }
        }
        CropBenchmark cropBench = null;
        if (plan.crops() != null) {
            cropBench =
                    new CropBenchmark(
                            plan.crops(),
                            plan.workload(),
                            plan.maxBatchSize(),
                            plan.maxQueueDelayMs(),
                            plan.settings(),
                            progress);
            cropBench.timeModels();
        }

        progress.println("==> starting a local broker and registry (ephemeral)");
        List<WorkerRun.Result> batched = new ArrayList<>();
        List<WorkerRun.Result> baseline = new ArrayList<>();
        List<LatencyProbe.Level> latency = List.of();
        HostileBenchmark.Result hostile = null;
        int best = 0;
        CropResults crops = null;
        try (LocalStack stack =
                LocalStack.start(new LocalStack.Settings("127.0.0.1", 0, 0, null, 1))) {
            if (!plan.onlyCrops()) {
                WorkerRun.Setup setup = setup();
                EndToEndBenchmark e2e = new EndToEndBenchmark(stack, setup, progress);
                // The same number of images on every partition, so no stream thread has more to
                // do.
                int images = LimitBenchmark.roundUp(plan.images(), plan.partitions());
                for (int threads : plan.threads()) {
                    batched.add(e2e.throughput("batched", threads, plan.maxBatchSize(), images));
                }
                WorkerRun.Result fastest =
                        batched.stream()
                                .max(Comparator.comparingDouble(WorkerRun.Result::imagesPerSecond))
                                .orElseThrow();
                best = fastest.threads();
                for (int threads : plan.quick() ? List.of(best) : plan.threads()) {
                    baseline.add(e2e.throughput("baseline", threads, 1, images));
                }
                latency =
                        new LatencyProbe(stack, setup, progress)
                                .measure(
                                        best,
                                        plan.maxBatchSize(),
                                        fastest.imagesPerSecond(),
                                        LOADS,
                                        plan.latencyWindow());
                hostile =
                        new HostileBenchmark(stack, setup, progress)
                                .measure(best, plan.maxBatchSize(), images, hostileRounds());
            }
            if (cropBench != null) {
                crops = measureCrops(cropBench, stack, best);
            }
        }
        return new BenchResults(
                plan.onlyCrops() ? null : plan.spec().name(),
                inputSize,
                cores,
                plan.workload(),
                plan.partitions(),
                plan.maxBatchSize(),
                plan.maxQueueDelayMs(),
                limit,
                modelAlone,
                batched,
                baseline,
                best,
                latency,
                hostile,
                crops);
    }

    /**
     * The crops phase, at {@code --crop-threads}, else the best end-to-end thread count ({@code
     * best}; 0 when that phase did not run), else as many as the max batch size.
     */
    private CropResults measureCrops(CropBenchmark bench, LocalStack stack, int best)
            throws InterruptedException {
        int threads;
        String reason;
        if (plan.crops().threads() != null) {
            threads = plan.crops().threads();
            reason = "--crop-threads";
        } else if (best > 0) {
            threads = best;
            reason = "the best end-to-end thread count";
        } else {
            // center's batches fill from stream threads alone, 10crop's from its crops: fewer
            // threads than a batch would charge center for small batches and flatter the ratio.
            threads = plan.maxBatchSize();
            reason = "as many as the max batch size, so that center can fill its batches";
        }
        return bench.run(stack, threads, reason);
    }

    /**
     * Only the hostile-input phase ({@link HostileBenchmark}): on a local broker and registry, at
     * the most stream threads of the plan.
     */
    public HostileBenchmark.Result runHostileOnly() throws InterruptedException {
        int threads = plan.threads().get(plan.threads().size() - 1);
        progress.printf(
                Locale.ROOT,
                "==> %s on %d cores: %d photographs, %d images per run, hostile input only%n",
                plan.spec().name(),
                cores,
                plan.workload().size(),
                plan.images());
        progress.println("==> starting a local broker and registry (ephemeral)");
        try (LocalStack stack =
                LocalStack.start(new LocalStack.Settings("127.0.0.1", 0, 0, null, 1))) {
            return new HostileBenchmark(stack, setup(), progress)
                    .measure(
                            threads,
                            plan.maxBatchSize(),
                            LimitBenchmark.roundUp(plan.images(), plan.partitions()),
                            hostileRounds());
        }
    }

    /** Pairs of bursts of the hostile phase: alone, hostile, hostile, alone (and again). */
    private int hostileRounds() {
        return plan.quick() ? 2 : 4;
    }

    private WorkerRun.Setup setup() {
        return new WorkerRun.Setup(
                plan.model(),
                plan.workload(),
                plan.partitions(),
                plan.maxQueueDelayMs(),
                plan.settings());
    }

    /** The model alone at every batch size of the limit, and at the worker's largest batch. */
    private void measureModelAlone(LimitBenchmark bench, SortedMap<Integer, Double> modelAlone) {
        Set<Integer> sizes = new TreeSet<>(plan.batchSizes());
        sizes.add(plan.maxBatchSize());
        Duration each = Duration.ofMillis(plan.quick() ? 300 : 1500);
        for (int size : sizes) {
            double ms = bench.modelAlone(size, 3, each);
            modelAlone.put(size, ms);
            progress.printf(
                    Locale.ROOT,
                    "==> model alone, batch %d: %.1f ms per batch, %.1f images/s%n",
                    size,
                    ms,
                    size * 1000 / ms);
        }
    }

    /**
     * The limit at every batch size with one decoding thread per core, then at the best batch size
     * with more decoders (and, in a full run, one fewer, leaving a core to the model): the best of
     * all is the limit.
     */
    private void measureLimit(LimitBenchmark bench, List<LimitBenchmark.Point> limit)
            throws InterruptedException {
        for (int size : plan.batchSizes()) {
            limit.add(measureLimit(bench, size, cores));
        }
        int bestSize =
                limit.stream()
                        .max(Comparator.comparingDouble(LimitBenchmark.Point::imagesPerSecond))
                        .orElseThrow()
                        .batchSize();
        Set<Integer> decoders = new TreeSet<>(List.of(2 * cores));
        if (!plan.quick() && cores > 1) {
            decoders.add(cores - 1);
        }
        for (int d : decoders) {
            limit.add(measureLimit(bench, bestSize, d));
        }
    }

    private LimitBenchmark.Point measureLimit(LimitBenchmark bench, int batchSize, int decoders)
            throws InterruptedException {
        LimitBenchmark.Point p = bench.measure(batchSize, decoders, plan.images());
        progress.printf(
                Locale.ROOT,
                "==> limit, batch %d, %d decode threads: %.1f images/s (%d images in %.1f s,"
                        + " model %.0f ms per batch)%n",
                batchSize,
                decoders,
                p.imagesPerSecond(),
                p.images(),
                p.seconds(),
                p.modelMillisPerBatch());
        return p;
    }
}
