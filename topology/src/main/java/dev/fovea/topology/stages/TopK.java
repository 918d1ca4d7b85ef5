package dev.fovea.topology.stages;

import java.util.Arrays;

/** The indices of the k largest values, best first; ties go to the lower index. */
final class TopK {
    private TopK() {}

    static int[] indices(float[] values, int k) {
        int n = Math.min(k, values.length);
        int[] best = new int[n];
        int filled = 0;
        // Insertion into a k-long sorted prefix: O(classes x k) with k tiny, and no boxing or sort.
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (filled == n && !(v > values[best[n - 1]])) {
                continue;
            }
            int at = Math.min(filled, n - 1);
            while (at > 0 && v > values[best[at - 1]]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
            filled = Math.min(filled + 1, n);
        }
        return Arrays.copyOf(best, filled);
    }
}
