package dev.fovea.schemas.registry.server;

import dev.fovea.schemas.registry.CompatibilityLevel;
import dev.fovea.schemas.registry.RegisteredSchema;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Subjects, versions, global schema ids and compatibility levels, with Confluent's rules.
 *
 * <p>Every method is synchronized: registry traffic is a handful of requests at client start-up, so
 * one lock is plenty, and it makes "check compatibility, then add the version" atomic.
 */
final class SchemaStore {
    static final int LATEST = -1;

    private final StoreFile file; // null when the registry lives in memory only
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, Integer> idsBySchemaText = new HashMap<>();
    private final Map<String, List<Integer>> idsBySubject = new TreeMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new TreeMap<>();
    private CompatibilityLevel globalLevel = CompatibilityLevel.BACKWARD;

    private SchemaStore(StoreFile file) {
        this.file = file;
    }

    static SchemaStore inMemory() {
        return new SchemaStore(null);
    }

    static SchemaStore open(Path dataDir) {
        SchemaStore store = new SchemaStore(new StoreFile(dataDir));
        store.file.read().ifPresent(store::restore);
        return store;
    }

    /**
     * Registers the schema under the subject, or returns its id when it is there already
     * (idempotent).
     */
    synchronized int register(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        Integer known = idsBySchemaText.get(schema.toString());
        List<Integer> ids = idsBySubject.getOrDefault(subject, List.of());
        if (known != null && ids.contains(known)) {
            return known;
        }
        CompatibilityLevel level = level(subject);
        List<String> problems = level.problems(schema, versionsOf(subject, ids));
        if (!problems.isEmpty()) {
            throw RegistryError.incompatible(subject, level, problems);
        }
        // Identical schemas share one id across subjects, as in Confluent's registry. A new id
        // follows the highest one, not the count: a hand-edited or gapped file must not hand out
        // an id twice.
        int id = known != null ? known : nextId();
        // Written before memory changes: if the write fails, the client gets a 500 and a retry
        // starts over, rather than being answered with an id the file lacks, which a restart would
        // give to another schema.
        Map<Integer, String> schemas = schemaTexts();
        schemas.put(id, schema.toString());
        Map<String, List<Integer>> subjects = copy(idsBySubject);
        subjects.computeIfAbsent(subject, s -> new ArrayList<>()).add(id);
        save(new StoreFile.Snapshot(schemas, subjects, globalLevel, subjectLevels));
        schemasById.put(id, schema);
        idsBySchemaText.put(schema.toString(), id);
        idsBySubject.computeIfAbsent(subject, s -> new ArrayList<>()).add(id);
        return id;
    }

    synchronized RegisteredSchema lookup(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        List<Integer> ids = idsOf(subject);
        Integer id = idsBySchemaText.get(schema.toString());
        int index = id == null ? -1 : ids.indexOf(id);
        if (index < 0) {
            throw RegistryError.schemaNotFound("Schema under subject '" + subject + "'");
        }
        return new RegisteredSchema(subject, index + 1, id, schemasById.get(id));
    }

    synchronized Schema schema(int id) {
        Schema schema = schemasById.get(id);
        if (schema == null) {
            throw RegistryError.schemaNotFound("Schema " + id);
        }
        return schema;
    }

    synchronized List<String> subjects() {
        return new ArrayList<>(idsBySubject.keySet());
    }

    synchronized List<Integer> versions(String subject) {
        return IntStream.rangeClosed(1, idsOf(subject).size()).boxed().collect(Collectors.toList());
    }

    /** A version of the subject, or its latest with {@link #LATEST}. */
    synchronized RegisteredSchema version(String subject, int version) {
        List<Integer> ids = idsOf(subject);
        int number = version == LATEST ? ids.size() : version;
        if (number < 1 || number > ids.size()) {
            throw RegistryError.versionNotFound(subject, version);
        }
        int id = ids.get(number - 1);
        return new RegisteredSchema(subject, number, id, schemasById.get(id));
    }

