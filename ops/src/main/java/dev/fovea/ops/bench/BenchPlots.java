package dev.fovea.ops.bench;

import dev.fovea.topology.crops.CropScheme;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The PNG plots of {@code ./fovea bench}: throughput by batch size and by stream threads, the
 * end-to-end latency and queue-wait distributions, the batch-size histogram and crops/s by crop
 * scheme.
 */
public final class BenchPlots {
    private final BenchResults r;

    public BenchPlots(BenchResults results) {
        this.r = results;
    }

    /** Draws the plots into {@code dir}; returns the files written. */
    public List<Path> write(Path dir) throws IOException {
        List<Path> written = new ArrayList<>();
        if (r.hasEndToEnd()) {
            written.add(throughputByBatchSize(dir.resolve("throughput-vs-batch-size.png")));
            written.add(throughputByThreads(dir.resolve("throughput-vs-threads.png")));
            written.add(latencyCdf(dir.resolve("latency-cdf.png")));
            written.add(batchSizes(dir.resolve("batch-sizes.png")));
            written.add(queueWaits(dir.resolve("queue-wait-cdf.png")));
        }
        if (r.crops() != null) {
            written.add(cropsByScheme(r.crops(), dir.resolve("crops-by-scheme.png")));
        }
        return written;
    }

    /**
     * Crops/s by scheme, the single model's bars beside the ensemble's, with each subject's models
     * alone as a dashed line: how much of the model's own rate each scheme keeps.
     */
    private static Path cropsByScheme(CropResults c, Path file) throws IOException {
        List<CropScheme> schemes = CropBenchmark.SCHEMES;
        double[] ticks = new double[schemes.size()];
        String[] labels = new String[schemes.size()];
        for (int i = 0; i < ticks.length; i++) {
            ticks[i] = i + 1;
            labels[i] = schemes.get(i).id();
        }
        Plot plot =
                new Plot(
                                "Crops/s by crop scheme, "
                                        + c.threads()
                                        + " stream threads, max batch "
                                        + c.maxBatchSize(),
                                "crop scheme",
                                "crops/s")
                        .xTicks(ticks, labels);
        for (String subject : List.of(CropResults.SINGLE, CropResults.ENSEMBLE)) {
            List<CropResults.Run> runs =
                    c.runs().stream().filter(run -> run.subject().equals(subject)).toList();
            if (runs.isEmpty()) {
                continue;
            }
            String name = subject + " (" + String.join(" + ", runs.get(0).members()) + ")";
            plot.bars(
                    name,
                    runs.stream().mapToDouble(run -> schemes.indexOf(run.scheme()) + 1).toArray(),
                    runs.stream().mapToDouble(CropResults.Run::cropsPerSecond).toArray());
        }
        for (String subject : List.of(CropResults.SINGLE, CropResults.ENSEMBLE)) {
            c.run(subject, CropScheme.CENTER)
                    .ifPresent(
                            run ->
                                    plot.horizontal(
                                            subject.equals(CropResults.SINGLE)
                                                    ? "single: the model alone"
                                                    : "ensemble: its members alone, in turn",
                                            c.ceilingCropsPerSecond(run.members())));
        }
        plot.write(file);
        return file;
    }

    private Path throughputByBatchSize(Path file) throws IOException {
        int decoders = r.cores();
        List<LimitBenchmark.Point> sweep =
                r.limit().stream().filter(p -> p.decodeThreads() == decoders).toList();
        Plot plot =
                new Plot("Throughput by batch size (" + r.model() + ")", "batch size", "images/s")
                        .log2X()
                        .line(
                                "limit: decode + preprocessing + model, "
                                        + decoders
                                        + " decode threads",
                                sweep.stream()
                                        .mapToDouble(LimitBenchmark.Point::batchSize)
                                        .toArray(),
                                sweep.stream()
                                        .mapToDouble(LimitBenchmark.Point::imagesPerSecond)
                                        .toArray());
        for (LimitBenchmark.Point p : r.limit()) {
            if (p.decodeThreads() != decoders) {
                plot.line(
                        "limit, " + p.decodeThreads() + " decode threads",
                        new double[] {p.batchSize()},
                        new double[] {p.imagesPerSecond()});
            }
        }
        plot.line(
                "model alone (preprocessed input)",
                r.modelAloneMillis().keySet().stream().mapToDouble(Integer::doubleValue).toArray(),
                r.modelAloneMillis().entrySet().stream()
                        .mapToDouble(e -> e.getKey() * 1000 / e.getValue())
                        .toArray());
        plot.horizontal(
                "Fovea end to end, batched, " + r.threads() + " threads",
                r.endToEnd().imagesPerSecond());
        plot.horizontal(
                "baseline (batch 1), " + r.threads() + " threads",
                r.baselineRun().imagesPerSecond());
        plot.write(file);
        return file;
    }

