package dev.fovea.models;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link ModelBuilder#build} should make.
 *
 * @param arch the architecture, as Keras names it: {@code inception_v3}
 * @param classes the size of the classifier head, at least 2
 * @param width multiplies every convolution's filter count; 1.0 is the paper's network
 * @param seed seeds every weight; the same request gives the same weights, bit for bit
 * @param out the model directory to write; replaced if it holds a previous Fovea model
 * @param labels one per class in index order, or {@code null} for {@code class_0000}, ...
 */
public record BuildRequest(
        String arch, int classes, double width, long seed, Path out, List<String> labels) {

    public BuildRequest {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(out, "out");
        ModelBuilder.checkClassesAndWidth(classes, width);
        if (labels != null) {
            labels = List.copyOf(labels);
            if (labels.size() != classes) {
                throw new IllegalArgumentException(
                        labels.size()
                                + " labels given for "
                                + classes
                                + " classes: give one per class");
            }
            for (String label : labels) {
                // labels.txt holds one label per line, and a blank line would read as a missing
                // label.
                if (label.isBlank() || label.contains("\n") || label.contains("\r")) {
                    throw new IllegalArgumentException(
                            "Label '"
                                    + label
                                    + "' is blank or spans lines: labels.txt holds one per line");
                }
            }
        }
    }
}
