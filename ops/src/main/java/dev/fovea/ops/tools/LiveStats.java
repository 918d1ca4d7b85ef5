package dev.fovea.ops.tools;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code ./fovea consume --stats} shows: predictions and dead letters as they arrive, one line
 * per interval (rates over the interval, latency percentiles of its predictions, the dead-letter
 * share), and a summary of the whole watch. Fed by the reading thread only.
 */
public final class LiveStats {
    public static final String HEADER =
            String.format(
                    "%8s %8s %8s %6s %17s %17s %10s %10s",
                    "seconds",
                    "pred/s",
                    "dlq/s",
                    "dlq %",
                    "latency p50/p99",
                    "worker p50/p99",
                    "pred total",
                    "dlq total");

    private final long startNanos;
    private long intervalStartNanos;
    private final List<Double> latencies = new ArrayList<>();
    private final List<Double> workerMs = new ArrayList<>();
    private final List<Double> allLatencies = new ArrayList<>();
    private int predictions;
    private int deadLetters;
    private long totalPredictions;
    private long totalDeadLetters;
    private final Map<String, Long> reasons = new TreeMap<>();

    public LiveStats(long nowNanos) {
        this.startNanos = nowNanos;
        this.intervalStartNanos = nowNanos;
    }

    /**
     * One prediction.
     *
     * @param latencyMs from the image's timestamp (set by its producer) to the prediction's
     *     processedAt: what a consumer waits, Kafka hops included
     * @param inWorkerMs the prediction's own {@code timings.totalMs}
     */
    public void prediction(double latencyMs, double inWorkerMs) {
        predictions++;
        totalPredictions++;
        latencies.add(latencyMs);
        allLatencies.add(latencyMs);
        workerMs.add(inWorkerMs);
    }

    public void deadLetter(String reason) {
        deadLetters++;
        totalDeadLetters++;
        reasons.merge(reason, 1L, Long::sum);
    }

    /** The line of the interval since the last one, and a new interval. */
    public String line(long nowNanos) {
        double seconds = Math.max((nowNanos - intervalStartNanos) / 1e9, 1e-9);
        int answered = predictions + deadLetters;
        String row =
                String.format(
                        Locale.ROOT,
                        "%8.1f %8.1f %8.1f %6.1f %17s %17s %10d %10d",
                        (nowNanos - startNanos) / 1e9,
                        predictions / seconds,
                        deadLetters / seconds,
                        answered == 0 ? 0.0 : 100.0 * deadLetters / answered,
                        pair(latencies),
                        pair(workerMs),
                        totalPredictions,
                        totalDeadLetters);
        predictions = 0;
        deadLetters = 0;
        latencies.clear();
        workerMs.clear();
        intervalStartNanos = nowNanos;
        return row;
    }

    /** The whole watch: totals, mean rates, latency percentiles, dead letters by reason. */
    public String summary(long nowNanos) {
        double seconds = Math.max((nowNanos - startNanos) / 1e9, 1e-9);
        long answered = totalPredictions + totalDeadLetters;
        return String.format(
                Locale.ROOT,
                "%d predictions and %d dead letters in %.1f s: %.1f predictions/s, %.1f%% dead"
                        + " letters%s; latency p50 %s ms, p99 %s ms",
                totalPredictions,
                totalDeadLetters,
                seconds,
                totalPredictions / seconds,
                answered == 0 ? 0.0 : 100.0 * totalDeadLetters / answered,
                reasons.isEmpty() ? "" : " " + reasons,
                format(percentile(allLatencies, 50)),
                format(percentile(allLatencies, 99)));
    }

    private static String pair(List<Double> values) {
        return format(percentile(values, 50)) + " / " + format(percentile(values, 99));
    }

    private static String format(double ms) {
        return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.0f", ms);
    }

    /** The nearest-rank percentile; NaN without values. */
    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
