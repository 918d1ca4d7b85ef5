package dev.fovea.schemas.registry;

import static dev.fovea.schemas.registry.HttpSchemaRegistryClient.CREDENTIALS_SOURCE_CONFIG;
import static dev.fovea.schemas.registry.HttpSchemaRegistryClient.KEYSTORE_LOCATION_CONFIG;
import static dev.fovea.schemas.registry.HttpSchemaRegistryClient.KEYSTORE_PASSWORD_CONFIG;
import static dev.fovea.schemas.registry.HttpSchemaRegistryClient.TRUSTSTORE_LOCATION_CONFIG;
import static dev.fovea.schemas.registry.HttpSchemaRegistryClient.TRUSTSTORE_PASSWORD_CONFIG;
import static dev.fovea.schemas.registry.HttpSchemaRegistryClient.URL_CONFIG;
import static dev.fovea.schemas.registry.HttpSchemaRegistryClient.USER_INFO_CONFIG;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Basic authentication as Confluent's clients configure it, and HTTPS with a private trust store
 * and client certificates, against {@link StubServer}. The certificates are made for the test by
 * the JDK's keytool: the JDK has no public API to issue one.
 */
class HttpSchemaRegistryClientSecurityTest {
    private static final String SUBJECTS = "[\"images.raw-value\"]";
    private static final String STORE_PASSWORD = "store-s3cret";
    private static final String TRUST_PASSWORD = "trust-s3cret";

    @TempDir static Path dir;

    /** The registry's key pair, its certificate naming localhost and 127.0.0.1. */
    private static Path serverKeys;

    /** A trust store holding only the registry's certificate. */
    private static Path trustStore;

    /** The worker's key pair, for registries that require client certificates. */
    private static Path clientKeys;

    @BeforeAll
    static void makeCertificates() throws Exception {
        serverKeys = keyPair("registry", "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1");
        clientKeys = keyPair("worker", "CN=fovea-worker", null);
        trustStore = trustStoreOf(serverKeys, "registry", "trust.p12");
    }

    @Test
    void shouldTalkHttpsToARegistryWhoseCertificateIsInTheConfiguredTrustStore() throws Exception {
        try (StubServer stub =
                StubServer.answeringOverHttps(200, SUBJECTS, serverContext(false), false)) {
            HttpSchemaRegistryClient client =
                    HttpSchemaRegistryClient.fromConfig(
                            Map.of(
                                    URL_CONFIG,
                                    stub.url(),
                                    CREDENTIALS_SOURCE_CONFIG,
                                    "USER_INFO",
                                    USER_INFO_CONFIG,
                                    "fovea:s3cret",
                                    TRUSTSTORE_LOCATION_CONFIG,
                                    trustStore.toString(),
                                    TRUSTSTORE_PASSWORD_CONFIG,
                                    new Password(TRUST_PASSWORD)));

            assertEquals(List.of("images.raw-value"), client.subjects());
            assertEquals(basic("fovea:s3cret"), stub.lastAuthorization());
        }
    }

    @Test
    void shouldRefuseAnUntrustedCertificateAtOnceNamingTheTrustStoreSetting() throws Exception {
        try (StubServer stub =
                StubServer.answeringOverHttps(200, SUBJECTS, serverContext(false), false)) {
            // No trust store: the JVM's CAs, which never signed a certificate made by this test.
            HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(stub.url());

            SchemaRegistryException e =
                    assertThrows(SchemaRegistryException.class, client::subjects);

            assertFalse(
                    e instanceof RegistryUnavailableException,
                    "retrying cannot make a certificate trusted: " + e.getMessage());
            assertTrue(
                    e.getMessage()
                            .startsWith(
                                    "the schema registry at "
                                            + stub.url()
                                            + " presented a certificate this client does not"
                                            + " trust ("),
                    e.getMessage());
            assertTrue(
                    e.getMessage().contains("set schema.registry.ssl.truststore.location"),
                    e.getMessage());
            assertEquals(0, stub.requests());
        }
    }

