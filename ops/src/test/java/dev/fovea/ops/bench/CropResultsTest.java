package dev.fovea.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.topology.crops.CropScheme;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

class CropResultsTest {
    @TempDir Path tmp;

    private static final List<String> ENSEMBLE = List.of("big", "small", "mid");

    @Test
    void shouldCompareCropsPerSecondWithTheSameMembersCentreRun() {
        CropResults results = results(true);
        CropResults.Run ten = results.run(CropResults.SINGLE, CropScheme.TEN_CROP).orElseThrow();

        // 4 images in 2.5 s = 1.6 images/s of 10 crops.
        assertEquals(1.6, ten.imagesPerSecond(), 1e-9);
        assertEquals(16.0, ten.cropsPerSecond(), 1e-9);
        // Against 40 centre images in 2.5 s: 16 crops/s.
        assertEquals(1.0, results.ratioToCenter(ten), 1e-9);
        assertEquals(1.0, results.efficiency(CropResults.SINGLE), 1e-9);
        // Ensemble: 30 crops x 1 image/s = 30 crops/s against 3 x 12 = 36.
        assertEquals(30.0 / 36, results.efficiency(CropResults.ENSEMBLE), 1e-9);
    }

    @Test
    void shouldMeetTheTargetAtNinetyPercentOfCentreAndReportTheEnsembleToo() {
        List<BenchResults.Target> targets = results(true).targets();

        assertEquals(2, targets.size());
        assertTrue(targets.get(0).met());
        assertEquals("16.0 crops/s (1.00 x center)", targets.get(0).measured());
        assertEquals(">= 0.9 x 16.0 = 14.4 crops/s", targets.get(0).bound());
        assertFalse(targets.get(1).met(), "30 crops/s is under 0.9 x 36");
    }

    @Test
    void shouldEndTheLastLineWithTheCropEfficienciesAfterTheExistingKeys() {
        assertEquals(
                "crop_efficiency=1.000 ensemble_crop_efficiency=0.833", results(true).keyValues());
        assertEquals("crop_efficiency=1.000", results(false).keyValues());

        BenchResults onlyCrops = bench(results(false));
        assertFalse(onlyCrops.hasEndToEnd());
        assertEquals("crop_efficiency=1.000", onlyCrops.keyValues());
        assertEquals(1, onlyCrops.targets().size());
    }

    @Test
    void shouldCombineTheModelsAloneIntoTheEnsemblesCeiling() {
        // 1/16 + 1/64 + 1/64 = 3/32 s for one crop of each: 32 crops/s.
        assertEquals(32.0, results(true).ceilingCropsPerSecond(ENSEMBLE), 1e-9);
    }

    @Test
    void shouldWriteOneCsvRowPerRunAndTheSummaryWithTheCropKeys() throws IOException {
        new BenchCsv(bench(results(true))).write(tmp);

        List<String> crops = Files.readAllLines(tmp.resolve("crops.csv"));
        assertEquals(7, crops.size());
        assertTrue(
                crops.get(0)
                        .startsWith(
                                "run,members,scheme,crops_per_image,threads,max_batch_size,"
                                        + "images,seconds,images_per_s,crops_per_s,"
                                        + "crops_per_s_vs_center,mean_batch_size,"));
        assertEquals(
                "single,big,10crop,10,4,16,4,2.5,1.6,16,1,1,5,6,7,8,9,1.5,0.5,10.667,1.333",
                crops.get(2));
        assertEquals(
                "ensemble,big+small+mid,10crop,30,4,16,1,1,1,30,0.833,1,5,6,7,8,9,1.5,0.5,20,1.111",
                crops.get(5));
        assertEquals(
                List.of(
                        "model,input_size,batch_size,crops_per_s_alone,other_processes_cores",
                        "big,299,16,16,0",
                        "small,224,16,64,0",
                        "mid,224,16,64,1"),
                Files.readAllLines(tmp.resolve("crop-models.csv")));
        assertEquals(
                List.of("key,value", "crop_efficiency,1.000", "ensemble_crop_efficiency,0.833"),
                Files.readAllLines(tmp.resolve("summary.csv")));
        assertFalse(Files.exists(tmp.resolve("threads.csv")), "no end-to-end runs, no file");
    }

    @Test
    void shouldPrintOnlyTheCropsPhaseAndEndWithTheKeyValueLine() throws IOException {
        Path photo = Files.write(tmp.resolve("a.jpg"), new byte[2048]);
        BenchResults only = bench(results(true), Workload.read(List.of(photo)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new BenchReport(only).print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

        assertTrue(
                lines.contains("## Fovea bench, crops only: 2 cores, 1 photographs (mean 2 KB)"));
        assertTrue(lines.contains("| single | 1 | 10crop | 10 | 4 | 2.5 | 1.60 | 16.0 | 1.00 |"));
        assertTrue(
                lines.contains("| ensemble | 3 | 144crop | 432 | 1 | 15.0 | 0.07 | 28.8 | 0.80 |"));
        // 16 crops/s on 1.5 cores against 16 on 2.0: a third more crops per CPU second.
        assertTrue(
                lines.contains(
                        "| single | 10crop | 5 | 6 | 7 | 8 | 9 | 1.0 | 1.50 | 0.50 | 10.7 | 1.33"
                                + " |"));
        assertTrue(
                lines.stream().anyMatch(l -> l.startsWith("Other processes kept up to 0.5 of")),
                "a busy machine is pointed out");
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("### Limit")));
        assertEquals(
                "crop_efficiency=1.000 ensemble_crop_efficiency=0.833",
                lines.get(lines.size() - 1));
    }

