package dev.fovea.workers.runtime;

import dev.fovea.topology.Classifier;
import dev.fovea.topology.CropScores;
import dev.fovea.topology.InferenceException;
import dev.fovea.topology.Member;
import dev.fovea.topology.ModelInfo;
import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.image.DecodedImage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The {@link Classifier} a worker serves: the SavedModels of its members (one, for a single model),
 * each with its own dynamic batcher. Every crop of every member of one image is submitted before
 * any is awaited, so one image's crops fill batches together with other threads' images.
 */
public final class EnsembleClassifier implements Classifier, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EnsembleClassifier.class);

    private final List<SavedModelClassifier> models;
    private final ModelInfo info;

    private EnsembleClassifier(List<SavedModelClassifier> models, ModelInfo info) {
        this.models = List.copyOf(models);
        this.info = info;
    }

    /**
     * Loads and warms up every member, then checks that they share one label space.
     *
     * @param batching {@code maxInFlight} is the worker's stream threads; each member's batcher may
     *     have that many times its crops per image waiting
     * @throws ModelLoadException for a member that cannot be served, or members whose labels differ
     */
    public static EnsembleClassifier load(
            EnsembleSpec spec, SavedModelClassifier.Batching batching) {
        return load(spec, batching, SavedModelClassifier::load);
    }

    /**
     * {@link #load(EnsembleSpec, SavedModelClassifier.Batching)}, each member loaded by {@code
     * loader}: a test's, which keeps the members it loaded to check that a failure closes them.
     */
    static EnsembleClassifier load(
            EnsembleSpec spec,
            SavedModelClassifier.Batching batching,
            BiFunction<ModelSpec, SavedModelClassifier.Batching, SavedModelClassifier> loader) {
        List<SavedModelClassifier> models = new ArrayList<>();
        try {
            List<EnsembleSpec.MemberSpec> members = spec.members();
            for (int m = 0; m < members.size(); m++) {
                EnsembleSpec.MemberSpec member = members.get(m);
                SavedModelClassifier.Batching own =
                        new SavedModelClassifier.Batching(
                                batching.maxBatchSize(),
                                batching.maxQueueDelay(),
                                Math.multiplyExact(batching.maxInFlight(), member.crops().count()),
                                batching.timeout());
                try {
                    models.add(loader.apply(member.model(), own));
                } catch (ModelLoadException e) {
                    if (members.size() == 1) {
                        throw e;
                    }
                    // The position says which entry of ensemble.members to fix.
                    throw new ModelLoadException(
                            "ensemble member "
                                    + (m + 1)
                                    + " of "
                                    + members.size()
                                    + " ("
                                    + member.model().name()
                                    + "): "
                                    + e.getMessage(),
                            e);
                }
            }
            checkLabelSpace(models);
        } catch (RuntimeException e) {
            models.forEach(SavedModelClassifier::close);
            throw e;
        }
        List<Member> members = new ArrayList<>();
        for (int m = 0; m < models.size(); m++) {
            EnsembleSpec.MemberSpec member = spec.members().get(m);
            members.add(
                    new Member(
                            member.model().name(),
                            member.model().version(),
                            member.crops(),
                            member.weight()));
        }
        ModelInfo info =
                new ModelInfo(spec.name(), spec.version(), models.get(0).labels(), members);
        if (members.size() > 1) {
            log.info(
                    "ensemble {} {}: {}",
                    info.name(),
                    info.version(),
                    members.stream()
                            .map(m -> m.name() + " x" + m.weight() + " " + m.crops().id())
                            .toList());
        }
        return new EnsembleClassifier(models, info);
    }

    /** Averaging probabilities of different label spaces would publish nonsense: refuse it. */
    private static void checkLabelSpace(List<SavedModelClassifier> models) {
        SavedModelClassifier first = models.get(0);
        for (SavedModelClassifier other : models.subList(1, models.size())) {
            List<String> a = first.labels();
            List<String> b = other.labels();
            String mismatch = null;
            if (a.size() != b.size()) {
                mismatch = "has " + b.size() + " classes, " + name(first) + " has " + a.size();
            } else {
                for (int k = 0; k < a.size() && mismatch == null; k++) {
                    if (!a.get(k).equals(b.get(k))) {
                        mismatch =
                                "calls class "
                                        + k
                                        + " '"
                                        + b.get(k)
                                        + "' where "
                                        + name(first)
                                        + " has '"
                                        + a.get(k)
                                        + "'";
                    }
                }
            }
            if (mismatch != null) {
                throw new ModelLoadException(
                        "ensemble members must share their labels (the same classes in the same"
                                + " order): "
                                + name(other)
                                + " "
                                + mismatch);
            }
        }
    }

    private static String name(SavedModelClassifier model) {
        return model.spec().name() + " (" + model.spec().dir() + ")";
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public CropScores classify(DecodedImage image, List<List<Crop>> crops)
            throws InferenceException {
        List<List<SavedModelClassifier.CropResult>> pending = new ArrayList<>(models.size());
        List<float[][]> probabilities = new ArrayList<>(models.size());
        long queueNanos = 0;
        long inferenceNanos = 0;
        try (InferenceRound round = new InferenceRound()) {
            for (int m = 0; m < models.size(); m++) {
                List<SavedModelClassifier.CropResult> results = new ArrayList<>();
                for (Crop crop : crops.get(m)) {
                    results.add(models.get(m).submit(round, image, crop));
                }
                pending.add(results);
            }
            round.await();
            for (List<SavedModelClassifier.CropResult> results : pending) {
                float[][] rows = new float[results.size()][];
                for (int c = 0; c < rows.length; c++) {
                    SavedModelClassifier.CropResult r = results.get(c);
                    rows[c] = r.probabilities();
                    queueNanos = Math.max(queueNanos, r.queueNanos());
                    inferenceNanos = Math.max(inferenceNanos, r.inferenceNanos());
                }
                probabilities.add(rows);
            }
        }
        return new CropScores(probabilities, queueNanos / 1e6f, inferenceNanos / 1e6f);
    }

    /** What each member's batcher has run, by member name; empty when batching is off. */
    public Map<String, BatcherStats> batcherStats() {
        Map<String, BatcherStats> stats = new LinkedHashMap<>();
        for (SavedModelClassifier model : models) {
            model.batcherStats().ifPresent(s -> stats.put(model.spec().name(), s));
        }
        return stats;
    }

    @Override
    public void close() {
        models.forEach(SavedModelClassifier::close);
    }
}
