package dev.fovea.topology;

import java.util.List;

/**
 * Identity of what a {@link Classifier} serves.
 *
 * @param name model or ensemble name, published as {@code Prediction.model}
 * @param version published as {@code Prediction.modelVersion}
 * @param labels one label per output index
 * @param members the models averaged into each prediction (just {@code name} for a single model)
 */
public record ModelInfo(String name, String version, List<String> labels, List<String> members) {
    public ModelInfo {
        labels = List.copyOf(labels);
        members = List.copyOf(members);
    }

    public String label(int index) {
        return index < labels.size() ? labels.get(index) : "class_" + index;
    }
}
