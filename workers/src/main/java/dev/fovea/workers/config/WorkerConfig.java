package dev.fovea.workers.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;

import dev.fovea.schemas.registry.HttpSchemaRegistryClient;
import dev.fovea.topology.crops.CropScheme;
import dev.fovea.topology.image.DecoderLimits;
import dev.fovea.workers.image.Preprocessing;
import dev.fovea.workers.image.ResizeMode;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every setting of a worker: one typed, documented, validated definition per key, in the manner of
 * Kafka's own {@code StreamsConfig}. Values come, in rising precedence, from the defaults, a
 * properties file, the environment and explicit overrides (command-line options).
 *
 * <p>Environment: {@code FOVEA_MODEL_PATH} sets {@code model.path} (upper case, {@code _} for
 * {@code .}); {@code KAFKA_SECURITY_PROTOCOL} sets {@code kafka.security.protocol}, and every
 * {@code kafka.*} key is passed, without the prefix, to the Kafka Streams client, its consumers and
 * producers, so any Kafka client setting (security, timeouts, tuning) works unchanged.
 */
public final class WorkerConfig extends AbstractConfig {
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String SCHEMA_REGISTRY_CREDENTIALS_SOURCE =
            HttpSchemaRegistryClient.CREDENTIALS_SOURCE_CONFIG;
    public static final String SCHEMA_REGISTRY_USER_INFO =
            HttpSchemaRegistryClient.USER_INFO_CONFIG;
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_LOCATION =
            HttpSchemaRegistryClient.TRUSTSTORE_LOCATION_CONFIG;
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD =
            HttpSchemaRegistryClient.TRUSTSTORE_PASSWORD_CONFIG;
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_TYPE =
            HttpSchemaRegistryClient.TRUSTSTORE_TYPE_CONFIG;
    public static final String SCHEMA_REGISTRY_KEYSTORE_LOCATION =
            HttpSchemaRegistryClient.KEYSTORE_LOCATION_CONFIG;
    public static final String SCHEMA_REGISTRY_KEYSTORE_PASSWORD =
            HttpSchemaRegistryClient.KEYSTORE_PASSWORD_CONFIG;
    public static final String SCHEMA_REGISTRY_KEY_PASSWORD =
            HttpSchemaRegistryClient.KEY_PASSWORD_CONFIG;
    public static final String SCHEMA_REGISTRY_KEYSTORE_TYPE =
            HttpSchemaRegistryClient.KEYSTORE_TYPE_CONFIG;
    public static final String SCHEMA_REGISTRY_RETRY_TIMEOUT_MS =
            "schema.registry.retry.timeout.ms";
    public static final String APPLICATION_ID = "application.id";
    public static final String PROCESSING_GUARANTEE = "processing.guarantee";
    public static final String STREAM_THREADS = "num.stream.threads";
    public static final String TOPIC_IMAGES = "topic.images";
    public static final String TOPIC_PREDICTIONS = "topic.predictions";
    public static final String TOPIC_DEAD_LETTERS = "topic.dead.letters";
    public static final String MODEL_PATH = "model.path";
    public static final String MODEL_NAME = "model.name";
    public static final String MODEL_VERSION = "model.version";
    public static final String MODEL_PREPROCESSING = "model.preprocessing";
    public static final String MODEL_OUTPUT = "model.output";
    public static final String MODEL_RESIZE = "model.resize";
    public static final String MODEL_LABELS = "model.labels";
    public static final String MODEL_SIGNATURE = "model.signature";
    public static final String MODEL_CROPS = "model.crops";
    public static final String ENSEMBLE_MEMBERS = "ensemble.members";
    public static final String ENSEMBLE_NAME = "ensemble.name";
    public static final String ENSEMBLE_WEIGHTS = "ensemble.weights";
    public static final String ENSEMBLE_CROPS = "ensemble.crops";
    public static final String ENSEMBLE_PUBLISH_MEMBERS = "ensemble.publish.members";
    public static final String INFERENCE_THREADS = "inference.intra.op.threads";
    public static final String INFERENCE_MAX_BATCH_SIZE = "inference.max.batch.size";
    public static final String INFERENCE_MAX_QUEUE_DELAY_MS = "inference.max.queue.delay.ms";
    public static final String INFERENCE_TIMEOUT_MS = "inference.timeout.ms";
    public static final String GPU_VISIBLE_DEVICES = "inference.gpu.visible.devices";
    public static final String GPU_ALLOW_GROWTH = "inference.gpu.allow.growth";
    public static final String TOP_K = "top.k";
    public static final String PUBLISH_PROBABILITIES = "output.probabilities";
    public static final String IMAGE_MAX_BYTES = DecoderLimits.MAX_BYTES_KEY;
    public static final String IMAGE_MAX_PIXELS = DecoderLimits.MAX_PIXELS_KEY;
    public static final String IMAGE_MAX_ASPECT_RATIO = DecoderLimits.MAX_ASPECT_RATIO_KEY;
    public static final String DEAD_LETTER_MAX_VALUE_BYTES = "dead.letter.max.value.bytes";
    public static final String SCHEMA_AUTO_REGISTER = "schema.auto.register";
    public static final String WORKER_ID = "worker.id";
    public static final String STARTUP_TIMEOUT_MS = "startup.timeout.ms";
    public static final String METRICS_PORT = "metrics.port";
    public static final String SHUTDOWN_GRACE_MS = "shutdown.grace.ms";
    public static final String LOG_FORMAT = "log.format";
    public static final String LOG_LEVEL = "log.level";

