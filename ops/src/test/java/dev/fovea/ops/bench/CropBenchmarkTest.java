package dev.fovea.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.topology.crops.CropScheme;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

class CropBenchmarkTest {

    @Test
    void shouldCountEveryCropOfEveryMember() {
        assertEquals(1, CropBenchmark.cropsPerImage(CropScheme.CENTER, 1));
        assertEquals(3, CropBenchmark.cropsPerImage(CropScheme.CENTER, 3));
        assertEquals(10, CropBenchmark.cropsPerImage(CropScheme.TEN_CROP, 1));
        assertEquals(30, CropBenchmark.cropsPerImage(CropScheme.TEN_CROP, 3));
        assertEquals(144, CropBenchmark.cropsPerImage(CropScheme.GOOGLENET_144, 1));
        assertEquals(432, CropBenchmark.cropsPerImage(CropScheme.GOOGLENET_144, 3));
        assertThrows(
                IllegalArgumentException.class,
                () -> CropBenchmark.cropsPerImage(CropScheme.CENTER, 0));
    }

    @Test
    void shouldCombineMembersRatesAsEachImageGoesThroughEveryOne() {
        assertEquals(16.0, CropBenchmark.expectedCropsPerSecond(List.of(16.0)), 1e-12);
        // 1/10 + 1/40 + 1/40 = 0.15 s for one crop of each: 3 crops in 0.15 s.
        assertEquals(20.0, CropBenchmark.expectedCropsPerSecond(List.of(10.0, 40.0, 40.0)), 1e-9);
        assertThrows(
                IllegalArgumentException.class,
                () -> CropBenchmark.expectedCropsPerSecond(List.of()));
        assertThrows(
                IllegalArgumentException.class,
                () -> CropBenchmark.expectedCropsPerSecond(List.of(10.0, 0.0)));
    }

    @Test
    void shouldSizeARunByTimeInWholeRoundsOfStreamThreads() {
        Duration twenty = Duration.ofSeconds(20);
        // 20 s x 16 crops/s = 320 crops: 320 centre crops, a multiple of 4 threads already.
        assertEquals(320, CropBenchmark.imagesFor(twenty, 16, 1, 4, 0));
        // 32 images of 10 crops.
        assertEquals(32, CropBenchmark.imagesFor(twenty, 16, 10, 4, 0));
        // 33 images, rounded down to 32 so that each of 4 partitions gets 8.
        assertEquals(32, CropBenchmark.imagesFor(twenty, 16.5, 10, 4, 0));
        // 2.2 images of 144 crops: fewer than the threads, kept as they are.
        assertEquals(2, CropBenchmark.imagesFor(twenty, 16, 144, 4, 0));
        // Longer than the run for a single image: still one.
        assertEquals(1, CropBenchmark.imagesFor(Duration.ofSeconds(8), 12, 432, 4, 0));
    }

    @Test
    void shouldNotShrinkARunBelowItsFloorOfCropsWhenTheRateWasMeasuredLow() {
        Duration eight = Duration.ofSeconds(8);
        // 8 s at 2.4 crops/s would be 19 images; the floor of 128 crops keeps 128.
        assertEquals(128, CropBenchmark.imagesFor(eight, 2.4, 1, 16, 128));
        // 13 images of 10 crops: fewer than 16 threads, kept.
        assertEquals(13, CropBenchmark.imagesFor(eight, 2.4, 10, 16, 128));
        // A single image already has more crops than the floor.
        assertEquals(1, CropBenchmark.imagesFor(eight, 2.4, 432, 16, 384));
    }

    @Test
    void shouldWarmUpOnlyWithImagesThatFitTheWarmUp() {
        Duration four = Duration.ofSeconds(4);
        assertEquals(64, CropBenchmark.warmUpImages(four, 16, 1, 16));
        assertEquals(6, CropBenchmark.warmUpImages(four, 16, 10, 16));
        assertEquals(0, CropBenchmark.warmUpImages(four, 16, 144, 16));
        // At a rate measured low, still a full batch of each member: 16 x 3 crops.
        assertEquals(16, CropBenchmark.warmUpImages(four, 2, 3, 48));
        assertEquals(2, CropBenchmark.warmUpImages(four, 2, 30, 48));
        assertEquals(0, CropBenchmark.warmUpImages(four, 2, 432, 48));
    }
}
