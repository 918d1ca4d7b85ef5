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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

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
                .setAttributes(work.event().getAttributes())
                .setWorker(settings.workerId())
                .build();
    }

    public DeadLetter deadLetter(ImageWork work) {
        SourceRecord source = work.source();
        byte[] value = source.value();
        boolean copyValue = value != null && value.length <= settings.maxDeadLetterValueBytes();
        String message = work.failure().message();
        if (value != null && !copyValue) {
            message +=
                    String.format(
                            " (the original value, %d bytes, is over dead.letter.max.value.bytes"
                                    + " and was not copied: replay it from %s-%d@%d)",
                            value.length, source.topic(), source.partition(), source.offset());
        }
        return DeadLetter.newBuilder()
                .setImageId(work.imageId())
                .setReason(work.failure().reason().name())
                .setMessage(message)
                .setSourceTopic(source.topic())
                .setPartition(source.partition())
                .setOffset(source.offset())
                .setTimestamp(Instant.ofEpochMilli(source.timestamp()))
                .setKey(source.key() == null ? null : ByteBuffer.wrap(source.key()))
                .setValue(copyValue ? ByteBuffer.wrap(value) : null)
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
