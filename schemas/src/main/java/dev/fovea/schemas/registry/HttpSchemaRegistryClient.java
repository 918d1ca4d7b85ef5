package dev.fovea.schemas.registry;

import static dev.fovea.schemas.registry.ErrorCodes.INCOMPATIBLE_SCHEMA;
import static dev.fovea.schemas.registry.ErrorCodes.INVALID_SCHEMA;
import static dev.fovea.schemas.registry.ErrorCodes.SCHEMA_NOT_FOUND;
import static dev.fovea.schemas.registry.ErrorCodes.SUBJECT_COMPATIBILITY_NOT_CONFIGURED;
import static dev.fovea.schemas.registry.ErrorCodes.SUBJECT_NOT_FOUND;
import static dev.fovea.schemas.registry.ErrorCodes.VERSION_NOT_FOUND;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.errors.InterruptException;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import javax.crypto.BadPaddingException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * A {@link SchemaRegistryClient} over the registry's REST API, with the JDK's HTTP client.
 *
 * <p>Thread-safe. Registrations and schemas by id are cached for the life of the client: both are
 * immutable on the registry side, and a producer or consumer must not pay a round trip per record.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {
    /** The registry URL; {@code http://user:password@host:port} adds basic authentication. */
    public static final String URL_CONFIG = "schema.registry.url";

    /** {@code user:password} for basic authentication, as Confluent's clients spell it. */
    public static final String USER_INFO_CONFIG = "basic.auth.user.info";

    /**
     * Where the basic-auth credentials come from, as in Confluent's clients: {@code USER_INFO}
     * ({@value #USER_INFO_CONFIG}) or {@code URL} (the {@code user:password@} of the URL). Unset:
     * {@value #USER_INFO_CONFIG} when set, else the URL's.
     */
    public static final String CREDENTIALS_SOURCE_CONFIG = "basic.auth.credentials.source";

    /**
     * A trust store holding the CA of an HTTPS registry's certificate; without one, the JVM's
     * default trust (its {@code cacerts}, or {@code javax.net.ssl.trustStore}) applies. Confluent's
     * spelling, as are the others below.
     */
    public static final String TRUSTSTORE_LOCATION_CONFIG =
            "schema.registry.ssl.truststore.location";

    public static final String TRUSTSTORE_PASSWORD_CONFIG =
            "schema.registry.ssl.truststore.password";

    /** PKCS12 or JKS; unset, the type is recognised from the file. */
    public static final String TRUSTSTORE_TYPE_CONFIG = "schema.registry.ssl.truststore.type";

    /** A key store with this client's certificate, for registries that require one (mutual TLS). */
    public static final String KEYSTORE_LOCATION_CONFIG = "schema.registry.ssl.keystore.location";

    public static final String KEYSTORE_PASSWORD_CONFIG = "schema.registry.ssl.keystore.password";

    /** The private key's password, where it differs from the key store's. */
    public static final String KEY_PASSWORD_CONFIG = "schema.registry.ssl.key.password";

    public static final String KEYSTORE_TYPE_CONFIG = "schema.registry.ssl.keystore.type";

    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String url;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Optional<String> authorization;
    private final HttpClient http;
    private final Map<SubjectSchema, Integer> registeredIds = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<Integer, String> nonAvroTypesById = new ConcurrentHashMap<>();

    public HttpSchemaRegistryClient(String url) {
        this(builder(url));
    }

    private HttpSchemaRegistryClient(Builder builder) {
        this.url = builder.url;
        this.connectTimeout = builder.connectTimeout;
        this.requestTimeout = builder.requestTimeout;
        this.authorization =
                builder.userInfo.map(
                        userInfo ->
                                "Basic "
                                        + Base64.getEncoder()
                                                .encodeToString(userInfo.getBytes(UTF_8)));
        HttpClient.Builder http =
                HttpClient.newBuilder()
                        .connectTimeout(connectTimeout)
                        // The registry speaks HTTP/1.1; skipping the h2c upgrade attempt
                        // saves a header per request.
                        .version(HttpClient.Version.HTTP_1_1);
        SSLContext ssl = builder.sslContext();
        if (ssl != null) {
            http.sslContext(ssl);
        }
        this.http = http.build();
    }

    public static Builder builder(String url) {
        return new Builder(url);
    }

    /**
     * A client from Kafka-style configs, spelled as Confluent's clients spell them: {@value
     * #URL_CONFIG}; optionally {@value #CREDENTIALS_SOURCE_CONFIG} and {@value #USER_INFO_CONFIG};
     * for HTTPS, optionally a trust store ({@value #TRUSTSTORE_LOCATION_CONFIG}, {@value
     * #TRUSTSTORE_PASSWORD_CONFIG}, {@value #TRUSTSTORE_TYPE_CONFIG}) and a key store ({@value
     * #KEYSTORE_LOCATION_CONFIG}, {@value #KEYSTORE_PASSWORD_CONFIG}, {@value
     * #KEY_PASSWORD_CONFIG}, {@value #KEYSTORE_TYPE_CONFIG}). Values may be strings or Kafka {@link
     * Password}s.
     *
     * @throws ConfigException naming the setting that is missing or wrong; never its secret value
     */
    public static HttpSchemaRegistryClient fromConfig(Map<String, ?> configs) {
        String url = stringConfig(configs, URL_CONFIG);
        if (url == null) {
            throw new ConfigException(
                    URL_CONFIG
                            + " is required: the URL of the schema registry, such as "
                            + "http://localhost:8081");
        }
        Builder builder = builder(url);
        String userInfo = stringConfig(configs, USER_INFO_CONFIG);
        String source = stringConfig(configs, CREDENTIALS_SOURCE_CONFIG);
        switch (source == null ? "" : source.toUpperCase(Locale.ROOT)) {
            case "":
                if (userInfo != null) {
                    builder.basicAuth(userInfo);
                }
                break;
            case "USER_INFO":
                if (userInfo == null) {
                    throw new ConfigException(
                            CREDENTIALS_SOURCE_CONFIG
                                    + "=USER_INFO takes the credentials from "
                                    + USER_INFO_CONFIG
                                    + ", which is not set: set it to user:password");
                }
                builder.basicAuth(userInfo);
                break;
            case "URL":
                // Confluent's clients ignore basic.auth.user.info then: so does this one.
                break;
            default:
                throw new ConfigException(
                        CREDENTIALS_SOURCE_CONFIG
                                + " '"
                                + source
                                + "' is not supported: use USER_INFO (with "
                                + USER_INFO_CONFIG
                                + "=user:password) or URL (credentials in "
                                + URL_CONFIG
                                + " as https://user:password@host)");
        }
        String trustStore = stringConfig(configs, TRUSTSTORE_LOCATION_CONFIG);
        if (trustStore != null) {
            builder.trustStore(
                    Path.of(trustStore),
                    stringConfig(configs, TRUSTSTORE_PASSWORD_CONFIG),
                    stringConfig(configs, TRUSTSTORE_TYPE_CONFIG));
        }
        String keyStore = stringConfig(configs, KEYSTORE_LOCATION_CONFIG);
        if (keyStore != null) {
            builder.keyStore(
                    Path.of(keyStore),
                    stringConfig(configs, KEYSTORE_PASSWORD_CONFIG),
                    stringConfig(configs, KEY_PASSWORD_CONFIG),
                    stringConfig(configs, KEYSTORE_TYPE_CONFIG));
        }
        return builder.build();
    }

    /** The value as a string, a Password's included; null when absent or blank. */
    private static String stringConfig(Map<String, ?> configs, String key) {
        Object value = configs.get(key);
        String text =
                value instanceof Password password
                        ? password.value()
                        : Objects.toString(value, null);
        return text == null || text.isBlank() ? null : text.strip();
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public int register(String subject, Schema schema) {
        return registeredIds.computeIfAbsent(
                new SubjectSchema(subject, schema),
                key ->
                        send(
                                        "POST",
                                        subjectPath(subject) + "/versions",
                                        schemaBody(schema),
                                        Target.subject(subject))
                                .path("id")
                                .asInt());
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        RegisteredSchema found =
                registered(
                        send(
                                "POST",
                                subjectPath(subject),
                                schemaBody(schema),
                                Target.subject(subject)));
        registeredIds.putIfAbsent(new SubjectSchema(subject, schema), found.id());
        return found;
    }

    /**
     * {@inheritDoc}
     *
     * @throws UnsupportedSchemaTypeException when the id names a PROTOBUF or JSON schema, which a
     *     shared registry may hold: the record carrying the id is bad data
     */
    @Override
    public Schema getById(int id) {
        String otherType = nonAvroTypesById.get(id);
        if (otherType != null) {
            throw new UnsupportedSchemaTypeException(id, otherType);
        }
        Schema schema = schemasById.get(id);
        if (schema != null) {
            return schema;
        }
        JsonNode answer = send("GET", "/schemas/ids/" + id, null, Target.schemaId(id));
        // Absent means AVRO, as in Confluent's answers, which leave it out for Avro schemas.
        String type = answer.path("schemaType").asText("AVRO");
        if (!type.equalsIgnoreCase("AVRO")) {
            // Ids are immutable, so a record after the first with this id costs no round trip.
            nonAvroTypesById.putIfAbsent(id, type);
            throw new UnsupportedSchemaTypeException(id, type);
        }
        return schemasById.computeIfAbsent(id, key -> parse(answer.path("schema").asText()));
    }

    @Override
    public List<String> subjects() {
        List<String> subjects = new ArrayList<>();
        send("GET", "/subjects", null, Target.NONE)
                .forEach(subject -> subjects.add(subject.asText()));
        return subjects;
    }

    @Override
    public List<Integer> versions(String subject) {
        List<Integer> versions = new ArrayList<>();
        send("GET", subjectPath(subject) + "/versions", null, Target.subject(subject))
                .forEach(version -> versions.add(version.asInt()));
        return versions;
    }

    @Override
    public RegisteredSchema version(String subject, int version) {
        return fetchVersion(subject, Integer.toString(version));
    }

    @Override
    public RegisteredSchema latest(String subject) {
        return fetchVersion(subject, "latest");
    }

    private RegisteredSchema fetchVersion(String subject, String version) {
        return registered(
                send(
                        "GET",
                        subjectPath(subject) + "/versions/" + version,
                        null,
                        new Target(subject, version, null)));
    }

    @Override
    public boolean testCompatibility(String subject, Schema schema) {
        return send(
                        "POST",
                        "/compatibility" + subjectPath(subject) + "/versions/latest",
                        schemaBody(schema),
                        Target.subject(subject))
                .path("is_compatible")
                .asBoolean();
    }

    @Override
    public CompatibilityLevel globalCompatibility() {
        return CompatibilityLevel.parse(
                send("GET", "/config", null, Target.NONE).path("compatibilityLevel").asText());
    }

    @Override
    public void setGlobalCompatibility(CompatibilityLevel level) {
        send("PUT", "/config", compatibilityBody(level), Target.NONE);
    }

    @Override
    public Optional<CompatibilityLevel> subjectCompatibility(String subject) {
        try {
            JsonNode config =
                    send("GET", "/config/" + encode(subject), null, Target.subject(subject));
            return Optional.of(
                    CompatibilityLevel.parse(config.path("compatibilityLevel").asText()));
        } catch (SchemaRegistryException e) {
            // Older Confluent versions answer 40401 where newer ones answer 40408: both
            // mean "no own level".
            if (e.errorCode() == SUBJECT_COMPATIBILITY_NOT_CONFIGURED
                    || e.errorCode() == SUBJECT_NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void setSubjectCompatibility(String subject, CompatibilityLevel level) {
        send(
                "PUT",
                "/config/" + encode(subject),
                compatibilityBody(level),
                Target.subject(subject));
    }

    private JsonNode send(String method, String path, ObjectNode body, Target target) {
        BodyPublisher publisher =
                body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body.toString());
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(url + path))
                        .timeout(requestTimeout)
                        .header("Accept", CONTENT_TYPE)
                        .header("Content-Type", CONTENT_TYPE)
                        .method(method, publisher);
        authorization.ifPresent(value -> request.header("Authorization", value));
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), BodyHandlers.ofByteArray());
        } catch (IOException e) {
            if (causes(e).anyMatch(CertificateException.class::isInstance)) {
                // Retrying will not make the certificate trusted: fail at once, whether at startup
                // or on a record, and say which setting fixes it.
                throw new SchemaRegistryException(
                        "the schema registry at "
                                + url
                                + " presented a certificate this client does not trust ("
                                + rootMessage(e)
                                + "): set "
                                + TRUSTSTORE_LOCATION_CONFIG
                                + " (and "
                                + TRUSTSTORE_PASSWORD_CONFIG
                                + ") to a trust store holding the CA that signed it, or add that"
                                + " CA to the JVM's trust store; check that the host in "
                                + URL_CONFIG
                                + " is one the certificate names",
                        0,
                        0,
                        e);
            }
            throw new RegistryUnavailableException(
                    "cannot reach the schema registry at "
                            + url
                            + " ("
                            + describe(e)
                            + "): check "
                            + URL_CONFIG
                            + (url.startsWith("https:")
                                    // TLS 1.3 reports a missing client certificate this way.
                                    ? " and the schema.registry.ssl.* settings (a registry that"
                                            + " requires a client certificate drops connections"
                                            + " without one)"
                                    : ", or start the local stack with ./fovea local up"),
                    0,
                    0,
                    e);
        } catch (InterruptedException e) {
            throw new InterruptException(
                    "interrupted while calling the schema registry at " + url, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw failure(method + " " + path, response, target);
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new SchemaRegistryException(
                    "the schema registry at "
                            + url
                            + " answered "
                            + method
                            + " "
                            + path
                            + " with something that is not JSON ("
                            + excerpt(response.body())
                            + "): is "
                            + URL_CONFIG
                            + " the URL of a schema registry?",
                    response.statusCode(),
                    0);
        }
    }

    private SchemaRegistryException failure(
            String request, HttpResponse<byte[]> response, Target target) {
        int status = response.statusCode();
        JsonNode error = readErrorBody(response.body());
        int code = error.path("error_code").asInt(status);
        String reason = error.path("message").asText(excerpt(response.body()));
        if (status >= 500) {
            return new RegistryUnavailableException(
                    "the schema registry at "
                            + url
                            + " failed on "
                            + request
                            + " with HTTP "
                            + status
                            + " (error_code "
                            + code
                            + ": "
                            + reason
                            + "): it is reachable but cannot "
                            + "serve requests; retry later, or look at its log",
                    status,
                    code,
                    null);
        }
        return new SchemaRegistryException(
                explain(request, status, code, reason, target), status, code);
    }

    private String explain(String request, int status, int code, String reason, Target target) {
        String subject = target.subject;
        if (status == 401 || status == 403) {
            return "the schema registry at "
                    + url
                    + " refused "
                    + request
                    + " with HTTP "
                    + status
                    + " ("
                    + reason
                    + "): check "
                    + USER_INFO_CONFIG
                    + ", or the user:password in "
                    + URL_CONFIG;
        }
        switch (code) {
            case SUBJECT_NOT_FOUND:
                return "subject '"
                        + subject
                        + "' not found in the schema registry at "
                        + url
                        + ": nothing is registered under it yet; register the schema first"
                        + " (producers with auto.register.schemas=true do)";
            case VERSION_NOT_FOUND:
                return "subject '"
                        + subject
                        + "' has no version "
                        + target.version
                        + " in the schema registry at "
                        + url
                        + "; its versions are listed at "
                        + url
                        + subjectPath(subject)
                        + "/versions";
            case SCHEMA_NOT_FOUND:
                return target.id != null
                        ? "unknown schema id "
                                + target.id
                                + ": the record was written against a different registry? This "
                                + "one is "
                                + url
                                + "; check that "
                                + URL_CONFIG
                                + " is the producers' one"
                        : "the schema is not registered under subject '"
                                + subject
                                + "' in the schema registry at "
                                + url
                                + ": register it first (producers with auto.register.schemas=true"
                                + " do)";
            case INCOMPATIBLE_SCHEMA:
                return "the schema is incompatible with subject '"
                        + subject
                        + "' under compatibility level "
                        + effectiveCompatibility(subject)
                        + " ("
                        + reason
                        + "): make the change compatible, such as by giving a new field a default,"
                        + " or if the break is intended, change the level with PUT "
                        + url
                        + "/config/"
                        + encode(subject);
            case INVALID_SCHEMA:
                return "the schema registry at "
                        + url
                        + " rejected the schema for subject '"
                        + subject
                        + "' as invalid: "
                        + reason;
            default:
                return "the schema registry at "
                        + url
                        + " answered "
                        + request
                        + " with HTTP "
                        + status
                        + " (error_code "
                        + code
                        + "): "
                        + reason;
        }
    }

    /**
     * For the 409 message only: an error while explaining an error should not hide the first one.
     */
    private String effectiveCompatibility(String subject) {
        try {
            return subjectCompatibility(subject).orElseGet(this::globalCompatibility).name();
        } catch (SchemaRegistryException e) {
            return "(unknown: " + e.getMessage() + ")";
        }
    }

    /**
     * The JDK's HTTP client often throws a ConnectException without a message: name the cause
     * ourselves.
     */
    private String describe(IOException failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpConnectTimeoutException) {
                return "no connection within " + connectTimeout.toMillis() + " ms";
            }
            if (cause instanceof HttpTimeoutException) {
                return "no answer within " + requestTimeout.toMillis() + " ms";
            }
            if (cause instanceof UnresolvedAddressException
                    || cause instanceof UnknownHostException) {
                return "unknown host " + URI.create(url).getHost();
            }
            if (cause instanceof ConnectException && cause.getMessage() != null) {
                return cause.getMessage();
            }
        }
        return failure instanceof ConnectException ? "connection refused" : failure.toString();
    }

    private static Stream<Throwable> causes(Throwable e) {
        return Stream.iterate(e, t -> t != null, Throwable::getCause);
    }

    /** The innermost message: the JDK's TLS exceptions repeat their cause's text in layers. */
    private static String rootMessage(Throwable e) {
        String message = e.toString();
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                message = cause.getMessage();
            }
        }
        return message;
    }

    private RegisteredSchema registered(JsonNode answer) {
        int id = answer.path("id").asInt();
        Schema schema =
                schemasById.computeIfAbsent(id, key -> parse(answer.path("schema").asText()));
        return new RegisteredSchema(
                answer.path("subject").asText(), answer.path("version").asInt(), id, schema);
    }

    private Schema parse(String schema) {
        try {
            return new Schema.Parser().parse(schema);
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException(
                    "the schema registry at "
                            + url
                            + " returned a schema Avro cannot "
                            + "parse ("
                            + e.getMessage()
                            + "): "
                            + schema,
                    200,
                    INVALID_SCHEMA);
        }
    }

    /**
     * A URL with its {@code user:password@} replaced, for messages. Up to the last {@code @} before
     * the path: a malformed URL may hold a raw {@code @} or a space in its password.
     */
    static String withoutUserInfo(String text) {
        return text.replaceAll("(?i)\\b([a-z][a-z0-9+.-]*://)[^/]*@", "$1[hidden]@");
    }

    private static JsonNode readErrorBody(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }

    private static String excerpt(byte[] body) {
        String text = new String(body, UTF_8).strip();
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }

    private static ObjectNode schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString());
    }

    private static ObjectNode compatibilityBody(CompatibilityLevel level) {
        return JSON.createObjectNode().put("compatibility", level.name());
    }

    private static String subjectPath(String subject) {
        return "/subjects/" + encode(subject);
    }

    private static String encode(String pathSegment) {
        return URLEncoder.encode(pathSegment, UTF_8).replace("+", "%20");
    }

    private record SubjectSchema(String subject, Schema schema) {}

    /** What a request was about, so that an error can say which subject, version or id is wrong. */
    private record Target(String subject, String version, Integer id) {
        static final Target NONE = new Target(null, null, null);

        static Target subject(String subject) {
            return new Target(subject, null, null);
        }

        static Target schemaId(int id) {
            return new Target(null, null, id);
        }
    }

    /** Settings of a client; only the URL is required. */
    public static final class Builder {
        private final String url;
        private Optional<String> userInfo;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private TrustManager[] trustManagers;
        private KeyManager[] keyManagers;

        private Builder(String url) {
            URI uri;
            try {
                uri = new URI(Objects.requireNonNull(url, URL_CONFIG).strip());
            } catch (URISyntaxException e) {
                // The URL may carry a password, and this message goes to the user and the log.
                throw new ConfigException(
                        URL_CONFIG
                                + " '"
                                + withoutUserInfo(url)
                                + "' is not a URL: "
                                + e.getReason()
                                + " at index "
                                + e.getIndex());
            }
            if (uri.getHost() == null
                    || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new ConfigException(
                        URL_CONFIG
                                + " '"
                                + withoutUserInfo(url)
                                + "' is not an http(s) URL with a host, such as "
                                + "http://localhost:8081");
            }
            this.userInfo = Optional.ofNullable(uri.getUserInfo());
            // Credentials stay out of the URL used in requests and, above all, in
            // messages and logs.
            String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
            this.url =
                    uri.getScheme()
                            + "://"
                            + uri.getHost()
                            + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                            + path;
        }

        /** Basic authentication as {@code user:password}; overrides credentials in the URL. */
        public Builder basicAuth(String userInfo) {
            this.userInfo = Optional.of(userInfo);
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /** How long one request may take, from sending to the whole answer. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /**
         * Trusts the certificates in this store (PKCS12 or JKS) instead of the JVM's default ones,
         * for an HTTPS registry with a private CA or a self-signed certificate.
         *
         * @param password null for a store without one
         * @param type null to recognise it from the file
         * @throws ConfigException when the store cannot be read or the password is wrong
         */
        public Builder trustStore(Path location, String password, String type) {
            KeyStore store =
                    load(
                            TRUSTSTORE_LOCATION_CONFIG,
                            TRUSTSTORE_PASSWORD_CONFIG,
                            location,
                            password,
                            type);
            try {
                TrustManagerFactory factory =
                        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(store);
                this.trustManagers = factory.getTrustManagers();
            } catch (GeneralSecurityException e) {
                throw new ConfigException(
                        TRUSTSTORE_LOCATION_CONFIG, location.toString(), e.getMessage());
            }
            return this;
        }

        /**
         * Presents the certificate in this store to registries that require client certificates.
         *
         * @param keyPassword the private key's password; null when it is the store's
         * @throws ConfigException when the store or its key cannot be read
         */
        public Builder keyStore(Path location, String password, String keyPassword, String type) {
            KeyStore store =
                    load(
                            KEYSTORE_LOCATION_CONFIG,
                            KEYSTORE_PASSWORD_CONFIG,
                            location,
                            password,
                            type);
            String forKey = keyPassword != null ? keyPassword : password;
            try {
                KeyManagerFactory factory =
                        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(store, forKey == null ? new char[0] : forKey.toCharArray());
                this.keyManagers = factory.getKeyManagers();
            } catch (GeneralSecurityException e) {
                throw new ConfigException(
                        KEYSTORE_LOCATION_CONFIG,
                        location.toString(),
                        "cannot read its private key ("
                                + e.getMessage()
                                + "): check "
                                + KEY_PASSWORD_CONFIG);
            }
            return this;
        }

        private static KeyStore load(
                String setting,
                String passwordSetting,
                Path location,
                String password,
                String type) {
            if (!Files.isRegularFile(location)) {
                throw new ConfigException(setting, location.toString(), "no such file");
            }
            char[] secret = password == null ? null : password.toCharArray();
            try {
                if (type == null || type.isBlank()) {
                    return KeyStore.getInstance(location.toFile(), secret);
                }
                KeyStore store = KeyStore.getInstance(type.strip());
                try (InputStream in = Files.newInputStream(location)) {
                    store.load(in, secret);
                }
                return store;
            } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
                if (causes(e)
                        .anyMatch(
                                cause ->
                                        cause instanceof UnrecoverableKeyException
                                                || cause instanceof BadPaddingException)) {
                    // A wrong password shows as a failed decryption; the JDK never echoes it.
                    throw new ConfigException(
                            setting,
                            location.toString(),
                            "cannot be opened with the password given: check " + passwordSetting);
                }
                throw new ConfigException(
                        setting,
                        location.toString(),
                        "cannot be read as a PKCS12 or JKS key store ("
                                + rootMessage(e)
                                + "): check the file and "
                                + passwordSetting);
            }
        }

        /** Null when neither store is set: the JDK's default context. */
        private SSLContext sslContext() {
            if (trustManagers == null && keyManagers == null) {
                return null;
            }
            try {
                SSLContext context = SSLContext.getInstance("TLS");
                // Null managers mean the JDK's defaults for that half.
                context.init(keyManagers, trustManagers, null);
                return context;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK offers no TLS context", e);
            }
        }

        public HttpSchemaRegistryClient build() {
            return new HttpSchemaRegistryClient(this);
        }
    }
}
