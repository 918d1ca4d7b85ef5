package dev.fovea.topology.stages;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class TopKTest {
    @Test
    void shouldReturnTheLargestValuesBestFirst() {
        float[] p = {0.1f, 0.4f, 0.05f, 0.3f, 0.15f};
        assertArrayEquals(new int[] {1, 3, 4}, TopK.indices(p, 3));
    }

    @Test
    void shouldBreakTiesByLowerIndex() {
        float[] p = {0.2f, 0.3f, 0.2f, 0.3f};
        assertArrayEquals(new int[] {1, 3, 0, 2}, TopK.indices(p, 4));
    }

    @Test
    void shouldReturnAllClassesWhenKExceedsThem() {
        float[] p = {0.7f, 0.3f};
        assertArrayEquals(new int[] {0, 1}, TopK.indices(p, 5));
    }

    @Test
    void shouldFindTheBestAtTheEndOfALongVector() {
        float[] p = new float[1000];
        p[999] = 0.9f;
        p[500] = 0.05f;
        p[0] = 0.01f;
        assertArrayEquals(new int[] {999, 500, 0}, TopK.indices(p, 3));
    }
}
