package dev.fovea.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LocalWorkersTest {
    private static final String PAGE =
            String.join(
                    "\n",
                    "# TYPE fovea_images_in_total counter",
                    "fovea_images_in_total 120",
                    "fovea_dead_letters_total{reason=\"INVALID_RECORD\"} 3",
                    "fovea_dead_letters_total{reason=\"UNDECODABLE_IMAGE\"} 4",
                    "fovea_consumer_lag{topic=\"images.raw\",partition=\"0\"} 10",
                    "fovea_consumer_lag{topic=\"images.raw\",partition=\"2\"} 5",
                    "fovea_images_in_total_other 9");

    @Test
    void shouldReadAnUnlabelledSampleAndNothingThatMerelyStartsLikeIt() {
        assertEquals(120, LocalWorkers.metric(PAGE, "fovea_images_in_total"));
        assertTrue(Double.isNaN(LocalWorkers.metric(PAGE, "fovea_predictions_total")));
    }

    @Test
    void shouldSumEverySampleOfALabelledMetric() {
        assertEquals(7, LocalWorkers.sum(PAGE, "fovea_dead_letters_total"));
        assertEquals(15, LocalWorkers.sum(PAGE, "fovea_consumer_lag"));
        assertEquals(0, LocalWorkers.sum("", "fovea_consumer_lag"));
    }
}