    /**
     * Whether the schema could be registered against {@code version}; against {@link #LATEST}, a
     * transitive level checks every version, as registering would. A subject with nothing
     * registered accepts anything.
     */
    synchronized boolean isCompatible(String subject, int version, String schemaText) {
        Schema schema = parse(schemaText);
        List<Integer> ids = idsBySubject.get(subject);
        if (ids == null && version == LATEST) {
            return true;
        }
        List<RegisteredSchema> against =
                version == LATEST ? versionsOf(subject, ids) : List.of(version(subject, version));
        return level(subject).problems(schema, against).isEmpty();
    }

    synchronized CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    synchronized void setGlobalLevel(CompatibilityLevel level) {
        save(new StoreFile.Snapshot(schemaTexts(), idsBySubject, level, subjectLevels));
        globalLevel = level;
    }

    /** The subject's own level; 40408 when it has none, which clients such as kafkajs rely on. */
    synchronized CompatibilityLevel subjectLevel(String subject) {
        CompatibilityLevel level = subjectLevels.get(subject);
        if (level == null) {
            throw RegistryError.subjectCompatibilityNotConfigured(subject);
        }
        return level;
    }

    /** The subject need not exist: clients set the level before their first registration. */
    synchronized void setSubjectLevel(String subject, CompatibilityLevel level) {
        Map<String, CompatibilityLevel> levels = new TreeMap<>(subjectLevels);
        levels.put(subject, level);
        save(new StoreFile.Snapshot(schemaTexts(), idsBySubject, globalLevel, levels));
        subjectLevels.put(subject, level);
    }

    private CompatibilityLevel level(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    private List<Integer> idsOf(String subject) {
        List<Integer> ids = idsBySubject.get(subject);
        if (ids == null) {
            throw RegistryError.subjectNotFound(subject);
        }
        return ids;
    }

    private List<RegisteredSchema> versionsOf(String subject, List<Integer> ids) {
        return IntStream.range(0, ids.size())
                .mapToObj(
                        i ->
                                new RegisteredSchema(
                                        subject, i + 1, ids.get(i), schemasById.get(ids.get(i))))
                .collect(Collectors.toList());
    }

    /**
     * Parses and normalizes a schema. Two schemas are the same when their normalized JSON is, not
     * their Parsing Canonical Form: that form drops defaults and docs, and a default changes how
     * data resolves.
     */
    private static Schema parse(String schemaText) {
        try {
            return new Schema.Parser().parse(schemaText);
        } catch (AvroRuntimeException e) {
            // SchemaParseException, or AvroTypeException for a bad default.
            throw RegistryError.invalidSchema(e.getMessage());
        }
    }

    private int nextId() {
        return schemasById.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
    }

    /**
     * Writes the state a change leads to, before the change is made in memory: a failed write
     * throws, and leaves memory as the file is.
     */
    private void save(StoreFile.Snapshot next) {
        if (file != null) {
            file.write(next);
        }
    }

    private Map<Integer, String> schemaTexts() {
        Map<Integer, String> schemas = new TreeMap<>();
        schemasById.forEach((id, schema) -> schemas.put(id, schema.toString()));
        return schemas;
    }

    private static Map<String, List<Integer>> copy(Map<String, List<Integer>> subjects) {
        Map<String, List<Integer>> copy = new TreeMap<>();
        subjects.forEach((subject, ids) -> copy.put(subject, new ArrayList<>(ids)));
        return copy;
    }

    private void restore(StoreFile.Snapshot snapshot) {
        snapshot.schemas()
                .forEach(
                        (id, text) -> {
                            Schema schema = parse(text);
                            schemasById.put(id, schema);
                            idsBySchemaText.put(schema.toString(), id);
                        });
        snapshot.subjects()
                .forEach((subject, ids) -> idsBySubject.put(subject, new ArrayList<>(ids)));
        subjectLevels.putAll(snapshot.subjectCompatibility());
        globalLevel = snapshot.compatibility();
    }
}