    private Path throughputByThreads(Path file) throws IOException {
        Plot plot =
                new Plot("End-to-end throughput by stream threads", "stream threads", "images/s")
                        .log2X()
                        .line(
                                "batched (max batch " + r.maxBatchSize() + ")",
                                threadsOf(r.batched()),
                                perSecond(r.batched()))
                        .line(
                                "baseline (batch 1)",
                                threadsOf(r.baseline()),
                                perSecond(r.baseline()))
                        .horizontal("limit (no Kafka)", r.limitPerSecond());
        plot.write(file);
        return file;
    }

    private Path latencyCdf(Path file) throws IOException {
        Plot plot =
                new Plot(
                                "End-to-end latency, "
                                        + r.threads()
                                        + " stream threads (steady window)",
                                "latency (ms)",
                                "% of images at or below")
                        .yMax(100);
        for (LatencyProbe.Level level : r.latency()) {
            addCdf(
                    plot,
                    level.label() + f(" (%.1f images/s)", level.ratePerSecond()),
                    level.latenciesMs());
        }
        plot.vertical("target: queue delay + 2 full batches", r.latencyBoundMillis());
        plot.write(file);
        return file;
    }

    private Path batchSizes(Path file) throws IOException {
        double[] ticks = new double[r.maxBatchSize()];
        String[] labels = new String[r.maxBatchSize()];
        for (int i = 0; i < ticks.length; i++) {
            ticks[i] = i + 1;
            labels[i] = Integer.toString(i + 1);
        }
        Plot plot =
                new Plot("Batch sizes that ran", "batch size", "% of batches")
                        .yMax(100)
                        .xTicks(ticks, labels);
        for (Map.Entry<String, Batches> run : r.batchedRuns().entrySet()) {
            long[] sizes = run.getValue().sizes();
            long batches = Math.max(1, run.getValue().batches());
            double[] x = new double[sizes.length - 1];
            double[] y = new double[sizes.length - 1];
            for (int size = 1; size < sizes.length; size++) {
                x[size - 1] = size;
                y[size - 1] = 100.0 * sizes[size] / batches;
            }
            plot.bars(legend(run.getKey()), x, y);
        }
        plot.write(file);
        return file;
    }

    private Path queueWaits(Path file) throws IOException {
        Plot plot =
                new Plot(
                                "Time waiting in the batcher's queue (Prediction timings.queueMs)",
                                "queue wait (ms)",
                                "% of images at or below")
                        .yMax(100);
        addCdf(
                plot,
                "burst, " + r.threads() + " threads",
                r.endToEnd().timings().stream()
                        .mapToDouble(WorkerRun.ImageTiming::queueMs)
                        .sorted()
                        .toArray());
        for (LatencyProbe.Level level : r.latency()) {
            addCdf(plot, level.label(), level.queueMs());
        }
        plot.vertical("inference.max.queue.delay.ms", r.maxQueueDelayMs());
        plot.write(file);
        return file;
    }

    /** A legend for a run id of {@link #r.batchedRuns()}. */
    private String legend(String runId) {
        return runId.startsWith("load")
                ? runId.substring("load".length()) + "% load"
                : runId + ", " + r.threads() + " stream threads";
    }

    /** A cumulative distribution of sorted {@code values}, as a step line starting at 0%. */
    private static void addCdf(Plot plot, String name, double[] sorted) {
        double[] x = new double[2 * sorted.length + 1];
        double[] y = new double[2 * sorted.length + 1];
        x[0] = sorted.length == 0 ? 0 : sorted[0];
        for (int i = 0; i < sorted.length; i++) {
            x[2 * i + 1] = sorted[i];
            y[2 * i + 1] = 100.0 * i / sorted.length;
            x[2 * i + 2] = sorted[i];
            y[2 * i + 2] = 100.0 * (i + 1) / sorted.length;
        }
        plot.line(name, x, y);
    }

    private static double[] threadsOf(List<WorkerRun.Result> runs) {
        return runs.stream().mapToDouble(WorkerRun.Result::threads).toArray();
    }

    private static double[] perSecond(List<WorkerRun.Result> runs) {
        return runs.stream().mapToDouble(WorkerRun.Result::imagesPerSecond).toArray();
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
