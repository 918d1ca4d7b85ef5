package dev.fovea.workers.runtime;

import dev.fovea.topology.crops.CropScheme;
import dev.fovea.workers.config.WorkerConfig;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * What a worker serves, resolved from its config: the model of {@code model.path}, or the members
 * of {@code ensemble.members}. A single model is an ensemble of one under its own name, so the rest
 * of the worker has one path.
 *
 * @param name published as {@code Prediction.model}
 * @param version published as {@code Prediction.modelVersion}; for an ensemble, a digest of its
 *     members' names, versions, crop schemes and weights, so it changes whenever one of them does
 * @param publishMembers whether each member's own prediction is published too
 */
public record EnsembleSpec(
        String name, String version, List<MemberSpec> members, boolean publishMembers) {

    /** One model of the ensemble and how it looks at each image. */
    public record MemberSpec(ModelSpec model, CropScheme crops, double weight) {}

    /** Settings that speak for one model and so cannot apply to an ensemble's several. */
    public static final List<String> SINGLE_MODEL_SETTINGS =
            List.of(
                    WorkerConfig.MODEL_PATH,
                    WorkerConfig.MODEL_NAME,
                    WorkerConfig.MODEL_VERSION,
                    WorkerConfig.MODEL_PREPROCESSING,
                    WorkerConfig.MODEL_OUTPUT,
                    WorkerConfig.MODEL_RESIZE,
                    WorkerConfig.MODEL_LABELS);

    public EnsembleSpec {
        members = List.copyOf(members);
    }

    /**
     * @throws ModelLoadException naming the setting at fault, for a bad combination of settings or
     *     a member that cannot be served
     */
    public static EnsembleSpec resolve(WorkerConfig config) {
        List<String> paths = config.getList(WorkerConfig.ENSEMBLE_MEMBERS);
        CropScheme defaultCrops = CropScheme.parse(config.getString(WorkerConfig.MODEL_CROPS));
        if (paths.isEmpty()) {
            ModelSpec model = ModelSpec.resolve(config);
            return new EnsembleSpec(
                    model.name(),
                    model.version(),
                    List.of(new MemberSpec(model, defaultCrops, 1)),
                    false);
        }
        for (String key : SINGLE_MODEL_SETTINGS) {
            if (config.stringOrNull(key) != null) {
                throw new ModelLoadException(
                        key
                                + " is set, but "
                                + WorkerConfig.ENSEMBLE_MEMBERS
                                + " makes this worker serve an ensemble: each member takes its"
                                + " name, version, preprocessing, output, resize and labels from"
                                + " its own fovea-model.json. Unset "
                                + key
                                + ", or unset "
                                + WorkerConfig.ENSEMBLE_MEMBERS
                                + " to serve one model");
            }
        }
        List<Double> weights = weights(config, paths.size());
        List<CropScheme> crops = crops(config, paths.size(), defaultCrops);
        List<MemberSpec> members = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < paths.size(); i++) {
            ModelSpec model = ModelSpec.member(config, paths.get(i));
            if (!names.add(model.name())) {
                throw new ModelLoadException(
                        "two ensemble members are named "
                                + model.name()
                                + " (the second is "
                                + model.dir()
                                + "); predictions list members by name, so each needs its own");
            }
            members.add(new MemberSpec(model, crops.get(i), weights.get(i)));
        }
        return new EnsembleSpec(
                config.getString(WorkerConfig.ENSEMBLE_NAME),
                digest(members),
                members,
                config.getBoolean(WorkerConfig.ENSEMBLE_PUBLISH_MEMBERS));
    }

    private static List<Double> weights(WorkerConfig config, int members) {
        List<String> given = config.getList(WorkerConfig.ENSEMBLE_WEIGHTS);
        if (given.isEmpty()) {
            return java.util.Collections.nCopies(members, 1.0);
        }
        if (given.size() != members) {
            throw new ModelLoadException(
                    WorkerConfig.ENSEMBLE_WEIGHTS
                            + " has "
                            + given.size()
                            + " values for "
                            + members
                            + " members; give one weight per member, in the order of "
                            + WorkerConfig.ENSEMBLE_MEMBERS);
        }
        List<Double> weights = new ArrayList<>();
        for (String value : given) {
            double w;
            try {
                w = Double.parseDouble(value.trim());
            } catch (NumberFormatException e) {
                w = Double.NaN;
            }
            if (!(w > 0) || Double.isInfinite(w)) {
                throw new ModelLoadException(
                        WorkerConfig.ENSEMBLE_WEIGHTS
                                + ": '"
                                + value
                                + "' is not a positive number");
            }
            weights.add(w);
        }
        return weights;
    }

    private static List<CropScheme> crops(
            WorkerConfig config, int members, CropScheme defaultCrops) {
        List<String> given = config.getList(WorkerConfig.ENSEMBLE_CROPS);
        if (given.isEmpty()) {
            return java.util.Collections.nCopies(members, defaultCrops);
        }
        if (given.size() != 1 && given.size() != members) {
            throw new ModelLoadException(
                    WorkerConfig.ENSEMBLE_CROPS
                            + " has "
                            + given.size()
                            + " values for "
                            + members
                            + " members; give one scheme for all, or one per member");
        }
        List<CropScheme> schemes = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            String id = given.get(given.size() == 1 ? 0 : i);
            try {
                schemes.add(CropScheme.parse(id));
            } catch (IllegalArgumentException e) {
                throw new ModelLoadException(
                        WorkerConfig.ENSEMBLE_CROPS + ": " + e.getMessage(), e);
            }
        }
        return schemes;
    }

    private static String digest(List<MemberSpec> members) {
        StringBuilder identity = new StringBuilder();
        for (MemberSpec m : members) {
            identity.append(m.model().name())
                    .append('@')
                    .append(m.model().version())
                    .append('/')
                    .append(m.crops().id())
                    .append('*')
                    .append(m.weight())
                    .append('\n');
        }
        try {
            byte[] hash =
                    MessageDigest.getInstance("SHA-256")
                            .digest(identity.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
