package dev.fovea.ops.bench;

import dev.fovea.topology.InferenceException;
import dev.fovea.topology.image.DecodedImage;
import dev.fovea.topology.image.ImageRejectedException;
import dev.fovea.topology.image.JdkImageDecoder;
import dev.fovea.workers.image.InputWriter;
import dev.fovea.workers.runtime.BatchModel;
import dev.fovea.workers.runtime.ModelSpec;
import dev.fovea.workers.runtime.SavedModelClassifier;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The machine's own limit for Fovea's work, with no Kafka at all: images per second through decode
 * ({@link JdkImageDecoder} on the workload's encoded bytes), preprocessing ({@link InputWriter}:
 * resize and normalisation into the model's input layout) and the SavedModel, at a given batch
 * size, on the same model, session options and machine as the worker.
 *
 * <p>It runs as a decoupled pipeline: {@code decodeThreads} threads each take the next image,
 * decode it and preprocess it into a row from a small pool; the calling thread takes rows as they
 * come, {@code batchSize} at a time, copies them into one input tensor and runs the model. Decoders
 * never wait for the model (only for a free row, two batches ahead) and the model never waits for a
 * slow decoder while rows are ready, so every core is busy with the work itself for the whole run:
 * an upper bound for any scheduling of the same work on this machine, which is what a limit must
 * be. The worker's {@code DynamicBatcher} is deliberately not used here: there a stream thread
 * waits for its batch before it can decode again, and its queue delay and row writing are part of
 * Fovea's overhead; measured against this pipeline, {@code e2e / limit} charges Fovea for
 * everything it adds (Kafka, Avro, the batcher's scheduling, thread hand-offs), not only for Kafka.
 * The one thing this pipeline does that the worker does not is one copy of each row into the tensor
 * (a memory copy of about 1 MB, well under a millisecond against tens of milliseconds of decode).
 *
 * <p>{@link #modelAlone} times the SavedModel on its own (a batch of already preprocessed rows,
 * nothing else running): what one batch costs, and what decode and preprocessing take away.
 */
public final class LimitBenchmark implements AutoCloseable {

    /**
     * One measured configuration.
     *
     * @param modelMillisPerBatch the mean time of one model run inside the pipeline, while the
     *     decoders compete for the same cores
     */
    public record Point(
            int batchSize,
            int decodeThreads,
            int images,
            double seconds,
            double imagesPerSecond,
            double modelMillisPerBatch) {}

    private final ModelSpec spec;
    private final Workload workload;
    private final SavedModelClassifier classifier;
    private final BatchModel model;
    private final int size;
    private final JdkImageDecoder decoder = new JdkImageDecoder();

    private LimitBenchmark(ModelSpec spec, Workload workload, SavedModelClassifier classifier) {
        this.spec = spec;
        this.workload = workload;
        this.classifier = classifier;
        this.model = classifier.batches();
        this.size = classifier.inputSize();
    }

    /**
     * Loads the model as the worker does ({@link SavedModelClassifier}: same signature choice,
     * session options and warm-up), and runs its batches directly, without the worker's batcher.
     */
    public static LimitBenchmark load(ModelSpec spec, Workload workload) {
        SavedModelClassifier classifier = SavedModelClassifier.load(spec);
        try {
            LimitBenchmark bench = new LimitBenchmark(spec, workload, classifier);
            bench.warmUpDecoder();
            return bench;
        } catch (RuntimeException e) {
            classifier.close();
            throw e;
        }
    }

    /**
     * Runs at least {@code minImages} images (rounded up to whole batches and whole cycles over the
     * workload, so every image is decoded equally often) through the pipeline and times it from the
     * first decode to the end of the last model run.
     */
    public Point measure(int batchSize, int decodeThreads, int minImages)
            throws InterruptedException {
        int images = roundUp(minImages, lcm(batchSize, workload.size()));
        int poolSize = 2 * batchSize + decodeThreads;
        BlockingQueue<float[]> free = new ArrayBlockingQueue<>(poolSize);
        BlockingQueue<float[]> ready = new ArrayBlockingQueue<>(poolSize);
        for (int i = 0; i < poolSize; i++) {
            free.add(new float[model.inputLength()]);
        }
        modelAlone(batchSize, 1, Duration.ZERO); // the first run at a new shape: not timed
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> decoders = new ArrayList<>(decodeThreads);
        long start = System.nanoTime();
        for (int t = 0; t < decodeThreads; t++) {
            Thread decoderThread =
                    new Thread(
                            () -> decodeLoop(next, images, free, ready, failure),
                            "bench-decoder-" + t);
            decoderThread.setDaemon(true);
            decoderThread.start();
            decoders.add(decoderThread);
        }
        long modelNanos = 0;
        try {
            for (int b = 0; b < images / batchSize; b++) {
                try (BatchModel.Batch batch = model.allocate(batchSize)) {
                    FloatBuffer pixels = batch.input();
                    for (int r = 0; r < batchSize; r++) {
                        float[] row = take(ready, failure);
                        pixels.put(row);
                        free.add(row);
                    }
                    long runStart = System.nanoTime();
                    run(batch);
                    modelNanos += System.nanoTime() - runStart;
                }
            }
        } finally {
            next.set(images); // stops the decoders early if the model failed
            for (Thread d : decoders) {
                d.interrupt();
                d.join();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Point(
                batchSize,
                decodeThreads,
                images,
                seconds,
                images / seconds,
                modelNanos / 1e6 / (images / batchSize));
    }

    /**
     * The mean time of one model run on {@code batchSize} preprocessed images, in milliseconds,
     * with nothing else running: at least {@code minRuns} runs and {@code atLeast} of them, after
     * one untimed run (the first at a new shape sets up kernels and memory).
     */
    public double modelAlone(int batchSize, int minRuns, Duration atLeast) {
        return modelAlone(model, preprocess(workload.photo(0)), batchSize, minRuns, atLeast);
    }

    /**
     * {@link #modelAlone(int, int, Duration)} for any model's batches, every row of the batch
     * {@code row}.
     */
    static double modelAlone(
            BatchModel model, float[] row, int batchSize, int minRuns, Duration atLeast) {
        try (BatchModel.Batch batch = model.allocate(batchSize)) {
            FloatBuffer pixels = batch.input();
            for (int r = 0; r < batchSize; r++) {
                pixels.put(row);
            }
            run(batch);
            long start = System.nanoTime();
            long deadline = start + atLeast.toNanos();
            int runs = 0;
            do {
                run(batch);
                runs++;
            } while (runs < minRuns || System.nanoTime() < deadline);
            return (System.nanoTime() - start) / 1e6 / runs;
        }
    }

    private void decodeLoop(
            AtomicInteger next,
            int images,
            BlockingQueue<float[]> free,
            BlockingQueue<float[]> ready,
            AtomicReference<Throwable> failure) {
        try {
            int i;
            while ((i = next.getAndIncrement()) < images) {
                DecodedImage image = decode(workload.photo(i));
                float[] row = free.take();
                InputWriter.write(image, size, spec.preprocessing(), spec.resize(), row, 0);
                ready.put(row);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the run is over
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
        }
    }

    private float[] take(BlockingQueue<float[]> ready, AtomicReference<Throwable> failure)
            throws InterruptedException {
        while (true) {
            float[] row = ready.poll(100, TimeUnit.MILLISECONDS);
            if (row != null) {
                return row;
            }
            if (failure.get() != null) {
                throw new IllegalStateException(
                        "a decoding thread failed: " + failure.get(), failure.get());
            }
        }
    }

    private DecodedImage decode(Workload.Photo photo) {
        try {
            return decoder.decode(photo.data(), null);
        } catch (ImageRejectedException e) {
            throw new IllegalArgumentException(
                    photo.name() + " cannot be decoded: " + e.getMessage(), e);
        }
    }

    private float[] preprocess(Workload.Photo photo) {
        float[] row = new float[model.inputLength()];
        InputWriter.write(decode(photo), size, spec.preprocessing(), spec.resize(), row, 0);
        return row;
    }

    /** Decodes every image a few times first, so the JIT has compiled the decoders' code. */
    private void warmUpDecoder() {
        for (int round = 0; round < 3; round++) {
            for (Workload.Photo photo : workload.photos()) {
                preprocess(photo);
            }
        }
    }

    private static void run(BatchModel.Batch batch) {
        try {
            batch.run();
        } catch (InferenceException e) {
            throw new IllegalStateException("the model rejected a batch: " + e.getMessage(), e);
        }
    }

    /** The model's input height and width. */
    public int inputSize() {
        return size;
    }

    static int roundUp(int value, int multiple) {
        return Math.max(1, (value + multiple - 1) / multiple) * multiple;
    }

    static int lcm(int a, int b) {
        int x = a;
        int y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    @Override
    public void close() {
        classifier.close();
    }
}
