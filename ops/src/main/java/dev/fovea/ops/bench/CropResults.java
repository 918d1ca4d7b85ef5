package dev.fovea.ops.bench;

import dev.fovea.topology.crops.CropScheme;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * What the crops phase of {@code ./fovea bench} measured ({@link CropBenchmark}), and the figures
 * derived from it: crops/s of each scheme against {@code center} on the same members.
 *
 * @param threads the stream threads of every run
 * @param threadsReason why that many, for the report
 * @param models each model of the runs alone, once each
 * @param runs one per subject and scheme, single model first
 * @param skipped why the ensemble did not run, or null when it did
 */
public record CropResults(
        int threads,
        String threadsReason,
        int maxBatchSize,
        List<Model> models,
        List<Run> runs,
        String skipped) {

    /** The subject of the single-model runs. */
    public static final String SINGLE = "single";

    /** The subject of the ensemble runs. */
    public static final String ENSEMBLE = "ensemble";

    /** The target's bound: crops/s with {@code 10crop} over crops/s with {@code center}. */
    static final double TARGET = 0.9;

    public CropResults {
        models = List.copyOf(models);
        runs = List.copyOf(runs);
    }

    /**
     * One model on its own: the SavedModel on full batches of preprocessed input, nothing else of
     * this JVM running.
     *
     * @param otherCores the cores other processes kept busy meanwhile; NaN where unknown
     */
    public record Model(
            String name, int inputSize, double cropsPerSecondAlone, double otherCores) {}

    /**
     * One worker run: a subject (single model or ensemble) with every member on {@code scheme}.
     *
     * @param cropsPerImage the crops of one image over every member
     * @param ownCores the cores this JVM (worker, broker, producer and reader) kept busy meanwhile,
     *     on average; NaN where unknown
     * @param otherCores the cores other processes on this machine kept busy meanwhile, on average;
     *     NaN where unknown
     */
    public record Run(
            String subject,
            List<String> members,
            CropScheme scheme,
            int cropsPerImage,
            WorkerRun.Result result,
            double ownCores,
            double otherCores) {
        public Run {
            members = List.copyOf(members);
        }

        public double imagesPerSecond() {
            return result.imagesPerSecond();
        }

        public double cropsPerSecond() {
            return imagesPerSecond() * cropsPerImage;
        }

        /**
         * Crops per CPU second this JVM spent: what a crop costs, whatever share of the machine
         * other processes left to this one.
         */
        public double cropsPerCpuSecond() {
            return cropsPerSecond() / ownCores;
        }

        /** The median over this run's images of one of their timings, in ms. */
        public double medianMs(ToDoubleFunction<WorkerRun.ImageTiming> timing) {
            return LatencyProbe.percentile(
                    result.timings().stream().mapToDouble(timing).sorted().toArray(), 50);
        }
    }

    /** The run of {@code subject} on {@code scheme}, if it ran. */
    public Optional<Run> run(String subject, CropScheme scheme) {
        return runs.stream()
                .filter(r -> r.subject().equals(subject) && r.scheme() == scheme)
                .findFirst();
    }

    /** Crops/s of {@code run} over crops/s of its subject's {@code center} run; NaN without one. */
    public double ratioToCenter(Run run) {
        return run(run.subject(), CropScheme.CENTER)
                .map(center -> run.cropsPerSecond() / center.cropsPerSecond())
                .orElse(Double.NaN);
    }

    /** {@link #ratioToCenter} in crops per CPU second instead of crops/s. */
    public double cpuRatioToCenter(Run run) {
        return run(run.subject(), CropScheme.CENTER)
                .map(center -> run.cropsPerCpuSecond() / center.cropsPerCpuSecond())
                .orElse(Double.NaN);
    }

    /**
     * Crops/s with {@code 10crop} over crops/s with {@code center} for {@code subject}: what
     * cutting and averaging crops cost, as a share of the model's work; NaN if either did not run.
     */
    public double efficiency(String subject) {
        return run(subject, CropScheme.TEN_CROP).map(this::ratioToCenter).orElse(Double.NaN);
    }

    /** The most cores other processes kept busy during any run; NaN where unknown. */
    public double maxOtherCores() {
        return runs.stream().mapToDouble(Run::otherCores).max().orElse(Double.NaN);
    }

    public boolean ensembleRan() {
        return run(ENSEMBLE, CropScheme.CENTER).isPresent();
    }

    /**
     * The model alone on one crop of every member in turn, in crops/s of all members together: the
     * most a worker could do here with no decode, cropping or Kafka at all.
     */
    public double ceilingCropsPerSecond(List<String> members) {
        return CropBenchmark.expectedCropsPerSecond(
                members.stream()
                        .map(
                                name ->
                                        models.stream()
                                                .filter(m -> m.name().equals(name))
                                                .findFirst()
                                                .orElseThrow()
                                                .cropsPerSecondAlone())
                        .toList());
    }

    /** The crops target for the single model, and the same figure for the ensemble if it ran. */
    public List<BenchResults.Target> targets() {
        List<BenchResults.Target> targets = new ArrayList<>();
        targets.add(
                target(
                        SINGLE,
                        "crops/s with 10crop >= 0.9 x crops/s with center (cropping and averaging"
                                + " cost under 10%)"));
        if (ensembleRan()) {
            targets.add(target(ENSEMBLE, "the same, for the 3-member ensemble"));
        }
        return targets;
    }

    private BenchResults.Target target(String subject, String name) {
        double ten = run(subject, CropScheme.TEN_CROP).map(Run::cropsPerSecond).orElse(Double.NaN);
        double center = run(subject, CropScheme.CENTER).map(Run::cropsPerSecond).orElse(Double.NaN);
        return new BenchResults.Target(
                name,
                String.format(
                        Locale.ROOT, "%.1f crops/s (%.2f x center)", ten, efficiency(subject)),
                String.format(
                        Locale.ROOT,
                        ">= %.1f x %.1f = %.1f crops/s",
                        TARGET,
                        center,
                        TARGET * center),
                ten >= TARGET * center);
    }

    /**
     * The crops phase's part of the last line: {@code crop_efficiency} (the single model), then
     * {@code ensemble_crop_efficiency} if the ensemble ran.
     */
    public String keyValues() {
        String single = String.format(Locale.ROOT, "crop_efficiency=%.3f", efficiency(SINGLE));
        return ensembleRan()
                ? single
                        + String.format(
                                Locale.ROOT, " ensemble_crop_efficiency=%.3f", efficiency(ENSEMBLE))
                : single;
    }
}
