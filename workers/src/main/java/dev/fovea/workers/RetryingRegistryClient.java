package dev.fovea.workers;

import dev.fovea.schemas.registry.CompatibilityLevel;
import dev.fovea.schemas.registry.RegisteredSchema;
import dev.fovea.schemas.registry.SchemaRegistryClient;

import org.apache.avro.Schema;

import java.util.List;
import java.util.Optional;

/**
 * The registry as the running topology sees it: a request that finds the registry unavailable waits
 * and retries (see {@link RegistryRetry}) instead of failing its stream thread at once. Requests
 * the wrapped client answers from its cache (schemas by id, registrations) never reach the
 * registry, so they keep working while it is down.
 */
final class RetryingRegistryClient implements SchemaRegistryClient {
    private final SchemaRegistryClient registry;
    private final RegistryRetry retry;

    RetryingRegistryClient(SchemaRegistryClient registry, RegistryRetry retry) {
        this.registry = registry;
        this.retry = retry;
    }

    @Override
    public String url() {
        return registry.url();
    }

    @Override
    public int register(String subject, Schema schema) {
        return retry.call(
                "register a schema under " + subject, () -> registry.register(subject, schema));
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        return retry.call(
                "look up a schema under " + subject, () -> registry.lookup(subject, schema));
    }

    @Override
    public Schema getById(int id) {
        return retry.call("fetch schema id " + id, () -> registry.getById(id));
    }

    @Override
    public List<String> subjects() {
        return retry.call("list subjects", registry::subjects);
    }

    @Override
    public List<Integer> versions(String subject) {
        return retry.call("list versions of " + subject, () -> registry.versions(subject));
    }

    @Override
    public RegisteredSchema version(String subject, int version) {
        return retry.call(
                "fetch version " + version + " of " + subject,
                () -> registry.version(subject, version));
    }

    @Override
    public RegisteredSchema latest(String subject) {
        return retry.call("fetch the latest version of " + subject, () -> registry.latest(subject));
    }

    @Override
    public boolean testCompatibility(String subject, Schema schema) {
        return retry.call(
                "test compatibility with " + subject,
                () -> registry.testCompatibility(subject, schema));
    }

    @Override
    public CompatibilityLevel globalCompatibility() {
        return retry.call("read the global compatibility", registry::globalCompatibility);
    }

    @Override
    public void setGlobalCompatibility(CompatibilityLevel level) {
        retry.call(
                "set the global compatibility",
                () -> {
                    registry.setGlobalCompatibility(level);
                    return null;
                });
    }

    @Override
    public Optional<CompatibilityLevel> subjectCompatibility(String subject) {
        return retry.call(
                "read the compatibility of " + subject,
                () -> registry.subjectCompatibility(subject));
    }

    @Override
    public void setSubjectCompatibility(String subject, CompatibilityLevel level) {
        retry.call(
                "set the compatibility of " + subject,
                () -> {
                    registry.setSubjectCompatibility(subject, level);
                    return null;
                });
    }
}
