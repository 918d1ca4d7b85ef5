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
 * @param inferenceMicros batches by the time the model took to run them, in the buckets of {@code
 *     queueWaitMicros}
 * @param totalInferenceNanos the sum of those times
 */
public record BatcherStats(
        long[] batchSizes,
        long[] queueWaitMicros,
        long inputs,
        long totalQueueWaitNanos,
        long maxQueueWaitNanos,
        long[] inferenceMicros,
        long totalInferenceNanos) {

    /** Stats without inference times, as benchmarks' summaries read them. */
    public BatcherStats(
            long[] batchSizes,
            long[] queueWaitMicros,
            long inputs,
            long totalQueueWaitNanos,
            long maxQueueWaitNanos) {
        this(
                batchSizes,
                queueWaitMicros,
                inputs,
                totalQueueWaitNanos,
                maxQueueWaitNanos,
                new long[0],
                0);
    }

    /**
     * The bucket of {@code queueWaitMicros} or {@code inferenceMicros} that {@code nanos} is in.
     */
    public static int microsBucket(long nanos, int buckets) {
        long micros = nanos / 1000;
        int bucket = micros <= 0 ? 0 : 64 - Long.numberOfLeadingZeros(micros);
        return Math.min(bucket, buckets - 1);
    }

    /**
     * Several batchers' stats as one: what the models of an ensemble have run together, batch by
     * batch (the histograms add up; the longest wait is the longest of any).
     */
    public static BatcherStats sum(Collection<BatcherStats> all) {
        int sizes = all.stream().mapToInt(s -> s.batchSizes.length).max().orElse(0);
        int waits = all.stream().mapToInt(s -> s.queueWaitMicros.length).max().orElse(0);
        int runs = all.stream().mapToInt(s -> s.inferenceMicros.length).max().orElse(0);
        long[] batchSizes = new long[sizes];
        long[] queueWaitMicros = new long[waits];
        long[] inferenceMicros = new long[runs];
        long inputs = 0;
        long total = 0;
        long max = 0;
        long inference = 0;
        for (BatcherStats s : all) {
            add(batchSizes, s.batchSizes);
            add(queueWaitMicros, s.queueWaitMicros);
            add(inferenceMicros, s.inferenceMicros);
            inputs += s.inputs;
            total += s.totalQueueWaitNanos;
            max = Math.max(max, s.maxQueueWaitNanos);
            inference += s.totalInferenceNanos;
        }
        return new BatcherStats(
                batchSizes, queueWaitMicros, inputs, total, max, inferenceMicros, inference);
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