    @Test
    void shouldKeepTheEndToEndKeysFirstAndAppendTheCropKeys() throws IOException {
        Path photo = Files.write(tmp.resolve("a.jpg"), new byte[2048]);
        WorkerRun.Result burst =
                run(CropResults.SINGLE, List.of("big"), CropScheme.CENTER, 96, 3).result();
        WorkerRun.Result baseline =
                new WorkerRun.Result("baseline", 4, 1, 96, 4.0, burst.timings(), null);
        BenchResults full =
                new BenchResults(
                        "big",
                        299,
                        2,
                        Workload.read(List.of(photo)),
                        4,
                        16,
                        5,
                        List.of(new LimitBenchmark.Point(16, 2, 96, 2.0, 48.0, 300.0)),
                        new TreeMap<>(Map.of(16, 320.0)),
                        List.of(burst),
                        List.of(baseline),
                        4,
                        List.of(
                                new LatencyProbe.Level(0.5, 16, burst, burst.timings()),
                                new LatencyProbe.Level(0.9, 28, burst, burst.timings())),
                        null,
                        results(true));

        assertEquals(
                "e2e_per_s=32.00 limit_per_s=48.00 efficiency=0.667 baseline_per_s=24.00"
                        + " batching_gain=1.333 p99_ms_at_50=9.0 p99_ms_at_90=9.0"
                        + " max_queue_delay_ms=5 batch_ms=320.0"
                        + " crop_efficiency=1.000 ensemble_crop_efficiency=0.833",
                full.keyValues());
        assertEquals(5, full.targets().size());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new BenchReport(full).print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.contains("### Limit: decode + preprocessing + model, no Kafka"));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("### Crop schemes and ensemble")));
        assertEquals(full.keyValues(), lines.get(lines.size() - 1));
    }

    @Test
    void shouldPlotCropsPerSecondBySchemeAlone() throws IOException {
        List<Path> written = new BenchPlots(bench(results(true))).write(tmp);

        assertEquals(List.of(tmp.resolve("crops-by-scheme.png")), written);
        assertTrue(Files.size(written.get(0)) > 1000);
    }

    private static CropResults results(boolean ensemble) {
        List<CropResults.Run> runs = new ArrayList<>();
        runs.add(run(CropResults.SINGLE, List.of("big"), CropScheme.CENTER, 40, 2.5));
        runs.add(run(CropResults.SINGLE, List.of("big"), CropScheme.TEN_CROP, 4, 2.5));
        runs.add(run(CropResults.SINGLE, List.of("big"), CropScheme.GOOGLENET_144, 1, 10));
        if (ensemble) {
            runs.add(run(CropResults.ENSEMBLE, ENSEMBLE, CropScheme.CENTER, 12, 1));
            runs.add(run(CropResults.ENSEMBLE, ENSEMBLE, CropScheme.TEN_CROP, 1, 1));
            runs.add(run(CropResults.ENSEMBLE, ENSEMBLE, CropScheme.GOOGLENET_144, 1, 15));
        }
        return new CropResults(
                4,
                "fixed",
                16,
                List.of(
                        new CropResults.Model("big", 299, 16, 0.0),
                        new CropResults.Model("small", 224, 64, 0.0),
                        new CropResults.Model("mid", 224, 64, 1.0)),
                runs,
                ensemble ? null : "no npm");
    }

    private static CropResults.Run run(
            String subject, List<String> members, CropScheme scheme, int images, double seconds) {
        List<WorkerRun.ImageTiming> timings = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            timings.add(new WorkerRun.ImageTiming("img-" + i, 9, 5, 6, 7, 8));
        }
        long[] sizes = {0, images};
        Batches batches = new Batches(sizes, new long[1], images, 0);
        return new CropResults.Run(
                subject,
                members,
                scheme,
                CropBenchmark.cropsPerImage(scheme, members.size()),
                new WorkerRun.Result(subject, 4, 16, images, seconds, timings, batches),
                scheme == CropScheme.CENTER ? 2.0 : 1.5,
                0.5);
    }

    private static BenchResults bench(CropResults crops) {
        return bench(crops, null);
    }

    private static BenchResults bench(CropResults crops, Workload workload) {
        return new BenchResults(
                null,
                0,
                2,
                workload,
                4,
                16,
                5,
                List.of(),
                new TreeMap<>(Map.of()),
                List.of(),
                List.of(),
                0,
                List.of(),
                null,
                crops);
    }
}