    /** Keys with this prefix go, without it, to the Kafka clients. */
    public static final String KAFKA_PREFIX = "kafka.";

    /**
     * The default of settings whose value is decided elsewhere (the model's metadata, the host).
     */
    private static final String UNSET = "";

    public static final ConfigDef DEFINITION =
            new ConfigDef()
                    .define(
                            BOOTSTRAP_SERVERS,
                            Type.STRING,
                            "localhost:9092",
                            HIGH,
                            "Kafka brokers to bootstrap from, host:port[,host:port...].")
                    .define(
                            SCHEMA_REGISTRY_URL,
                            Type.STRING,
                            "http://localhost:8081",
                            HIGH,
                            "Confluent-compatible Schema Registry URL, http or https. Basic-auth"
                                    + " credentials may be given as https://user:password@host"
                                    + " (hidden in logs), or with basic.auth.user.info.")
                    .define(
                            SCHEMA_REGISTRY_CREDENTIALS_SOURCE,
                            Type.STRING,
                            UNSET,
                            anyOf(List.of("USER_INFO", "URL")),
                            LOW,
                            "Where the registry's basic-auth credentials come from, as in"
                                    + " Confluent's clients: USER_INFO (basic.auth.user.info) or"
                                    + " URL (the user:password@ of schema.registry.url). Default:"
                                    + " basic.auth.user.info when set, else the URL's.")
                    .define(
                            SCHEMA_REGISTRY_USER_INFO,
                            Type.PASSWORD,
                            null,
                            MEDIUM,
                            "user:password for the registry's basic authentication; hidden in"
                                    + " logs.")
                    .define(
                            SCHEMA_REGISTRY_TRUSTSTORE_LOCATION,
                            Type.STRING,
                            UNSET,
                            LOW,
                            "Trust store (PKCS12 or JKS) with the CA of an https registry's"
                                    + " certificate. Default: the JVM's trusted CAs.")
                    .define(
                            SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD,
                            Type.PASSWORD,
                            null,
                            LOW,
                            "Password of the registry trust store; hidden in logs.")
                    .define(
                            SCHEMA_REGISTRY_TRUSTSTORE_TYPE,
                            Type.STRING,
                            UNSET,
                            LOW,
                            "PKCS12 or JKS. Default: recognised from the file.")
                    .define(
                            SCHEMA_REGISTRY_KEYSTORE_LOCATION,
                            Type.STRING,
                            UNSET,
                            LOW,
                            "Key store with this worker's certificate, for a registry that"
                                    + " requires client certificates (mutual TLS).")
                    .define(
                            SCHEMA_REGISTRY_KEYSTORE_PASSWORD,
                            Type.PASSWORD,
                            null,
                            LOW,
                            "Password of the registry key store; hidden in logs.")
                    .define(
                            SCHEMA_REGISTRY_KEY_PASSWORD,
                            Type.PASSWORD,
                            null,
                            LOW,
                            "Password of the private key in the registry key store, where it"
                                    + " differs from the store's; hidden in logs.")
                    .define(
                            SCHEMA_REGISTRY_KEYSTORE_TYPE,
                            Type.STRING,
                            UNSET,
                            LOW,
                            "PKCS12 or JKS. Default: recognised from the file.")
                    .define(
                            SCHEMA_REGISTRY_RETRY_TIMEOUT_MS,
                            Type.LONG,
                            60_000L,
                            Range.between(0L, 240_000L),
                            LOW,
                            "How long a stream thread waits, retrying with backoff, for an"
                                + " unreachable registry when a record carries a schema id it has"
                                + " not fetched yet (schemas already fetched are cached and need no"
                                + " registry). The thread's partitions pause meanwhile; if the"
                                + " registry is still down, the worker stops without committing the"
                                + " record, which is read again on restart. Keep it well under the"
                                + " consumer's max.poll.interval.ms (300000 by default).")
                    .define(
                            APPLICATION_ID,
                            Type.STRING,
                            "fovea",
                            HIGH,
                            "Kafka Streams application id: the consumer group and prefix of"
                                + " internal topics. Workers with the same id share the partitions"
                                + " of the images topic.")
                    .define(
                            PROCESSING_GUARANTEE,
                            Type.STRING,
                            "at_least_once",
                            ValidString.in("at_least_once", "exactly_once_v2"),
                            HIGH,
                            "at_least_once, or exactly_once_v2 (transactions; consumers of the"
                                    + " outputs should use isolation.level=read_committed).")
                    .define(
                            STREAM_THREADS,
                            Type.INT,
                            1,
                            Range.atLeast(1),
                            MEDIUM,
                            "Stream threads per worker; each works on its own partitions. The"
                                + " images topic needs at least workers x threads partitions for"
                                + " all of them to be busy.")
                    .define(
                            TOPIC_IMAGES,
                            Type.STRING,
                            "images.raw",
                            HIGH,
                            "Topic of ImageEvent records to classify.")
                    .define(
                            TOPIC_PREDICTIONS,
                            Type.STRING,
                            "predictions",
                            HIGH,
                            "Topic the Prediction records go to.")
                    .define(
                            TOPIC_DEAD_LETTERS,
                            Type.STRING,
                            "images.dlq",
                            HIGH,
                            "Topic the DeadLetter records (bad input, with a reason) go to.")
                    .define(
                            MODEL_PATH,
                            Type.STRING,
                            UNSET,
                            HIGH,
                            "Directory of the SavedModel to serve (with a serving_default signature"
                                    + " taking a float image [-1,H,W,3]). Required, unless"
                                    + " ensemble.members names the models instead.")
                    .define(
                            MODEL_NAME,
                            Type.STRING,
                            UNSET,
                            MEDIUM,
                            "Model name published in predictions. Default: from fovea-model.json,"
                                    + " else the directory name.")
                    .define(
                            MODEL_VERSION,
                            Type.STRING,
                            UNSET,
                            MEDIUM,
                            "Model version published in predictions. Default: from"
                                    + " fovea-model.json, else 1.")
                    .define(
                            MODEL_PREPROCESSING,
                            Type.STRING,
                            UNSET,
                            anyOf(Preprocessing.ids()),
                            HIGH,
                            "Input preprocessing: inception ([-1,1]), caffe (BGR minus the ImageNet"
                                + " mean), unit ([0,1]), torch (ImageNet mean/std), raw (0-255, for"
                                + " models that scale inside). Default: from fovea-model.json;"
                                + " required for other models.")
                    .define(
                            MODEL_OUTPUT,
                            Type.STRING,
                            UNSET,
                            anyOf(List.of("probabilities", "logits")),
                            MEDIUM,
                            "What the model outputs; logits are softmaxed by the worker. Default:"
                                    + " from fovea-model.json, else probabilities.")
                    .define(
                            MODEL_RESIZE,
                            Type.STRING,
                            UNSET,
                            anyOf(ResizeMode.ids()),
                            LOW,
                            "Bilinear resize convention: half_pixel (TF2 default) or align_corners"
                                + " (TF1, TF.js). Default: from fovea-model.json, else half_pixel.")
                    .define(
                            MODEL_LABELS,
                            Type.STRING,
                            UNSET,
                            MEDIUM,
                            "Labels file, one per line in class order. Default: labels.txt beside"
                                    + " the model; without one, labels are class_N.")
                    .define(
                            MODEL_SIGNATURE,
                            Type.STRING,
                            "serving_default",
                            LOW,
                            "SavedModel signature to call.")
                    .define(
                            MODEL_CROPS,
                            Type.STRING,
                            CropScheme.RESIZE.id(),
                            ValidString.in(CropScheme.ids().toArray(String[]::new)),
                            MEDIUM,
                            "Crops run per image, their probabilities averaged: resize (the whole"
                                + " image), center (the central 87.5%), 10crop (corners and centre,"
                                + " mirrored), 144crop (GoogLeNet's 4 scales x 3 squares x 6 crops,"
                                + " mirrored) or vgg150 (VGG's 3 scales x 5x5 grid, mirrored).")
                    .define(
                            ENSEMBLE_MEMBERS,
                            Type.LIST,
                            List.of(),
                            MEDIUM,
                            "Model directories of an ensemble, comma-separated, served instead of"
                                + " model.path: one prediction per image, the weighted mean of the"
                                + " members' crop-averaged probabilities. Members must share their"
                                + " labels; each takes its name, version, preprocessing and resize"
                                + " from its fovea-model.json.")
                    .define(
                            ENSEMBLE_NAME,
                            Type.STRING,
                            "ensemble",
                            MEDIUM,
                            "The ensemble's name, published as Prediction.model.")
                    .define(
                            ENSEMBLE_WEIGHTS,
                            Type.LIST,
                            List.of(),
                            MEDIUM,
                            "Weights of the members, in their order (only ratios matter)."
                                    + " Default: equal.")
                    .define(
                            ENSEMBLE_CROPS,
                            Type.LIST,
                            List.of(),
                            MEDIUM,
                            "Crop scheme of each member, in their order, or one for all. Default:"
                                    + " model.crops for every member.")
                    .define(
                            ENSEMBLE_PUBLISH_MEMBERS,
                            Type.BOOLEAN,
                            false,
                            LOW,
                            "Also publish each member's own prediction (its crop average) next to"
                                    + " the ensemble's.")
                    .define(
                            INFERENCE_THREADS,
                            Type.INT,
                            0,
                            Range.atLeast(0),
                            MEDIUM,
                            "TensorFlow intra-op threads; 0 lets TensorFlow use every core.")
                    .define(
                            INFERENCE_MAX_BATCH_SIZE,
                            Type.INT,
                            16,
                            Range.between(1, 1024),
                            MEDIUM,
                            "Most crops (images, with a single-crop scheme) per model run. The"
                                + " crops of waiting stream threads are batched together: a batch"
                                + " runs when this many are queued, when every stream thread is"
                                + " waiting, or after inference.max.queue.delay.ms. Batches fill"
                                + " from threads and from crops, so run at least this many stream"
                                + " threads divided by the crops per image to fill them (and give"
                                + " the images topic workers x threads partitions). 1 turns"
                                + " batching off: each thread runs the model on one crop at a"
                                + " time.")
                    .define(
                            INFERENCE_MAX_QUEUE_DELAY_MS,
                            Type.LONG,
                            5L,
                            Range.between(0L, 60_000L),
                            MEDIUM,
                            "Longest an image waits for others to fill its batch, in ms:"
                                    + " the latency paid for larger batches at low load.")
                    .define(
                            INFERENCE_TIMEOUT_MS,
                            Type.LONG,
                            60_000L,
                            Range.atLeast(1_000L),
                            LOW,
                            "A batch that takes longer to run, or a queue of inputs in which"
                                    + " no batch finished for this long, fails the worker, which"
                                    + " restarts from its last commit: a stuck model never stalls"
                                    + " or loses records silently. A long queue that moves (144"
                                    + " crops of an ensemble on a CPU) is not stuck.")
                    .define(
                            GPU_VISIBLE_DEVICES,
                            Type.STRING,
                            "",
                            LOW,
                            "GPU build only: the CUDA devices TensorFlow may use, e.g. 0 or 0,1;"
                                    + " empty for all. One worker per GPU is the usual layout.")
                    .define(
                            GPU_ALLOW_GROWTH,
                            Type.BOOLEAN,
                            true,
                            LOW,
                            "GPU build only: allocate GPU memory as needed instead of taking it"
                                    + " all at startup, so several workers can share a GPU.")
                    .define(
                            TOP_K,
                            Type.INT,
                            5,
                            Range.between(1, 1000),
                            MEDIUM,
                            "Classes per prediction, best first.")
                    .define(
                            PUBLISH_PROBABILITIES,
                            Type.BOOLEAN,
                            false,
                            LOW,
                            "Also publish the full probability vector in each prediction.")
                    .define(
                            IMAGE_MAX_BYTES,
                            Type.INT,
                            DecoderLimits.DEFAULT_MAX_BYTES,
                            Range.atLeast(1),
                            MEDIUM,
                            "Encoded images larger than this are dead-lettered as IMAGE_TOO_LARGE"
                                    + " before decoding. The default, 16 MiB, is the largest record"
                                    + " Fovea's producer tools send and its local broker accepts"
                                    + " (max.request.size, message.max.bytes): a larger limit is"
                                    + " never reached unless those are raised with it.")
                    .define(
                            IMAGE_MAX_PIXELS,
                            Type.LONG,
                            DecoderLimits.DEFAULT_MAX_PIXELS,
                            Range.between(1L, DecoderLimits.MAX_SUPPORTED_PIXELS),
                            MEDIUM,
                            "Images whose header declares more pixels (width x height) are"
                                + " dead-lettered as IMAGE_TOO_LARGE before any pixel memory is"
                                + " allocated (decompression bombs). It bounds the heap a decode"
                                + " takes: about 6 bytes a pixel, up to 14 for 16-bit PNGs with"
                                + " alpha, per stream thread; 240 MB and up at the default of 40"
                                + " megapixels, above what phone cameras save.")
                    .define(
                            IMAGE_MAX_ASPECT_RATIO,
                            Type.DOUBLE,
                            DecoderLimits.DEFAULT_MAX_ASPECT_RATIO,
                            WorkerConfig::atLeastOne,
                            MEDIUM,
                            "Images whose longer side exceeds this many times the shorter are"
                                    + " dead-lettered as IMAGE_TOO_LARGE before decoding. 20 passes"
                                    + " web banners (970x90 is 11:1), panoramas and most scrolling"
                                    + " screenshots; thinner images cost the decoders far more per"
                                    + " pixel (their work is per row) and, stretched onto a square"
                                    + " model input, show nothing a classifier could recognise.")
                    .define(
                            DEAD_LETTER_MAX_VALUE_BYTES,
                            Type.INT,
                            900 * 1024,
                            Range.atLeast(0),
                            MEDIUM,
                            "A dead letter carries the original record for replay up to this size;"
                                + " a larger original is referenced by topic, partition and offset"
                                + " instead. The default fits Kafka's default 1 MiB topic limit;"
                                + " raise both together.")
                    .define(
                            SCHEMA_AUTO_REGISTER,
                            Type.BOOLEAN,
                            true,
                            MEDIUM,
                            "Register the Prediction and DeadLetter schemas at startup; false only"
                                + " looks them up (for registries where the worker may only read).")
                    .define(
                            WORKER_ID,
                            Type.STRING,
                            UNSET,
                            LOW,
                            "Name of this worker in output records. Default: host name and process"
                                    + " id.")
                    .define(
                            STARTUP_TIMEOUT_MS,
                            Type.LONG,
                            15_000L,
                            Range.atLeast(100),
                            LOW,
                            "How long startup checks wait for Kafka and the registry before failing"
                                    + " with a message. An unreachable registry is retried with"
                                    + " exponential backoff (0.1 s doubling to 5 s) for this"
                                    + " long, each attempt logged.")
                    .define(
                            METRICS_PORT,
                            Type.INT,
                            9400,
                            Range.between(-1, 65535),
                            MEDIUM,
                            "Port of the HTTP endpoint, on every interface: /metrics"
                                    + " (Prometheus text), /live, /ready and /startup (200 or"
                                    + " 503). 0 picks a free port (logged); -1 turns it off.")
                    .define(
                            SHUTDOWN_GRACE_MS,
                            Type.LONG,
                            30_000L,
                            Range.atLeast(1_000L),
                            MEDIUM,
                            "On SIGTERM the worker turns not ready, stops polling, finishes the"
                                    + " records in flight, commits, leaves the group, closes its"
                                    + " models and exits 0, all within this long; past it, it"
                                    + " exits 1 with its records uncommitted (read again by"
                                    + " whoever takes the partitions). Keep it under the pod's"
                                    + " terminationGracePeriodSeconds.")
                    .define(
                            LOG_FORMAT,
                            Type.STRING,
                            "text",
                            ValidString.in("text", "json"),
                            LOW,
                            "text: one line per event, time, thread, level, logger, message."
                                    + " json: one JSON object per line (timestamp, level, logger,"
                                    + " thread, message, error, and the event's fields, e.g. a"
                                    + " dead letter's reason and imageId) for log pipelines."
                                    + " TensorFlow's native lines while models load are logged"
                                    + " through it too (logger tensorflow; its INFO at debug).")
                    .define(
                            LOG_LEVEL,
                            Type.STRING,
                            "info",
                            (name, value) -> LogLevels.parse((String) value),
                            LOW,
                            "Level of the log (off, error, warn, info, debug, trace), then"
                                    + " optional logger=level pairs: info,org.apache.kafka=info,"
                                    + "tensorflow=debug. Kafka's loggers stay at warn unless a"
                                    + " pair names them.");

