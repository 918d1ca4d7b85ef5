package dev.fovea.topology;

import dev.fovea.topology.crops.CropScheme;

import java.util.List;

/**
 * Identity of what a {@link Classifier} serves: one model, or an ensemble of models that share one
 * label space.
 *
 * @param name model or ensemble name, published as {@code Prediction.model}
 * @param version published as {@code Prediction.modelVersion}
 * @param labels one label per output index, shared by every member
 * @param members the models averaged into each prediction, in the order the classifier answers
 */
public record ModelInfo(String name, String version, List<String> labels, List<Member> members) {
    public ModelInfo {
        labels = List.copyOf(labels);
        members = List.copyOf(members);
        if (members.isEmpty()) {
            throw new IllegalArgumentException(name + " has no member models");
        }
    }

    /** A single model: an ensemble of one, under its own name. */
    public static ModelInfo single(
            String name, String version, List<String> labels, CropScheme crops) {
        return new ModelInfo(name, version, labels, List.of(new Member(name, version, crops, 1)));
    }

    public String label(int index) {
        return index < labels.size() ? labels.get(index) : "class_" + index;
    }
}
