package dev.fovea.topology.stages;

import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * A step of the image pipeline: does its work on images still healthy, and passes failed ones
 * through untouched so that a single branch at the end routes them to the dead-letter topic.
 */
abstract class Stage implements FixedKeyProcessor<byte[], ImageWork, ImageWork> {
    private FixedKeyProcessorContext<byte[], ImageWork> context;

    @Override
    public final void init(FixedKeyProcessorContext<byte[], ImageWork> context) {
        this.context = context;
    }

    @Override
    public final void process(FixedKeyRecord<byte[], ImageWork> record) {
        ImageWork work = record.value();
        context.forward(record.withValue(work.failed() ? work : apply(work)));
    }

    abstract ImageWork apply(ImageWork work);

    static float millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6f;
    }
}
