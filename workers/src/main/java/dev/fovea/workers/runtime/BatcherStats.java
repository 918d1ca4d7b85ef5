package dev.fovea.workers.runtime;

import java.util.Collection;

/**
 * What a {@link DynamicBatcher} has run so far.
 *
 * @param batchSizes {@code batchSizes[n]} is the number of batches of {@code n} inputs
 * @param queueWaitMicros inputs by the time they waited to be taken into a batch: {@code
 *     queueWaitMicros[i]} counts waits in {@code [2^(i-1), 2^i)} microseconds ({@code [0, 1)} for
 *     {@code i = 0})
 * @param inputs every input taken into a batch
 * @param totalQueueWaitNanos the sum of those waits
 * @param maxQueueWaitNanos the longest
 */
public record BatcherStats(
        long[] batchSizes,
        long[] queueWaitMicros,
        long inputs,
        long totalQueueWaitNanos,
        long maxQueueWaitNanos) {

    /**
     * Several batchers' stats as one: what the models of an ensemble have run together, batch by
     * batch (the histograms add up; the longest wait is the longest of any).
     */
    public static BatcherStats sum(Collection<BatcherStats> all) {
        int sizes = all.stream().mapToInt(s -> s.batchSizes.length).max().orElse(0);
        int waits = all.stream().mapToInt(s -> s.queueWaitMicros.length).max().orElse(0);
        long[] batchSizes = new long[sizes];
        long[] queueWaitMicros = new long[waits];
        long inputs = 0;
        long total = 0;
        long max = 0;
        for (BatcherStats s : all) {
            add(batchSizes, s.batchSizes);
            add(queueWaitMicros, s.queueWaitMicros);
            inputs += s.inputs;
            total += s.totalQueueWaitNanos;
            max = Math.max(max, s.maxQueueWaitNanos);
        }
        return new BatcherStats(batchSizes, queueWaitMicros, inputs, total, max);
    }

    private static void add(long[] into, long[] values) {
        for (int i = 0; i < values.length; i++) {
            into[i] += values[i];
        }
    }

    /** The mean number of inputs per batch, or 0 before the first batch. */
    public double meanBatchSize() {
        long batches = 0;
        for (long count : batchSizes) {
            batches += count;
        }
        return batches == 0 ? 0 : (double) inputs / batches;
    }
}
