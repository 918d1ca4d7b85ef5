package dev.fovea.topology.stages;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.Prediction;
import dev.fovea.avro.Timings;
import dev.fovea.avro.TopClass;
import dev.fovea.topology.Classification;
import dev.fovea.topology.ModelInfo;
import dev.fovea.topology.TopologySettings;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The last stages: a finished {@link ImageWork} to the record users consume. */
public final class Publications {
    private final TopologySettings settings;
    private final ModelInfo model;
    private final Clock clock;

    public Publications(TopologySettings settings, ModelInfo model, Clock clock) {
        this.settings = settings;
        this.model = model;
        this.clock = clock;
    }

    /** The top-k stage. */
    public Prediction prediction(ImageWork work) {
        Classification result = work.classification();
        float[] p = result.probabilities();
        List<TopClass> top = new ArrayList<>(settings.topK());
        for (int index : TopK.indices(p, settings.topK())) {
            top.add(new TopClass(index, model.label(index), p[index]));
        }
        Timings timings =
                new Timings(
                        work.decodeMs(),
                        result.queueMs(),
                        result.inferenceMs(),
                        Stage.millisSince(work.startNanos()));
        return Prediction.newBuilder()
                .setImageId(work.event().getId())
                .setModel(model.name())
                .setModelVersion(model.version())
                .setTop(top)
                .setProbabilities(settings.publishProbabilities() ? boxed(p) : null)
                .setCropScheme(result.cropScheme())
                .setCrops(result.crops())
                .setMembers(model.members())
                .setImageTimestamp(work.event().getTimestamp())
                .setProcessedAt(clock.instant())
                .setTimings(timings)
                .setAttributes(Map.copyOf(work.event().getAttributes()))
                .setWorker(settings.workerId())
                .build();
    }

    public DeadLetter deadLetter(ImageWork work) {
        SourceRecord source = work.source();
        return DeadLetter.newBuilder()
                .setImageId(work.imageId())
                .setReason(work.failure().reason().name())
                .setMessage(work.failure().message())
                .setSourceTopic(source.topic())
                .setPartition(source.partition())
                .setOffset(source.offset())
                .setTimestamp(java.time.Instant.ofEpochMilli(source.timestamp()))
                .setKey(source.key() == null ? null : ByteBuffer.wrap(source.key()))
                .setValue(source.value() == null ? null : ByteBuffer.wrap(source.value()))
                .setWorker(settings.workerId())
                .setFailedAt(clock.instant())
                .build();
    }

    private static List<Float> boxed(float[] values) {
        List<Float> list = new ArrayList<>(values.length);
        for (float v : values) {
            list.add(v);
        }
        return list;
    }
}
