package dev.fovea.ops.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The deployment files under {@code ops/deploy} checked without a cluster: {@code
 * validate/validate.mjs} validates the Kubernetes and KEDA manifests against their JSON schemas
 * (npm {@code kubernetes-models}, {@code @kubernetes-models/keda}) and for fields their schemas do
 * not define, renders the kustomizations (the base, the overlays, the base with each component) and
 * validates what they produce, lints the Dockerfiles, checks the Grafana dashboard's queries
 * against the worker's metric names, and cross-checks the base (probes, grace periods, consumer
 * group, replicas x threads &lt;= partitions). {@code ./fovea test} installs its packages with
 * {@code npm ci}.
 */
class DeployManifestsTest {
    private static final Path VALIDATE = Path.of("deploy", "validate").toAbsolutePath();

    @TempDir Path tmp;

    record Run(int exit, String output) {}

    @BeforeAll
    static void packagesInstalled() {
        assertTrue(
                Files.isDirectory(VALIDATE.resolve("node_modules")),
                "run `npm ci` in " + VALIDATE + " (./fovea test does it)");
    }

    private static Run validate(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", "validate.mjs"));
        command.addAll(List.of(args));
        Process node =
                new ProcessBuilder(command)
                        .directory(VALIDATE.toFile())
                        .redirectErrorStream(true)
                        .start();
        byte[] out = node.getInputStream().readAllBytes();
        assertTrue(node.waitFor(2, TimeUnit.MINUTES), "validate.mjs did not finish");
        return new Run(node.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void shouldValidateEveryManifestDockerfileAndDashboardUnderOpsDeploy() throws Exception {
        Run run = validate();
        assertEquals(0, run.exit(), "validate.mjs found problems:\n" + run.output());
        assertTrue(run.output().contains(": 0 problems"), run.output());
        // base, overlays/gpu, and the base with each of the two components
        assertTrue(run.output().contains("4 kustomizations, 4 builds rendered"), run.output());
        assertTrue(run.output().contains("2 Dockerfiles, 1 dashboards"), run.output());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "--manifest|fixtures/broken-deployment.yaml"
                        + "|containers/0/ports/0/containerPort must be integer",
                "--manifest|fixtures/broken-scaledobject.yaml"
                        + "|triggers/0/metadata/lagThreshold must be string",
                "--manifest|fixtures/broken-kind.yaml"
                        + "|no schema for policy/v1 PodDisruptionBugdet",
                "--manifest|fixtures/unknown-field.yaml"
                        + "|spec/template/spec/containers/0/livenesProbe is not a field of the"
                        + " schema (did you mean livenessProbe?)",
                "--render|fixtures/broken-overlay"
                        + "|replace /data/FOVEA_INFERENCE_BATCH_SIZE: the path does not exist",
                "--render|fixtures/broken-overlay"
                        + "|rendered: Deployment/fovea-worker:"
                        + " data/spec/template/spec/terminationGracePeriodSeconds must be integer",
                "--render|fixtures/broken-overlay"
                        + "|in the build of fixtures/broken-overlay: maxReplicaCount 6 x 3 stream"
                        + " threads > 12 partitions",
                "--dashboard|fixtures/broken-dashboard.json"
                        + "|fovea_images_total is not a metric of the worker",
                "--dashboard|fixtures/broken-dashboard.json"
                        + "|label reasons is on none of the metrics it queries",
                "--dockerfile|fixtures/broken.Dockerfile"
                        + "|ENTRYPOINT must be in exec (JSON) form",
                "--dockerfile|fixtures/broken.Dockerfile|Invalid containerPort: metrics",
            })
    void shouldRejectABrokenFileWithTheValidatorsMessage(String flag, String file, String message)
            throws Exception {
        Run run = validate(flag, file);
        assertEquals(1, run.exit(), run.output());
        assertTrue(
                run.output().contains(message), "expected «" + message + "» in:\n" + run.output());
    }

    @Test
    void shouldRejectABaseWhoseGracePeriodOrReplicaCapContradictsTheWorker() throws Exception {
        Path base = VALIDATE.resolveSibling("k8s").resolve("base");
        try (Stream<Path> files = Files.list(base)) {
            for (Path f : files.toList()) {
                Files.copy(f, tmp.resolve(f.getFileName()));
            }
        }
        Run intact = validate("--base", tmp.toString());
        assertEquals(0, intact.exit(), intact.output());

        replace(
                tmp.resolve("deployment.yaml"),
                "terminationGracePeriodSeconds: 45",
                "terminationGracePeriodSeconds: 20");
        replace(tmp.resolve("scaledobject.yaml"), "maxReplicaCount: 6", "maxReplicaCount: 8");
        replace(
                tmp.resolve("scaledobject.yaml"),
                "consumerGroup: fovea",
                "consumerGroup: fovea-workers");
        Run broken = validate("--base", tmp.toString());

        assertEquals(1, broken.exit(), broken.output());
        for (String message :
                List.of(
                        "terminationGracePeriodSeconds 20 s must exceed FOVEA_SHUTDOWN_GRACE_MS"
                                + " 30000 ms",
                        "maxReplicaCount 8 x 2 stream threads > 12 partitions",
                        "consumerGroup fovea-workers is not application.id fovea")) {
            assertTrue(
                    broken.output().contains(message),
                    "expected «" + message + "» in:\n" + broken.output());
        }
    }

    private static void replace(Path file, String from, String to) throws IOException {
        String text = Files.readString(file);
        assertTrue(text.contains(from), file + " has no «" + from + "»");
        Files.writeString(file, text.replace(from, to));
    }
}
