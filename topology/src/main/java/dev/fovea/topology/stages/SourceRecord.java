package dev.fovea.topology.stages;

/**
 * Where a record came from, kept with it through every stage so a dead letter can point back at the
 * exact input and carry its original bytes for replay.
 */
public record SourceRecord(
        String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {}
