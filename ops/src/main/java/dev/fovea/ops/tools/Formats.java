package dev.fovea.ops.tools;

import dev.fovea.avro.DeadLetter;
import dev.fovea.avro.Prediction;

import java.util.stream.Collectors;

/** How predictions and dead letters read on a terminal: one line each, or one JSON object each. */
public final class Formats {
    private Formats() {}

    public static final String PREDICTION_HEADER =
            String.format(
                    "%-28s %-52s %8s %8s  %s",
                    "image", "top classes", "infer ms", "total ms", "model");

    public static String row(Prediction p) {
        String top =
                p.getTop().stream()
                        .limit(3)
                        .map(c -> String.format("%s %.3f", c.getLabel(), c.getProbability()))
                        .collect(Collectors.joining(", "));
        return String.format(
                "%-28s %-52s %8.1f %8.1f  %s %s (%s)",
                clip(p.getImageId(), 28),
                clip(top, 52),
                p.getTimings().getInferenceMs(),
                p.getTimings().getTotalMs(),
                p.getModel(),
                p.getModelVersion(),
                howSeen(p));
    }

    /** E.g. {@code 10crop x 3 models}, or {@code resize}: what was averaged into it. */
    private static String howSeen(Prediction p) {
        int members = p.getMembers().size();
        return p.getCropScheme() + (members > 1 ? " x " + members + " models" : "");
    }

    public static String row(DeadLetter d) {
        return String.format(
                "%-28s %-18s %s (%s-%d@%d)",
                clip(String.valueOf(d.getImageId()), 28),
                d.getReason(),
                d.getMessage(),
                d.getSourceTopic(),
                d.getPartition(),
                d.getOffset());
    }

    /** Avro's JSON rendering; a dead letter's image bytes are shown by size, not dumped. */
    public static String json(Prediction p) {
        return p.toString();
    }

    public static String json(DeadLetter d) {
        DeadLetter shown = DeadLetter.newBuilder(d).setKey(null).setValue(null).build();
        String json = shown.toString();
        int valueBytes = d.getValue() == null ? 0 : d.getValue().remaining();
        return json.substring(0, json.length() - 1) + ", \"valueBytes\": " + valueBytes + "}";
    }

    private static String clip(String s, int width) {
        return s.length() <= width ? s : s.substring(0, width - 1) + "~";
    }
}
