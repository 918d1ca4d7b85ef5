package dev.fovea.schemas.registry;

/**
 * A schema id names a schema that is not Avro (PROTOBUF or JSON: a shared registry holds all
 * three). The record that carries the id is bad data, not the registry down or misconfigured:
 * dead-letter it rather than stop. Subclasses {@link SchemaRegistryException} so that callers of
 * {@link SchemaRegistryClient#getById} see it; {@link #errorCode()} is the answer's HTTP status,
 * 200, since the registry did not fail.
 */
public class UnsupportedSchemaTypeException extends SchemaRegistryException {
    private final int id;
    private final String schemaType;

    public UnsupportedSchemaTypeException(int id, String schemaType) {
        super(
                "schema id "
                        + id
                        + " is "
                        + schemaType
                        + "; Fovea reads Avro records only: the record was written by a "
                        + schemaType
                        + " serializer, to a topic that should carry Avro",
                200,
                200);
        this.id = id;
        this.schemaType = schemaType;
    }

    /** The schema id the record carries. */
    public int id() {
        return id;
    }

    /** The registry's {@code schemaType}, such as {@code PROTOBUF} or {@code JSON}. */
    public String schemaType() {
        return schemaType;
    }
}
