package dev.fovea.ops.bench;

import dev.fovea.topology.crops.CropScheme;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code ./fovea bench} prints from its {@link BenchResults}: Markdown tables (the limit, end
 * to end by stream threads, latency, the batch sizes that ran, hostile input, the crop schemes and
 * ensemble, the targets) and, last, the key=value line. {@link BenchCsv} and {@link BenchPlots}
 * write the same figures to files.
 */
public final class BenchReport {
    /** Other processes' load from which the report warns that the crops figures suffer. */
    private static final double BUSY_MACHINE_CORES = 0.25;

    private final BenchResults r;

    public BenchReport(BenchResults results) {
        this.r = results;
    }

    /** Prints the tables, the targets and, last, the key=value line. */
    public void print(PrintStream out) {
        out.println();
        if (r.hasEndToEnd()) {
            out.printf(
                    Locale.ROOT,
                    "## Fovea bench: %s (%dx%d), %d cores, %d photographs (mean %.0f KB)%n%n",
                    r.model(),
                    r.inputSize(),
                    r.inputSize(),
                    r.cores(),
                    r.workload().size(),
                    r.workload().meanBytes() / 1024);
            printLimit(out);
            printThroughput(out);
            printLatency(out);
            printBatches(out);
            if (r.hostile() != null) {
                r.hostile().print(out);
            }
        } else {
            out.printf(
                    Locale.ROOT,
                    "## Fovea bench, crops only: %d cores, %d photographs (mean %.0f KB)%n%n",
                    r.cores(),
                    r.workload().size(),
                    r.workload().meanBytes() / 1024);
        }
        if (r.crops() != null) {
            printCrops(out, r.crops());
        }
        printTargets(out);
        out.println(r.keyValues());
    }

    private void printCrops(PrintStream out, CropResults c) {
        out.printf(
                Locale.ROOT,
                "### Crop schemes and ensemble: %d stream threads (%s), max batch %d%n%n",
                c.threads(),
                c.threadsReason(),
                c.maxBatchSize());
        for (String subject : List.of(CropResults.SINGLE, CropResults.ENSEMBLE)) {
            c.run(subject, CropScheme.CENTER)
                    .ifPresent(
                            run ->
                                    out.printf(
                                            Locale.ROOT,
                                            "%s: %s%s.%n",
                                            subject,
                                            String.join(" + ", described(c, run.members())),
                                            run.members().size() > 1
                                                    ? ", equal weights, every member on the same"
                                                            + " scheme"
                                                    : ""));
        }
        if (c.skipped() != null) {
            out.println("No ensemble runs: " + c.skipped() + ".");
        }
        out.println();
        Table table =
                new Table(
                        "run",
                        "members",
                        "scheme",
                        "crops/image",
                        "images",
                        "seconds",
                        "images/s",
                        "crops/s",
                        "crops/s vs center");
        for (CropResults.Run run : c.runs()) {
            WorkerRun.Result result = run.result();
            table.row(
                    run.subject(),
                    run.members().size(),
                    run.scheme().id(),
                    run.cropsPerImage(),
                    result.images(),
                    f("%.1f", result.seconds()),
                    f("%.2f", run.imagesPerSecond()),
                    f("%.1f", run.cropsPerSecond()),
                    f("%.2f", c.ratioToCenter(run)));
        }
        out.print(table);
        out.println();
        List<String> alone = new ArrayList<>();
        for (CropResults.Model m : c.models()) {
            alone.add(
                    m.otherCores() >= BUSY_MACHINE_CORES
                            ? f(
                                    "%s %.1f (other processes: %.1f cores)",
                                    m.name(), m.cropsPerSecondAlone(), m.otherCores())
                            : f("%s %.1f", m.name(), m.cropsPerSecondAlone()));
        }
        out.printf(
                Locale.ROOT,
                "The models alone, batch %d (preprocessed input, nothing else of Fovea running), in"
                        + " crops/s:"
                        + " %s.",
                c.maxBatchSize(),
                String.join(", ", alone));
        c.run(CropResults.ENSEMBLE, CropScheme.CENTER)
                .ifPresent(
                        run ->
                                out.printf(
                                        Locale.ROOT,
                                        " The ensemble's members in turn: %.1f crops/s.",
                                        c.ceilingCropsPerSecond(run.members())));
        out.printf("%n%n");

        out.println(
                "Where the time went: per image, medians in ms (queue and inference: the longest of"
                        + " its crops); the batches; the cores this JVM and other processes kept"
                        + " busy, and crops per CPU second of this JVM:");
        out.println();
        Table inside =
                new Table(
                        "run",
                        "scheme",
                        "decode",
                        "queue",
                        "inference",
                        "in worker",
                        "end to end",
                        "mean batch",
                        "JVM cores",
                        "other cores",
                        "crops per CPU s",
                        "vs center");
        for (CropResults.Run run : c.runs()) {
            Batches batches = run.result().batches();
            inside.row(
                    run.subject(),
                    run.scheme().id(),
                    f("%.0f", run.medianMs(WorkerRun.ImageTiming::decodeMs)),
                    f("%.0f", run.medianMs(WorkerRun.ImageTiming::queueMs)),
                    f("%.0f", run.medianMs(WorkerRun.ImageTiming::inferenceMs)),
                    f("%.0f", run.medianMs(WorkerRun.ImageTiming::workerMs)),
                    f("%.0f", run.medianMs(WorkerRun.ImageTiming::latencyMs)),
                    batches == null ? "" : f("%.1f", batches.meanSize()),
                    f("%.2f", run.ownCores()),
                    f("%.2f", run.otherCores()),
                    f("%.1f", run.cropsPerCpuSecond()),
                    f("%.2f", c.cpuRatioToCenter(run)));
        }
        out.print(inside);
        out.println();
        if (c.maxOtherCores() >= BUSY_MACHINE_CORES) {
            out.printf(
                    Locale.ROOT,
                    "Other processes kept up to %.1f of the %d cores busy during these runs:"
                        + " crops/s are low and their ratios as noisy as that load; crops per CPU"
                        + " second are the steadier comparison.%n%n",
                    c.maxOtherCores(),
                    r.cores());
        }
    }