    /** A number of at least 1; NaN, which a plain range lets through, is refused. */
    private static void atLeastOne(String name, Object value) {
        if (!(((Number) value).doubleValue() >= 1.0)) {
            throw new ConfigException(name, value, "must be at least 1");
        }
    }

    /** One of {@code values}, or unset. */
    private static ConfigDef.Validator anyOf(List<String> values) {
        List<String> allowed = new java.util.ArrayList<>(values);
        allowed.add(0, UNSET);
        return ValidString.in(allowed.toArray(String[]::new));
    }

    private WorkerConfig(Map<String, ?> values) {
        super(DEFINITION, values, false);
        if (stringOrNull(MODEL_PATH) == null && getList(ENSEMBLE_MEMBERS).isEmpty()) {
            throw new ConfigException(
                    "no model to serve: set "
                            + MODEL_PATH
                            + " (FOVEA_MODEL_PATH) to a SavedModel directory, or "
                            + ENSEMBLE_MEMBERS
                            + " (FOVEA_ENSEMBLE_MEMBERS) to several");
        }
    }

    /**
     * Layers the sources and validates the result.
     *
     * @param file a properties file, or null
     * @param env the process environment (only {@code FOVEA_*} and {@code KAFKA_*} are read)
     * @param overrides highest precedence, e.g. from command-line options
     * @throws ConfigException naming the key, the value and what is accepted
     */
    public static WorkerConfig load(
            Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> values = new LinkedHashMap<>();
        if (file != null) {
            values.putAll(readFile(file));
        }
        values.putAll(fromEnvironment(env));
        values.putAll(overrides);
        rejectUnknown(values, file);
        return new WorkerConfig(values);
    }

