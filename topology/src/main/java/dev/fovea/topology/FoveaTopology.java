package dev.fovea.topology;

import dev.fovea.topology.image.ImageDecoder;
import dev.fovea.topology.stages.AverageCrops;
import dev.fovea.topology.stages.CutCrops;
import dev.fovea.topology.stages.DecodeImage;
import dev.fovea.topology.stages.Ensemble;
import dev.fovea.topology.stages.ImageWork;
import dev.fovea.topology.stages.Infer;
import dev.fovea.topology.stages.ParseEvent;
import dev.fovea.topology.stages.Publications;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

import java.time.Clock;
import java.util.Map;

/**
 * The whole worker as one pure function: settings and ports in, a {@link Topology} out.
 *
 * <pre>
 * images-source -> parse-event -> decode-image -> cut-crops -> infer -> average-crops -> ensemble
 *   -> route
 *        route-predictions  -> top-k             -> predictions-sink  (predictions)
 *        route-dead-letters -> build-dead-letter -> dead-letter-sink  (images.dlq)
 * </pre>
 *
 * {@code infer} sends every crop of every member to the models at once, so one image's crops fill
 * batches as other threads' images do; a single model is an ensemble of one.
 *
 * <p>One sub-topology, no repartition, no state: every record is answered (prediction or dead
 * letter) before its {@code process()} call returns, which is what makes a crash, a restart or a
 * rebalance lose nothing under either processing guarantee.
 */
public final class FoveaTopology {
    private static final String ROUTE = "route-";
    private static final String DEAD_LETTERS = "dead-letters";
    private static final String PREDICTIONS = "predictions";

    private FoveaTopology() {}

    public static Topology build(
            TopologySettings settings,
            TopologySerdes serdes,
            ImageDecoder decoder,
            Classifier classifier,
            Clock clock) {
        return build(settings, serdes, decoder, classifier, clock, Telemetry.NONE);
    }

    /** As the other {@code build}, reporting each record's progress to {@code telemetry}. */
    public static Topology build(
            TopologySettings settings,
            TopologySerdes serdes,
            ImageDecoder decoder,
            Classifier classifier,
            Clock clock,
            Telemetry telemetry) {
        StreamsBuilder builder = new StreamsBuilder();
        ModelInfo served = classifier.info();
        Publications publications = new Publications(settings, served, clock);

        KStream<byte[], ImageWork> classified =
                builder.stream(
                                settings.imagesTopic(),
                                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                                        .withName("images-source"))
                        .processValues(
                                () -> new ParseEvent(serdes.imageEvents(), telemetry),
                                Named.as("parse-event"))
                        .processValues(
                                () -> new DecodeImage(decoder, telemetry), Named.as("decode-image"))
                        .processValues(() -> new CutCrops(served.members()), Named.as("cut-crops"))
                        .processValues(() -> new Infer(classifier), Named.as("infer"))
                        .processValues(AverageCrops::new, Named.as("average-crops"))
                        .processValues(() -> new Ensemble(served.members()), Named.as("ensemble"));

        Map<String, KStream<byte[], ImageWork>> routes =
                classified
                        .split(Named.as(ROUTE))
                        .branch((key, work) -> work.failed(), Branched.as(DEAD_LETTERS))
                        .defaultBranch(Branched.as(PREDICTIONS));

        // split() names each branch's stream by its own prefix plus the branch name.
        routes.get(ROUTE + DEAD_LETTERS)
                .map(
                        (key, work) -> {
                            telemetry.deadLettered(
                                    work.failure().reason(),
                                    work.imageId(),
                                    work.failure().message());
                            return KeyValue.pair(work.imageId(), publications.deadLetter(work));
                        },
                        Named.as("build-dead-letter"))
                .to(settings.deadLetterTopic(), produced(serdes.deadLetters(), "dead-letter-sink"));
        routes.get(ROUTE + PREDICTIONS)
                .flatMap(
                        (key, work) -> {
                            telemetry.predicted(work.imageId());
                            return publications.predictions(work).stream()
                                    .map(p -> KeyValue.pair(work.imageId(), p))
                                    .toList();
                        },
                        Named.as("top-k"))
                .to(
                        settings.predictionsTopic(),
                        produced(serdes.predictions(), "predictions-sink"));

        return builder.build();
    }

    private static <V> Produced<String, V> produced(Serde<V> values, String name) {
        return Produced.with(Serdes.String(), values).withName(name);
    }
}