    private static List<String> described(CropResults c, List<String> members) {
        List<String> described = new ArrayList<>();
        for (String name : members) {
            c.models().stream()
                    .filter(m -> m.name().equals(name))
                    .findFirst()
                    .ifPresent(m -> described.add(m.name() + " (" + m.inputSize() + " px)"));
        }
        return described;
    }

    /**
     * What {@code ./fovea bench --only-hostile} prints: the hostile-input section, then its figures
     * as the key=value line.
     */
    public static void printHostileOnly(
            String model, HostileBenchmark.Result hostile, PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "## Fovea bench, hostile input only: %s%n%n", model);
        hostile.print(out);
        out.printf(
                Locale.ROOT,
                "hostile_clean_per_s=%.2f hostile_valid_per_s=%.2f hostile_throughput_ratio=%.3f%n",
                hostile.cleanPerSecond(),
                hostile.hostilePerSecond(),
                hostile.ratio());
    }

    private void printLimit(PrintStream out) {
        out.println("### Limit: decode + preprocessing + model, no Kafka");
        out.println();
        Table table =
                new Table(
                        "batch size",
                        "decode threads",
                        "images",
                        "images/s",
                        "model ms/batch (in pipeline)",
                        "model alone ms/batch",
                        "model alone images/s");
        for (LimitBenchmark.Point p : r.limit()) {
            Double alone = r.modelAloneMillis().get(p.batchSize());
            table.row(
                    p.batchSize(),
                    p.decodeThreads(),
                    p.images(),
                    f("%.1f", p.imagesPerSecond()),
                    f("%.1f", p.modelMillisPerBatch()),
                    alone == null ? "" : f("%.1f", alone),
                    alone == null ? "" : f("%.1f", p.batchSize() * 1000 / alone));
        }
        out.print(table);
        LimitBenchmark.Point best = r.bestLimit();
        out.printf(
                Locale.ROOT,
                "%nLimit: %.1f images/s (batch %d, %d decode threads).%n%n",
                best.imagesPerSecond(),
                best.batchSize(),
                best.decodeThreads());
    }

    private void printThroughput(PrintStream out) {
        out.printf(
                Locale.ROOT,
                "### End to end through Kafka: %d images per run, %d partitions%n%n",
                r.endToEnd().images(),
                r.partitions());
        Table table =
                new Table(
                        "stream threads",
                        "batched images/s (max batch " + r.maxBatchSize() + ")",
                        "mean batch",
                        "mean queue ms",
                        "baseline images/s (batch 1)",
                        "gain");
        for (WorkerRun.Result b : r.batched()) {
            WorkerRun.Result base =
                    r.baseline().stream()
                            .filter(x -> x.threads() == b.threads())
                            .findFirst()
                            .orElse(null);
            table.row(
                    b.threads() + (b.threads() == r.threads() ? " (best)" : ""),
                    f("%.1f", b.imagesPerSecond()),
                    b.batches() == null ? "" : f("%.2f", b.batches().meanSize()),
                    b.batches() == null ? "" : f("%.1f", b.batches().meanQueueWaitMillis()),
                    base == null ? "" : f("%.1f", base.imagesPerSecond()),
                    base == null ? "" : f("%.2fx", b.imagesPerSecond() / base.imagesPerSecond()));
        }
        out.print(table);
        out.println();
    }

    private void printLatency(PrintStream out) {
        out.printf(
                Locale.ROOT,
                "### Latency at a fixed rate, %d stream threads (steady window: the last %d%% of"
                        + " each run)%n%n",
                r.threads(),
                100 - LatencyProbe.SETTLE_PERCENT);
        Table table =
                new Table(
                        "load",
                        "rate/s",
                        "images",
                        "p50 ms",
                        "p95 ms",
                        "p99 ms",
                        "max ms",
                        "in worker p50 ms",
                        "in worker p99 ms",
                        "queue p99 ms",
                        "mean batch");
        for (LatencyProbe.Level level : r.latency()) {
            double[] e2e = level.latenciesMs();
            double[] worker = level.workerMs();
            double[] queue = level.queueMs();
            table.row(
                    level.label(),
                    f("%.1f", level.ratePerSecond()),
                    e2e.length,
                    f("%.0f", LatencyProbe.percentile(e2e, 50)),
                    f("%.0f", LatencyProbe.percentile(e2e, 95)),
                    f("%.0f", LatencyProbe.percentile(e2e, 99)),
                    f("%.0f", e2e[e2e.length - 1]),
                    f("%.0f", LatencyProbe.percentile(worker, 50)),
                    f("%.0f", LatencyProbe.percentile(worker, 99)),
                    f("%.1f", LatencyProbe.percentile(queue, 99)),
                    level.run().batches() == null
                            ? ""
                            : f("%.2f", level.run().batches().meanSize()));
        }
        out.print(table);
        out.println();
    }

    private void printBatches(PrintStream out) {
        Map<String, Batches> runs = r.batchedRuns();
        out.printf(
                Locale.ROOT,
                "### Batch sizes that ran (batches of each size; burst: %d stream threads, loadNN:"
                        + " NN%% of its throughput)%n%n",
                r.threads());
        List<String> header = new ArrayList<>(List.of("batch size"));
        header.addAll(runs.keySet());
        Table table = new Table(header.toArray(String[]::new));
        for (int size = 1; size <= r.maxBatchSize(); size++) {
            List<Object> row = new ArrayList<>(List.of(size));
            boolean any = false;
            for (Batches b : runs.values()) {
                long count = size < b.sizes().length ? b.sizes()[size] : 0;
                any |= count > 0;
                row.add(count);
            }
            if (any) {
                table.row(row.toArray());
            }
        }
        List<Object> mean = new ArrayList<>(List.of("mean"));
        for (Batches b : runs.values()) {
            mean.add(f("%.2f", b.meanSize()));
        }
        table.row(mean.toArray());
        out.print(table);
        out.println();
    }

    private void printTargets(PrintStream out) {
        out.println("### Targets");
        out.println();
        Table table = new Table("target", "measured", "needed", "met");
        for (BenchResults.Target t : r.targets()) {
            table.row(t.name(), t.measured(), t.bound(), t.met() ? "yes" : "NO");
        }
        out.print(table);
        out.println();
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** A Markdown table: the first column left-aligned, the others right-aligned. */
    static final class Table {
        private final String[] header;
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            this.header = header;
        }

        void row(Object... cells) {
            String[] row = new String[header.length];
            for (int i = 0; i < header.length; i++) {
                row[i] = i < cells.length && cells[i] != null ? cells[i].toString() : "";
            }
            rows.add(row);
        }

        @Override
        public String toString() {
            StringBuilder out = new StringBuilder();
            out.append("| ").append(String.join(" | ", header)).append(" |\n|");
            for (int i = 0; i < header.length; i++) {
                out.append(i == 0 ? "---|" : "---:|");
            }
            out.append('\n');
            for (String[] row : rows) {
                out.append("| ").append(String.join(" | ", row)).append(" |\n");
            }
            return out.toString();
        }
    }
}
