package dev.fovea.topology.stages;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.MemberRun;
import dev.fovea.avro.Prediction;
import dev.fovea.avro.Timings;
import dev.fovea.avro.TopClass;
import dev.fovea.topology.CropScores;
import dev.fovea.topology.Member;
import dev.fovea.topology.ModelInfo;
import dev.fovea.topology.TopologySettings;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The last stages: a finished {@link ImageWork} to the records users consume. */
public final class Publications {
    private final TopologySettings settings;
    private final ModelInfo model;
    private final Clock clock;
    private final List<MemberRun> runs;
    private final String cropScheme;
    private final int crops;

    public Publications(TopologySettings settings, ModelInfo model, Clock clock) {
        this.settings = settings;
        this.model = model;
        this.clock = clock;
        this.runs = model.members().stream().map(Publications::run).toList();
        // One scheme reads as itself; mixed ones as each member's, in member order.
        this.cropScheme =
                runs.stream().map(MemberRun::getCropScheme).distinct().count() == 1
                        ? runs.get(0).getCropScheme()
                        : runs.stream()
                                .map(MemberRun::getCropScheme)
                                .collect(Collectors.joining("+"));
        this.crops = runs.stream().mapToInt(MemberRun::getCrops).max().orElseThrow();
    }

    /**
     * The top-k stage: the prediction of what is served, then, when asked, one per member of an
     * ensemble.
     */
    public List<Prediction> predictions(ImageWork work) {
        Timings timings = timings(work);
        Prediction.Builder served =
                builder(work, work.probabilities(), timings)
                        .setModel(model.name())
                        .setModelVersion(model.version())
                        .setCropScheme(cropScheme)
                        .setCrops(crops)
                        .setMembers(model.members().stream().map(Member::name).toList())
                        .setMemberRuns(runs);
        if (!settings.publishMemberPredictions() || runs.size() == 1) {
            return List.of(served.build());
        }
        List<Prediction> all = new ArrayList<>(1 + runs.size());
        all.add(served.build());
        for (int m = 0; m < runs.size(); m++) {
            MemberRun run = runs.get(m);
            all.add(
                    builder(work, work.memberProbabilities()[m], timings)
                            .setModel(run.getModel())
                            .setModelVersion(run.getModelVersion())
                            .setCropScheme(run.getCropScheme())
                            .setCrops(run.getCrops())
                            .setMembers(List.of(run.getModel()))
                            .setMemberRuns(List.of(run))
                            .build());
        }
        return all;
    }

    private Prediction.Builder builder(ImageWork work, float[] p, Timings timings) {
        List<TopClass> top = new ArrayList<>(settings.topK());
        for (int index : TopK.indices(p, settings.topK())) {
            top.add(new TopClass(index, model.label(index), p[index]));
        }
        return Prediction.newBuilder()
                .setImageId(work.event().getId())
                .setTop(top)
                .setProbabilities(settings.publishProbabilities() ? boxed(p) : null)
                .setImageTimestamp(work.event().getTimestamp())
                .setProcessedAt(clock.instant())
                .setTimings(timings)
                .setAttributes(work.event().getAttributes())
                .setWorker(settings.workerId());
    }

    private static Timings timings(ImageWork work) {
        CropScores scores = work.scores();
        return new Timings(
                work.decodeMs(),
                scores.queueMs(),
                scores.inferenceMs(),
                Stage.millisSince(work.startNanos()));
    }

    private static MemberRun run(Member member) {
        return new MemberRun(
                member.name(),
                member.version(),
                member.crops().id(),
                member.crops().count(),
                member.weight());
    }

    public DeadLetter deadLetter(ImageWork work) {
        SourceRecord source = work.source();
        byte[] value = source.value();
        boolean copyValue = value != null && value.length <= settings.maxDeadLetterValueBytes();
        String message = work.failure().message();
        if (work.event() == null && source.keyIsNotUtf8()) {
            message +=
                    String.format(
                            " (the key, %d bytes, is not UTF-8: imageId shows it in hex after %s)",
                            source.key().length, SourceRecord.HEX_KEY_PREFIX);
        }
        boolean copyKey =
                source.key() != null && source.key().length <= SourceRecord.MAX_KEY_COPY_BYTES;
        if (source.key() != null && !copyKey) {
            message +=
                    String.format(
                            " (the key, %d bytes, is over %d and was not copied)",
                            source.key().length, SourceRecord.MAX_KEY_COPY_BYTES);
        }
        if (work.imageIdClipped()) {
            message += String.format(" (imageId cut to %d characters)", ImageWork.MAX_ID_CHARS);
        }
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
                .setKey(copyKey ? ByteBuffer.wrap(source.key()) : null)
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
