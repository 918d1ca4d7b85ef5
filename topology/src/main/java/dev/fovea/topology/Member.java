package dev.fovea.topology;

import dev.fovea.topology.crops.CropScheme;

import java.util.Objects;

/**
 * One model of what a worker serves, and how it looks at each image.
 *
 * @param name published as {@code Prediction.members}
 * @param version the model's version
 * @param crops the crops it runs on every image, averaged into its probabilities
 * @param weight its share of the ensemble's weighted mean; only ratios matter
 */
public record Member(String name, String version, CropScheme crops, double weight) {
    public Member {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(crops, "crops");
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException(
                    "member " + name + ": weight must be positive and finite, was " + weight);
        }
    }
}
