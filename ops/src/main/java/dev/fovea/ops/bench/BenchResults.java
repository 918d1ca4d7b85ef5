package dev.fovea.ops.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;

/**
 * Everything one run of {@code ./fovea bench} measured, and the figures derived from it.
 *
 * @param modelAloneMillis the SavedModel alone: milliseconds per batch, by batch size
 * @param batched end to end with the batcher, one result per stream-thread count
 * @param baseline end to end with batch size 1 (no batcher), one per stream-thread count run
 * @param model the model of every phase but the crops; null when only the crops phase ran
 * @param threads the stream threads of the headline figures: the best of {@code batched}
 * @param latency one level per load fraction, at {@code threads}
 * @param hostile the photographs alone and with hostile input, at {@code threads}; null when the
 *     end-to-end phases did not run
 * @param crops the crops phase; null when it did not run
 */
public record BenchResults(
        String model,
        int inputSize,
        int cores,
        Workload workload,
        int partitions,
        int maxBatchSize,
        long maxQueueDelayMs,
        List<LimitBenchmark.Point> limit,
        SortedMap<Integer, Double> modelAloneMillis,
        List<WorkerRun.Result> batched,
        List<WorkerRun.Result> baseline,
        int threads,
        List<LatencyProbe.Level> latency,
        HostileBenchmark.Result hostile,
        CropResults crops) {

    /**
     * Whether the limit, end-to-end, baseline and latency phases ran ({@code --only-crops} skips
     * them).
     */
    public boolean hasEndToEnd() {
        return !batched.isEmpty();
    }

    /** The best configuration of the limit pipeline. */
    public LimitBenchmark.Point bestLimit() {
        return limit.stream()
                .max(Comparator.comparingDouble(LimitBenchmark.Point::imagesPerSecond))
                .orElseThrow();
    }

    public double limitPerSecond() {
        return bestLimit().imagesPerSecond();
    }

    /** The headline end-to-end run: batched, at {@link #threads()}. */
    public WorkerRun.Result endToEnd() {
        return atThreads(batched, threads);
    }

    /** The baseline at the same stream threads as the headline run. */
    public WorkerRun.Result baselineRun() {
        return atThreads(baseline, threads);
    }

    public double efficiency() {
        return endToEnd().imagesPerSecond() / limitPerSecond();
    }

    public double batchingGain() {
        return endToEnd().imagesPerSecond() / baselineRun().imagesPerSecond();
    }

    /** The SavedModel alone on one full batch ({@link #maxBatchSize()} images), in ms. */
    public double batchMillis() {
        return modelAloneMillis.get(maxBatchSize);
    }

    /** The p99 latency at {@code fraction} of the throughput, in ms; NaN if not measured. */
    public double p99At(double fraction) {
        return latency.stream()
                .filter(l -> Math.abs(l.fraction() - fraction) < 1e-9)
                .findFirst()
                .map(l -> LatencyProbe.percentile(l.latenciesMs(), 99))
                .orElse(Double.NaN);
    }

    /** The bound of the latency target: the queue delay plus two full batches. */
    public double latencyBoundMillis() {
        return maxQueueDelayMs + 2 * batchMillis();
    }

    /** The targets of the benchmark, each with what was measured and whether it is met. */
    public List<Target> targets() {
        List<Target> targets = new ArrayList<>();
        if (hasEndToEnd()) {
            targets.addAll(endToEndTargets());
        }
        if (hostile != null) {
            targets.add(hostileTarget());
        }
        if (crops != null) {
            targets.addAll(crops.targets());
        }
        return targets;
    }

    private List<Target> endToEndTargets() {
        double e2e = endToEnd().imagesPerSecond();
        return List.of(
                new Target(
                        "end to end >= 0.9 x limit",
                        String.format(Locale.ROOT, "%.1f images/s", e2e),
                        String.format(Locale.ROOT, ">= %.1f images/s", 0.9 * limitPerSecond()),
                        e2e >= 0.9 * limitPerSecond()),
                new Target(
                        "end to end >= 2.5 x baseline",
                        String.format(Locale.ROOT, "%.1f images/s", e2e),
                        String.format(
                                Locale.ROOT,
                                ">= %.1f images/s",
                                2.5 * baselineRun().imagesPerSecond()),
                        e2e >= 2.5 * baselineRun().imagesPerSecond()),
                new Target(
                        "p99 at 50% load <= queue delay + 2 x full batch",
                        String.format(Locale.ROOT, "%.0f ms", p99At(0.5)),
                        String.format(
                                Locale.ROOT,
                                "<= %d + 2 x %.0f = %.0f ms",
                                maxQueueDelayMs,
                                batchMillis(),
                                latencyBoundMillis()),
                        p99At(0.5) <= latencyBoundMillis()));
    }

    private Target hostileTarget() {
        return new Target(
                "valid images with hostile input >= " + HostileBenchmark.TARGET_RATIO + " x alone",
                String.format(Locale.ROOT, "%.1f images/s", hostile.hostilePerSecond()),
                String.format(
                        Locale.ROOT,
                        ">= %.1f images/s",
                        HostileBenchmark.TARGET_RATIO * hostile.cleanPerSecond()),
                hostile.met());
    }

    /** One target: what it says, the measured value, the bound, and whether it holds. */
    public record Target(String name, String measured, String bound, boolean met) {}

    /**
     * The last line of the report: every headline figure as {@code key=value}, the end-to-end
     * figures first, then the hostile-input and the crops phases'.
     */
    public String keyValues() {
        List<String> parts = new ArrayList<>();
        if (hasEndToEnd()) {
            parts.add(endToEndKeyValues());
        }
        if (hostile != null) {
            parts.add(String.format(Locale.ROOT, "hostile_throughput_ratio=%.3f", hostile.ratio()));
        }
        if (crops != null) {
            parts.add(crops.keyValues());
        }
        return String.join(" ", parts);
    }

    private String endToEndKeyValues() {
        return String.format(
                Locale.ROOT,
                "e2e_per_s=%.2f limit_per_s=%.2f efficiency=%.3f baseline_per_s=%.2f"
                        + " batching_gain=%.3f p99_ms_at_50=%.1f p99_ms_at_90=%.1f"
                        + " max_queue_delay_ms=%d batch_ms=%.1f",
                endToEnd().imagesPerSecond(),
                limitPerSecond(),
                efficiency(),
                baselineRun().imagesPerSecond(),
                batchingGain(),
                p99At(0.5),
                p99At(0.9),
                maxQueueDelayMs,
                batchMillis());
    }

    /**
     * The batched runs with batcher statistics, by run id: the headline burst ({@code burst}), then
     * each load level ({@code load50}, {@code load90}).
     */
    public Map<String, Batches> batchedRuns() {
        Map<String, Batches> runs = new LinkedHashMap<>();
        runs.put("burst", endToEnd().batches());
        for (LatencyProbe.Level level : latency) {
            if (level.run().batches() != null) {
                runs.put(level.run().label(), level.run().batches());
            }
        }
        return runs;
    }

    private static WorkerRun.Result atThreads(List<WorkerRun.Result> runs, int threads) {
        return runs.stream()
                .filter(r -> r.threads() == threads)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no run at " + threads + " threads"));
    }
}
