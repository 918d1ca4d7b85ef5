package dev.fovea.workers.observe;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram with fixed buckets, updated from many threads without a lock. */
public final class Histogram {
    /** Seconds from a millisecond to ten seconds, the range of decoding an image. */
    public static final double[] SECONDS = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
    };

    private final double[] upperBounds;
    private final LongAdder[] buckets;
    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();

    public Histogram(double[] upperBounds) {
        this.upperBounds = upperBounds.clone();
        this.buckets = new LongAdder[upperBounds.length];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    public void observe(double value) {
        for (int i = 0; i < upperBounds.length; i++) {
            if (value <= upperBounds[i]) {
                buckets[i].increment();
                break;
            }
        }
        count.increment();
        sum.add(value);
    }

    /** Writes this histogram's samples; the count is read first, so buckets never exceed it. */
    void writeTo(PrometheusText text, String name, java.util.Map<String, String> labels) {
        long total = count.sum();
        double s = sum.sum();
        long[] cumulative = new long[upperBounds.length];
        long running = 0;
        for (int i = 0; i < upperBounds.length; i++) {
            running += buckets[i].sum();
            cumulative[i] = Math.min(running, total);
        }
        text.histogram(name, labels, upperBounds, cumulative, total, s);
    }
}