    public static WorkerConfig of(Map<String, String> values) {
        return load(null, Map.of(), values);
    }

    static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> values = new TreeMap<>();
        env.forEach(
                (name, value) -> {
                    if (name.startsWith("FOVEA_")) {
                        String key = keyOf(name.substring("FOVEA_".length()));
                        if (DEFINITION.names().contains(key)) {
                            values.put(key, value);
                        }
                    } else if (name.startsWith("KAFKA_")) {
                        String key = keyOf(name.substring("KAFKA_".length()));
                        // Only client settings: KAFKA_HEAP_OPTS, or the KAFKA_PORT that Kubernetes
                        // injects for a Service named kafka, are not meant for Fovea.
                        if (KafkaSettings.isClientSetting(key)) {
                            values.put(KAFKA_PREFIX + key, value);
                        }
                    }
                });
        return values;
    }

    private static String keyOf(String envSuffix) {
        return envSuffix.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    private static Map<String, String> readFile(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException(
                    "cannot read the config file " + file + ": " + e.getMessage());
        }
        Map<String, String> values = new LinkedHashMap<>();
        properties
                .stringPropertyNames()
                .forEach(k -> values.put(k, properties.getProperty(k).trim()));
        return values;
    }

    /** A typo in a key would otherwise be ignored silently and the default used. */
    private static void rejectUnknown(Map<String, String> values, Path file) {
        String where = file == null ? "" : " in " + file;
        for (String key : values.keySet()) {
            if (key.startsWith(KAFKA_PREFIX)) {
                KafkaSettings.checkPassThrough(key.substring(KAFKA_PREFIX.length()), where);
            } else if (!DEFINITION.names().contains(key)) {
                throw new ConfigException(
                        "unknown setting '"
                                + key
                                + "'"
                                + where
                                + ": Fovea settings are "
                                + new TreeMap<>(DEFINITION.configKeys()).keySet()
                                + ", and Kafka client settings take the prefix 'kafka.'");
            }
        }
    }

    /** What the image decoder refuses, from the {@code image.*} settings. */
    public DecoderLimits decoderLimits() {
        return new DecoderLimits(
                getInt(IMAGE_MAX_BYTES),
                getLong(IMAGE_MAX_PIXELS),
                getDouble(IMAGE_MAX_ASPECT_RATIO));
    }

    /** {@code log.level}, parsed. */
    public LogLevels logLevels() {
        return LogLevels.parse(getString(LOG_LEVEL));
    }

    /** {@code log.format}: true for one JSON object per line. */
    public boolean jsonLogs() {
        return "json".equals(getString(LOG_FORMAT));
    }

    /** Settings passed through to the Kafka clients, without their {@code kafka.} prefix. */
    public Map<String, Object> kafkaOverrides() {
        return originalsWithPrefix(KAFKA_PREFIX);
    }

    /** The configured value, or null where the default means "decide from the model's metadata". */
    public String stringOrNull(String key) {
        String value = getString(key);
        return value == null || value.isEmpty() ? null : value;
    }

    /** Every setting, for the startup log, with anything that looks secret masked. */
    public Map<String, String> describe() {
        Map<String, String> shown = new TreeMap<>();
        values().forEach((k, v) -> shown.put(k, withoutUserInfo(String.valueOf(v))));
        kafkaOverrides()
                .forEach(
                        (k, v) ->
                                shown.put(
                                        KAFKA_PREFIX + k,
                                        isSecret(k) ? "[hidden]" : String.valueOf(v)));
        return shown;
    }

    /**
     * A URL with its {@code user:password@} replaced: the registry URL may carry basic-auth
     * credentials, and the described config goes to the log. Up to the last {@code @} before the
     * path: a malformed URL, logged before it is refused, may hold a raw {@code @} or a space in
     * its password.
     */
    static String withoutUserInfo(String value) {
        return value.replaceAll("(?i)\\b([a-z][a-z0-9+.-]*://)[^/]*@", "$1[hidden]@");
    }

    /**
     * Settings for the registry client, in Confluent's spelling ({@link
     * HttpSchemaRegistryClient#fromConfig}); secrets as {@link Password}s.
     */
    public Map<String, Object> registryClientConfigs() {
        Map<String, Object> configs = new LinkedHashMap<>();
        for (String key :
                List.of(
                        SCHEMA_REGISTRY_URL,
                        SCHEMA_REGISTRY_CREDENTIALS_SOURCE,
                        SCHEMA_REGISTRY_USER_INFO,
                        SCHEMA_REGISTRY_TRUSTSTORE_LOCATION,
                        SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD,
                        SCHEMA_REGISTRY_TRUSTSTORE_TYPE,
                        SCHEMA_REGISTRY_KEYSTORE_LOCATION,
                        SCHEMA_REGISTRY_KEYSTORE_PASSWORD,
                        SCHEMA_REGISTRY_KEY_PASSWORD,
                        SCHEMA_REGISTRY_KEYSTORE_TYPE)) {
            Object value = get(key);
            if (value != null && !UNSET.equals(value)) {
                configs.put(key, value);
            }
        }
        return configs;
    }

    /**
     * {@code text} with every secret of this config replaced by {@code [hidden]}: for messages
     * built from a client library's exception, which may quote what it was given.
     */
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String redacted = withoutUserInfo(text);
        for (String secret : secretValues()) {
            redacted = redacted.replace(secret, "[hidden]");
        }
        return redacted;
    }

    /** A JAAS option whose name says it is secret, and its quoted value. */
    private static final Pattern QUOTED =
            Pattern.compile(
                    "(?i)\\w*(?:password|secret|token)\\w*\\s*=\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The values of secret settings, and the user-info of the registry URL. */
    private List<String> secretValues() {
        List<String> secrets = new ArrayList<>();
        values().forEach(
                        (key, value) -> {
                            if (value instanceof Password password && password.value() != null) {
                                secrets.add(password.value());
                            }
                        });
        kafkaOverrides()
                .forEach(
                        (key, value) -> {
                            if (isSecret(key) && value != null) {
                                String secret = String.valueOf(value);
                                secrets.add(secret);
                                // A JAAS config's password, which an error may quote alone.
                                Matcher quoted = QUOTED.matcher(secret);
                                while (quoted.find()) {
                                    secrets.add(quoted.group(1));
                                }
                            }
                        });
        try {
            String userInfo = new URI(getString(SCHEMA_REGISTRY_URL)).getUserInfo();
            if (userInfo != null) {
                secrets.add(userInfo);
            }
        } catch (URISyntaxException e) {
            // withoutUserInfo covers what a malformed URL may hold
        }
        // Longest first, so that a secret containing another is hidden whole; empty ones would
        // hide nothing but break the text.
        secrets.removeIf(String::isEmpty);
        secrets.sort(Comparator.comparingInt(String::length).reversed());
        return secrets;
    }

    /**
     * Whether a {@code kafka.*} setting (without the prefix) is a secret: Kafka types it as a
     * password, or its name says so.
     */
    static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return KafkaSettings.isPassword(key)
                || k.contains("password")
                || k.contains("secret")
                || k.contains("jaas")
                || k.contains("key");
    }

    /** The reference table of the README, generated from the definitions so it cannot drift. */
    public static String markdownReference() {
        StringBuilder md =
                new StringBuilder("| key | env | default | description |\n|---|---|---|---|\n");
        for (ConfigDef.ConfigKey key : DEFINITION.configKeys().values()) {
            Object dflt = key.defaultValue;
            String shown =
                    dflt == ConfigDef.NO_DEFAULT_VALUE
                            ? "(required)"
                            : dflt == null || UNSET.equals(dflt) || List.of().equals(dflt)
                                    ? "(see description)"
                                    : "`" + dflt + "`";
            md.append("| `")
                    .append(key.name)
                    .append("` | `FOVEA_")
                    .append(key.name.toUpperCase(Locale.ROOT).replace('.', '_'))
                    .append("` | ")
                    .append(shown)
                    .append(" | ")
                    .append(key.documentation)
                    .append(" |\n");
        }
        md.append(
                "| `kafka.*` | `KAFKA_*` | | Any Kafka client setting, e.g."
                        + " `kafka.security.protocol` (`KAFKA_SECURITY_PROTOCOL`), passed to Kafka"
                        + " Streams and its clients. |\n");
        return md.toString();
    }
}
