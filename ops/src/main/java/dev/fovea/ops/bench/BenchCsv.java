package dev.fovea.ops.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CSV files of {@code ./fovea bench}: every measured point, every image of the latency runs,
 * every crops run.
 */
public final class BenchCsv {
    private final BenchResults r;

    public BenchCsv(BenchResults results) {
        this.r = results;
    }

    /**
     * Writes the CSV files into {@code dir}: {@code limit.csv}, {@code model-alone.csv}, {@code
     * threads.csv}, {@code latency.csv} (every image of the latency runs), {@code
     * latency-summary.csv}, {@code batch-sizes.csv}, {@code queue-wait.csv}, {@code hostile.csv},
     * {@code crops.csv} and {@code crop-models.csv} (the crops phase) and {@code summary.csv} (the
     * headline figures), each when its phase ran.
     */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (r.hasEndToEnd()) {
            writeEndToEnd(dir);
        }
        if (r.hostile() != null) {
            r.hostile().csv().write(dir.resolve("hostile.csv"));
        }
        if (r.crops() != null) {
            crops(r.crops()).write(dir.resolve("crops.csv"));
            cropModels(r.crops()).write(dir.resolve("crop-models.csv"));
        }
        Csv headline = new Csv("key", "value");
        for (String pair : r.keyValues().split(" ")) {
            String[] kv = pair.split("=", 2);
            headline.row(kv[0], kv[1]);
        }
        headline.write(dir.resolve("summary.csv"));
    }

    /**
     * One row per crops run: its throughput, its batches and the medians of its images' timings
     * (Prediction timings; queue and inference are the longest of an image's crops).
     */
    static Csv crops(CropResults c) {
        Csv csv =
                new Csv(
                        "run",
                        "members",
                        "scheme",
                        "crops_per_image",
                        "threads",
                        "max_batch_size",
                        "images",
                        "seconds",
                        "images_per_s",
                        "crops_per_s",
                        "crops_per_s_vs_center",
                        "mean_batch_size",
                        "decode_ms_p50",
                        "queue_ms_p50",
                        "inference_ms_p50",
                        "worker_ms_p50",
                        "latency_ms_p50",
                        "jvm_cores",
                        "other_processes_cores",
                        "crops_per_cpu_s",
                        "crops_per_cpu_s_vs_center");
        for (CropResults.Run run : c.runs()) {
            WorkerRun.Result result = run.result();
            csv.row(
                    run.subject(),
                    String.join("+", run.members()),
                    run.scheme().id(),
                    run.cropsPerImage(),
                    result.threads(),
                    result.maxBatchSize(),
                    result.images(),
                    result.seconds(),
                    run.imagesPerSecond(),
                    run.cropsPerSecond(),
                    c.ratioToCenter(run),
                    result.batches() == null ? 1.0 : result.batches().meanSize(),
                    run.medianMs(WorkerRun.ImageTiming::decodeMs),
                    run.medianMs(WorkerRun.ImageTiming::queueMs),
                    run.medianMs(WorkerRun.ImageTiming::inferenceMs),
                    run.medianMs(WorkerRun.ImageTiming::workerMs),
                    run.medianMs(WorkerRun.ImageTiming::latencyMs),
                    run.ownCores(),
                    run.otherCores(),
                    run.cropsPerCpuSecond(),
                    c.cpuRatioToCenter(run));
        }
        return csv;
    }

    /** Each model of the crops runs alone, on full batches. */
    static Csv cropModels(CropResults c) {
        Csv csv =
                new Csv(
                        "model",
                        "input_size",
                        "batch_size",
                        "crops_per_s_alone",
                        "other_processes_cores");
        for (CropResults.Model m : c.models()) {
            csv.row(
                    m.name(),
                    m.inputSize(),
                    c.maxBatchSize(),
                    m.cropsPerSecondAlone(),
                    m.otherCores());
        }
        return csv;
    }

    private void writeEndToEnd(Path dir) throws IOException {
        Csv limit =
                new Csv(
                        "batch_size",
                        "decode_threads",
                        "images",
                        "seconds",
                        "images_per_s",
                        "model_ms_per_batch_in_pipeline");
        for (LimitBenchmark.Point p : r.limit()) {
            limit.row(
                    p.batchSize(),
                    p.decodeThreads(),
                    p.images(),
                    p.seconds(),
                    p.imagesPerSecond(),
                    p.modelMillisPerBatch());
        }
        limit.write(dir.resolve("limit.csv"));

        Csv alone = new Csv("batch_size", "ms_per_batch", "images_per_s");
        r.modelAloneMillis().forEach((size, ms) -> alone.row(size, ms, size * 1000 / ms));
        alone.write(dir.resolve("model-alone.csv"));

        Csv threads =
                new Csv(
                        "mode",
                        "threads",
                        "max_batch_size",
                        "images",
                        "seconds",
                        "images_per_s",
                        "mean_batch_size",
                        "mean_queue_ms");
        List<WorkerRun.Result> all = new ArrayList<>(r.batched());
        all.addAll(r.baseline());
        for (WorkerRun.Result run : all) {
            threads.row(
                    run.maxBatchSize() == 1 ? "baseline" : "batched",
                    run.threads(),
                    run.maxBatchSize(),
                    run.images(),
                    run.seconds(),
                    run.imagesPerSecond(),
                    run.batches() == null ? 1.0 : run.batches().meanSize(),
                    run.batches() == null ? 0.0 : run.batches().meanQueueWaitMillis());
        }
        threads.write(dir.resolve("threads.csv"));

        Csv latency =
                new Csv(
                        "load_percent",
                        "rate_per_s",
                        "image_id",
                        "steady",
                        "latency_ms",
                        "decode_ms",
                        "queue_ms",
                        "inference_ms",
                        "worker_ms");
        Csv summary =
                new Csv(
                        "load_percent",
                        "rate_per_s",
                        "images",
                        "p50_ms",
                        "p95_ms",
                        "p99_ms",
                        "max_ms",
                        "worker_p50_ms",
                        "worker_p99_ms",
                        "queue_p99_ms",
                        "mean_batch_size");
        for (LatencyProbe.Level level : r.latency()) {
            long percent = Math.round(level.fraction() * 100);
            int firstSteady = level.run().timings().size() - level.steady().size();
            List<WorkerRun.ImageTiming> timings = level.run().timings();
            for (int i = 0; i < timings.size(); i++) {
                WorkerRun.ImageTiming t = timings.get(i);
                latency.row(
                        percent,
                        level.ratePerSecond(),
                        t.id(),
                        i >= firstSteady,
                        t.latencyMs(),
                        t.decodeMs(),
                        t.queueMs(),
                        t.inferenceMs(),
                        t.workerMs());
            }
            double[] e2e = level.latenciesMs();
            double[] worker = level.workerMs();
            summary.row(
                    percent,
                    level.ratePerSecond(),
                    e2e.length,
                    LatencyProbe.percentile(e2e, 50),
                    LatencyProbe.percentile(e2e, 95),
                    LatencyProbe.percentile(e2e, 99),
                    e2e[e2e.length - 1],
                    LatencyProbe.percentile(worker, 50),
                    LatencyProbe.percentile(worker, 99),
                    LatencyProbe.percentile(level.queueMs(), 99),
                    level.run().batches() == null ? 1.0 : level.run().batches().meanSize());
        }
        latency.write(dir.resolve("latency.csv"));
        summary.write(dir.resolve("latency-summary.csv"));

        Csv sizes = new Csv("run", "batch_size", "batches");
        Csv waits = new Csv("run", "from_us", "to_us", "images");
        for (Map.Entry<String, Batches> run : r.batchedRuns().entrySet()) {
            Batches b = run.getValue();
            for (int size = 1; size < b.sizes().length; size++) {
                sizes.row(run.getKey(), size, b.sizes()[size]);
            }
            for (int i = 0; i < b.queueWaitMicros().length; i++) {
                if (b.queueWaitMicros()[i] > 0) {
                    waits.row(
                            run.getKey(),
                            Batches.bucketFloorMicros(i),
                            Batches.bucketFloorMicros(i + 1),
                            b.queueWaitMicros()[i]);
                }
            }
        }
        sizes.write(dir.resolve("batch-sizes.csv"));
        waits.write(dir.resolve("queue-wait.csv"));
    }

    /** What {@code --only-hostile} writes: {@code hostile.csv}. */
    public static void writeHostileOnly(HostileBenchmark.Result hostile, Path dir)
            throws IOException {
        Files.createDirectories(dir);
        hostile.csv().write(dir.resolve("hostile.csv"));
    }
}
