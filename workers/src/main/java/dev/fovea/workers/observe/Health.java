package dev.fovea.workers.observe;

import java.util.function.LongSupplier;

/**
 * What the probes answer, in the manner of Kubernetes:
 *
 * <ul>
 *   <li>startup: the worker has loaded and warmed its models and started Kafka Streams;
 *   <li>ready: started, Kafka Streams is RUNNING (partitions assigned, following its state
 *       listener), and the worker is not shutting down;
 *   <li>live: the process is not wedged. It is wedged when images are in flight and none has been
 *       read or answered for longer than the stall limit, which the worker sets far above the
 *       longest a record may legitimately take (the registry's retry plus the inference timeout,
 *       twice). Liveness never depends on Kafka: a broker outage must not restart every pod.
 * </ul>
 */
public final class Health {
    private final WorkerMetrics metrics;
    private final long stallNanos;
    private final LongSupplier nanoTime;

    private volatile boolean started;
    private volatile boolean streamsRunning;
    private volatile boolean stopping;

    public Health(WorkerMetrics metrics, long stallNanos) {
        this(metrics, stallNanos, System::nanoTime);
    }

    Health(WorkerMetrics metrics, long stallNanos, LongSupplier nanoTime) {
        this.metrics = metrics;
        this.stallNanos = stallNanos;
        this.nanoTime = nanoTime;
    }

    /** Models loaded and warmed, Kafka Streams started. */
    public void started() {
        started = true;
    }

    /** From the Kafka Streams state listener: whether the state is RUNNING. */
    public void streamsRunning(boolean running) {
        streamsRunning = running;
    }

    /** Shutdown began: not ready from now on, whatever Kafka Streams does meanwhile. */
    public void stopping() {
        stopping = true;
    }

    public boolean isStarted() {
        return started;
    }

    public boolean isReady() {
        return started && streamsRunning && !stopping;
    }

    public boolean isLive() {
        return metrics.inFlight() == 0
                || nanoTime.getAsLong() - metrics.lastProgressNanos() <= stallNanos;
    }
}
