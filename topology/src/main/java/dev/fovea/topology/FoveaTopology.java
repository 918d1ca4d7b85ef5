package dev.fovea.topology;

import dev.fovea.topology.image.ImageDecoder;
import dev.fovea.topology.stages.Classify;
import dev.fovea.topology.stages.DecodeImage;
import dev.fovea.topology.stages.ImageWork;
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
 * images-source -> parse-event -> decode-image -> classify -> route
 *   route-predictions  -> top-k            -> predictions-sink   (predictions)
 *   route-dead-letters -> build-dead-letter -> dead-letter-sink (images.dlq)
 * </pre>
 *
 * One sub-topology, no repartition, no state: every record is answered (prediction or dead letter)
 * before its {@code process()} call returns, which is what makes a crash, a restart or a rebalance
 * lose nothing under either processing guarantee.
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
        StreamsBuilder builder = new StreamsBuilder();
        Publications publications = new Publications(settings, classifier.info(), clock);

        KStream<byte[], ImageWork> classified =
                builder.stream(
                                settings.imagesTopic(),
                                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                                        .withName("images-source"))
                        .processValues(
                                () -> new ParseEvent(serdes.imageEvents()), Named.as("parse-event"))
                        .processValues(
                                () -> new DecodeImage(decoder, settings.maxImageBytes()),
                                Named.as("decode-image"))
                        .processValues(() -> new Classify(classifier), Named.as("classify"));

        Map<String, KStream<byte[], ImageWork>> routes =
                classified
                        .split(Named.as(ROUTE))
                        .branch((key, work) -> work.failed(), Branched.as(DEAD_LETTERS))
                        .defaultBranch(Branched.as(PREDICTIONS));

        // split() names each branch's stream by its own prefix plus the branch name.
        routes.get(ROUTE + DEAD_LETTERS)
                .map(
                        (key, work) -> KeyValue.pair(work.imageId(), publications.deadLetter(work)),
                        Named.as("build-dead-letter"))
                .to(settings.deadLetterTopic(), produced(serdes.deadLetters(), "dead-letter-sink"));
        routes.get(ROUTE + PREDICTIONS)
                .map(
                        (key, work) -> KeyValue.pair(work.imageId(), publications.prediction(work)),
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