    @Test
    void shouldPresentTheConfiguredClientCertificateToARegistryThatRequiresOne() throws Exception {
        try (StubServer stub =
                StubServer.answeringOverHttps(200, SUBJECTS, serverContext(true), true)) {
            HttpSchemaRegistryClient withCertificate =
                    HttpSchemaRegistryClient.fromConfig(
                            Map.of(
                                    URL_CONFIG,
                                    stub.url(),
                                    TRUSTSTORE_LOCATION_CONFIG,
                                    trustStore.toString(),
                                    TRUSTSTORE_PASSWORD_CONFIG,
                                    TRUST_PASSWORD,
                                    KEYSTORE_LOCATION_CONFIG,
                                    clientKeys.toString(),
                                    KEYSTORE_PASSWORD_CONFIG,
                                    STORE_PASSWORD));
            HttpSchemaRegistryClient without =
                    HttpSchemaRegistryClient.builder(stub.url())
                            .trustStore(trustStore, TRUST_PASSWORD, "PKCS12")
                            .build();

            assertEquals(List.of("images.raw-value"), withCertificate.subjects());
            SchemaRegistryException refused =
                    assertThrows(SchemaRegistryException.class, without::subjects);
            assertTrue(
                    refused.getMessage().contains("the schema.registry.ssl.* settings"),
                    refused.getMessage());
            assertEquals(1, stub.requests(), "the registry never saw the request without one");
        }
    }

    @Test
    void shouldRefuseATrustStoreWithAWrongPasswordNamingThePasswordSettingNotThePassword() {
        ConfigException e =
                assertThrows(
                        ConfigException.class,
                        () ->
                                HttpSchemaRegistryClient.fromConfig(
                                        Map.of(
                                                URL_CONFIG,
                                                "https://localhost:8081",
                                                TRUSTSTORE_LOCATION_CONFIG,
                                                trustStore.toString(),
                                                TRUSTSTORE_PASSWORD_CONFIG,
                                                "not-the-s3cret")));

        assertEquals(
                "Invalid value "
                        + trustStore
                        + " for configuration schema.registry.ssl.truststore.location: cannot be"
                        + " opened with the password given: check"
                        + " schema.registry.ssl.truststore.password",
                e.getMessage());
    }

    @Test
    void shouldNameTheSettingOfAMissingTrustStore() {
        Path missing = dir.resolve("missing.p12");

        ConfigException e =
                assertThrows(
                        ConfigException.class,
                        () ->
                                HttpSchemaRegistryClient.fromConfig(
                                        Map.of(
                                                URL_CONFIG,
                                                "https://localhost:8081",
                                                TRUSTSTORE_LOCATION_CONFIG,
                                                missing.toString())));

        assertEquals(
                "Invalid value "
                        + missing
                        + " for configuration schema.registry.ssl.truststore.location: no such"
                        + " file",
                e.getMessage());
    }

    @Test
    void shouldSendUserInfoCredentialsWhenTheSourceIsUserInfo() {
        try (StubServer stub = StubServer.answering(200, SUBJECTS)) {
            HttpSchemaRegistryClient client =
                    HttpSchemaRegistryClient.fromConfig(
                            Map.of(
                                    URL_CONFIG,
                                    stub.url().replace("http://", "http://from:url@"),
                                    CREDENTIALS_SOURCE_CONFIG,
                                    "USER_INFO",
                                    USER_INFO_CONFIG,
                                    new Password("fovea:s3cret")));

            client.subjects();

            assertEquals(basic("fovea:s3cret"), stub.lastAuthorization());
        }
    }

    @Test
    void shouldSendTheUrlCredentialsWhenTheSourceIsUrl() {
        try (StubServer stub = StubServer.answering(200, SUBJECTS)) {
            HttpSchemaRegistryClient client =
                    HttpSchemaRegistryClient.fromConfig(
                            Map.of(
                                    URL_CONFIG,
                                    stub.url().replace("http://", "http://from:url@"),
                                    CREDENTIALS_SOURCE_CONFIG,
                                    "URL",
                                    USER_INFO_CONFIG,
                                    "ignored:then"));

            client.subjects();

            assertEquals(basic("from:url"), stub.lastAuthorization());
        }
    }

    @Test
    void shouldRefuseTheUserInfoSourceWithoutUserInfo() {
        ConfigException e =
                assertThrows(
                        ConfigException.class,
                        () ->
                                HttpSchemaRegistryClient.fromConfig(
                                        Map.of(
                                                URL_CONFIG,
                                                "http://localhost:8081",
                                                CREDENTIALS_SOURCE_CONFIG,
                                                "USER_INFO")));

        assertEquals(
                "basic.auth.credentials.source=USER_INFO takes the credentials from"
                        + " basic.auth.user.info, which is not set: set it to user:password",
                e.getMessage());
    }

    @Test
    void shouldRefuseSaslInheritAsUnsupported() {
        ConfigException e =
                assertThrows(
                        ConfigException.class,
                        () ->
                                HttpSchemaRegistryClient.fromConfig(
                                        Map.of(
                                                URL_CONFIG,
                                                "http://localhost:8081",
                                                CREDENTIALS_SOURCE_CONFIG,
                                                "SASL_INHERIT")));

        assertTrue(
                e.getMessage()
                        .startsWith(
                                "basic.auth.credentials.source 'SASL_INHERIT' is not supported:"
                                        + " use USER_INFO"),
                e.getMessage());
    }

    @Test
    void shouldKeepTheUrlPasswordOutOfTheMessageOfAnUnusableUrl() {
        for (String url :
                List.of(
                        "http://fovea:s3cr et@localhost:8081",
                        "ftp://fovea:s3cret@localhost:8081",
                        "http://fovea:s3@cret@/nohost")) {
            ConfigException e =
                    assertThrows(ConfigException.class, () -> new HttpSchemaRegistryClient(url));

            assertTrue(e.getMessage().startsWith("schema.registry.url '"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cr"), e.getMessage());
            assertFalse(e.getMessage().contains("cret"), e.getMessage());
        }
    }

    private static String basic(String userInfo) {
        return "Basic "
                + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    /** The registry's TLS context; with {@code trustClient}, it trusts the worker's certificate. */
    private static SSLContext serverContext(boolean trustClient) throws Exception {
        KeyManagerFactory keys =
                KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(load(serverKeys, STORE_PASSWORD), STORE_PASSWORD.toCharArray());
        TrustManagerFactory trust = null;
        if (trustClient) {
            trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(load(trustStoreOf(clientKeys, "worker", "clients.p12"), TRUST_PASSWORD));
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
        return context;
    }

    /** A PKCS12 key store with a new EC key pair and its self-signed certificate. */
    private static Path keyPair(String alias, String subject, String extension)
            throws IOException, InterruptedException {
        Path store = dir.resolve(alias + "-keys.p12");
        List<String> command =
                new java.util.ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "keytool")
                                        .toString(),
                                "-genkeypair",
                                "-alias",
                                alias,
                                "-keyalg",
                                "EC",
                                "-groupname",
                                "secp256r1",
                                "-dname",
                                subject,
                                "-validity",
                                "2",
                                "-storetype",
                                "PKCS12",
                                "-keystore",
                                store.toString(),
                                "-storepass",
                                STORE_PASSWORD));
        if (extension != null) {
            command.add("-ext");
            command.add(extension);
        }
        Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, keytool.waitFor(), "keytool failed: " + output);
        return store;
    }

    /** A trust store holding the certificate of {@code alias} in {@code keys}, and nothing else. */
    private static Path trustStoreOf(Path keys, String alias, String name)
            throws IOException, GeneralSecurityException {
        Certificate certificate = load(keys, STORE_PASSWORD).getCertificate(alias);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry(alias, certificate);
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            trust.store(out, TRUST_PASSWORD.toCharArray());
        }
        return file;
    }

    private static KeyStore load(Path file, String password)
            throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password.toCharArray());
        }
        return store;
    }
}
