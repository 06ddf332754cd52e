package dev.tinytrain.fp32;

import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.Sample;
import dev.tinytrain.models.NetBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Float pre-training of a {@link FloatNet}: mini-batch SGD with momentum and weight decay, a linear
 * warm-up then a cosine learning-rate decay, the training set reshuffled every epoch (seeded), the
 * mean softmax cross-entropy.
 *
 * <p>Each batch is split into {@link FloatTrainConfig#shards()} fixed parts, each run by a
 * {@link FloatPass} with its own BatchNorm statistics (as data-parallel training without
 * synchronized BatchNorm does); the parts run on {@link FloatTrainConfig#threads()} threads. Their
 * gradients are added in shard order, so a run gives the same bits on one thread or two. The
 * running statistics take the statistics of the whole batch (the shards' combined mean and
 * unbiased variance).
 *
 * <p>Images: the dataset's int8 bytes dequantized with the architectures' input quantization
 * ({@code real = (q - zero point) * scale}), the same bytes the quantized graph reads. A training
 * set of up to 1 GiB of images is read once and kept (every epoch revisits it); a bigger one is read
 * per step.
 */
public final class FloatTrainer implements AutoCloseable {

    private static final long CACHE_LIMIT_BYTES = 1L << 30;

    /** Progress of one step. */
    @FunctionalInterface
    public interface Listener {
        void step(int epoch, int step, int steps, double loss);
    }

    /** One epoch's outcome; {@code validationAccuracy} is NaN when no validation set was given. */
    public record EpochResult(int epoch, double loss, double validationAccuracy, double seconds, long images) {
    }

    private final FloatNet net;
    private final FloatTrainConfig config;
    private final List<FloatPass> passes = new ArrayList<>();
    private final List<float[]> velocity = new ArrayList<>();
    private final List<Param> trained = new ArrayList<>();
    private final ExecutorService pool;
    private final float inScale = NetBuilder.INPUT_SCALE;
    private final int inZero = NetBuilder.INPUT_ZERO_POINT;
    private long step;
    private long totalSteps = -1;
    private Dataset cachedFor;
    private byte[] cache;
    private int[] cacheLabels;

    public FloatTrainer(FloatNet net, Fp32Backend backend, FloatTrainConfig config) {
        this.net = Objects.requireNonNull(net, "net");
        this.config = Objects.requireNonNull(config, "config");
        int perShard = (config.batch() + config.shards() - 1) / config.shards();
        for (int s = 0; s < config.shards(); s++) {
            passes.add(new FloatPass(net, backend, perShard));
        }
        for (Param p : net.params().values()) {
            if (p.kind().trained()) {
                trained.add(p);
                velocity.add(new float[p.size()]);
            }
        }
        pool = Executors.newFixedThreadPool(config.threads(), r -> {
            Thread t = new Thread(r, "tinytrain-fp32");
            t.setDaemon(true);
            return t;
        });
    }

    public FloatNet net() {
        return net;
    }

    public FloatTrainConfig config() {
        return config;
    }

    /** Steps per epoch for a training set of {@code size} images (the last partial batch is dropped). */
    public int stepsPerEpoch(int size) {
        return Math.max(1, size / Math.min(config.batch(), size));
    }

    /**
     * Trains {@link FloatTrainConfig#epochs()} epochs; after each, measures the accuracy on up to
     * {@code validationLimit} validation images (null: none) and reports it to {@code epochDone}.
     */
    public List<EpochResult> fit(Dataset train, Dataset validation, int validationLimit, Listener listener,
                                 java.util.function.Consumer<EpochResult> epochDone) {
        checkShape(train);
        List<EpochResult> results = new ArrayList<>();
        totalSteps = (long) stepsPerEpoch(train.size()) * config.epochs();
        for (int e = 0; e < config.epochs(); e++) {
            long t0 = System.nanoTime();
            double loss = trainEpoch(train, e, listener);
            double acc = validation == null ? Double.NaN : accuracy(validation, validationLimit);
            EpochResult r = new EpochResult(e + 1, loss, acc, (System.nanoTime() - t0) / 1e9,
                    (long) stepsPerEpoch(train.size()) * Math.min(config.batch(), train.size()));
            results.add(r);
            if (epochDone != null) {
                epochDone.accept(r);
            }
        }
        return results;
    }

    /** One epoch (number {@code epoch}, 0-based, which seeds its order); returns the mean loss. */
    public double trainEpoch(Dataset train, int epoch, Listener listener) {
        checkShape(train);
        int size = train.size();
        int batch = Math.min(config.batch(), size);
        int steps = stepsPerEpoch(size);
        if (totalSteps < 0) {
            totalSteps = (long) steps * config.epochs();
        }
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(config.seed() * 0x9E3779B97F4A7C15L + epoch);
        for (int i = size - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        ensureCache(train);
        int per = net.inputSize();
        float[] images = new float[batch * per];
        int[] labels = new int[batch];
        double sum = 0;
        for (int s = 0; s < steps; s++) {
            for (int b = 0; b < batch; b++) {
                labels[b] = load(train, order[s * batch + b], images, b * per);
            }
            double loss = step(images, labels, batch);
            if (!Double.isFinite(loss)) {
                throw new IllegalStateException("training diverged at epoch " + (epoch + 1) + " step " + (s + 1)
                        + " (loss " + loss + "): lower the learning rate (now " + config.lr() + ")");
            }
            sum += loss;
            if (listener != null) {
                listener.step(epoch, s + 1, steps, loss);
            }
        }
        return sum / steps;
    }

    /** One SGD step on {@code n} images; returns the batch's mean loss. */
    public double step(float[] images, int[] labels, int n) {
        int shards = Math.min(config.shards(), n);
        int per = net.inputSize();
        List<Future<Double>> futures = new ArrayList<>();
        int[] starts = new int[shards + 1];
        for (int s = 0; s <= shards; s++) {
            starts[s] = (int) ((long) n * s / shards);
        }
        for (int s = 0; s < shards; s++) {
            FloatPass pass = passes.get(s);
            int from = starts[s];
            int count = starts[s + 1] - from;
            futures.add(pool.submit(() -> {
                pass.forward(images, from * per, count, true);
                return pass.backward(labels, from, n);
            }));
        }
        double loss = 0;
        for (Future<Double> f : futures) {
            loss += join(f);
        }
        updateRunningStatistics(shards, starts);
        double lr = config.lrAt(step, Math.max(totalSteps, step + 1));
        float lrf = (float) lr;
        float mom = config.momentum();
        float wd = config.weightDecay();
        for (int i = 0; i < trained.size(); i++) {
            Param p = trained.get(i);
            float[] w = p.data();
            float[] v = velocity.get(i);
            float[] g0 = passes.get(0).grad(p);
            boolean decay = p.kind().decayed();
            for (int k = 0; k < w.length; k++) {
                float g = g0[k];
                for (int s = 1; s < shards; s++) {
                    g = g + passes.get(s).grad(p)[k];
                }
                if (decay) {
                    g = g + wd * w[k];
                }
                v[k] = mom * v[k] + g;
                w[k] = w[k] - lrf * v[k];
            }
        }
        step++;
        return loss / n;
    }

    private void updateRunningStatistics(int shards, int[] starts) {
        float m = FloatNet.BN_MOMENTUM;
        for (FloatNet.Node node : net.nodes()) {
            if (!(node instanceof FloatNet.ConvBn c)) {
                continue;
            }
            int ch = c.out().c();
            float[] rm = c.runningMean().data();
            float[] rv = c.runningVar().data();
            long total = 0;
            for (int s = 0; s < shards; s++) {
                total += passes.get(s).statisticCount(c);
            }
            for (int k = 0; k < ch; k++) {
                double mean = 0;
                for (int s = 0; s < shards; s++) {
                    mean += passes.get(s).statisticCount(c) * (double) passes.get(s).batchMean(c)[k];
                }
                mean /= total;
                double var = 0;
                for (int s = 0; s < shards; s++) {
                    FloatPass p = passes.get(s);
                    double d = p.batchMean(c)[k] - mean;
                    var += p.statisticCount(c) * (p.batchVariance(c)[k] + d * d);
                }
                double unbiased = total > 1 ? var / (total - 1) : var / total;
                rm[k] = (float) ((1 - m) * rm[k] + m * mean);
                rv[k] = (float) ((1 - m) * rv[k] + m * unbiased);
            }
        }
    }

    /** Accuracy (BatchNorm in eval mode) on the first {@code limit} images of {@code d} (all if limit <= 0). */
    public double accuracy(Dataset d, int limit) {
        checkShape(d);
        int total = limit <= 0 ? d.size() : Math.min(limit, d.size());
        int per = net.inputSize();
        int chunk = passes.getFirst().maxBatch();
        int classes = net.classes();
        int correct = 0;
        int done = 0;
        while (done < total) {
            List<Future<Integer>> futures = new ArrayList<>();
            for (FloatPass pass : passes) {
                if (done >= total) {
                    break;
                }
                int from = done;
                int count = Math.min(chunk, total - done);
                done += count;
                futures.add(pool.submit(() -> {
                    float[] x = new float[count * per];
                    int[] labels = new int[count];
                    for (int b = 0; b < count; b++) {
                        labels[b] = load(d, from + b, x, b * per);
                    }
                    float[] logits = pass.forward(x, 0, count, false);
                    int ok = 0;
                    for (int b = 0; b < count; b++) {
                        if (argmax(logits, b * classes, classes) == labels[b]) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> f : futures) {
                correct += join(f);
            }
        }
        return total == 0 ? Double.NaN : correct / (double) total;
    }

    /** Index of the largest of {@code n} values from {@code off} (the first on ties). */
    public static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) {
            if (v[off + k] > v[off + best]) {
                best = k;
            }
        }
        return best;
    }

    /** Dequantizes an int8 image into {@code out} at {@code offset}: {@code (q - zeroPoint) * scale}. */
    public static void dequantize(byte[] image, float scale, int zeroPoint, float[] out, int offset) {
        for (int i = 0; i < image.length; i++) {
            out[offset + i] = (image[i] - zeroPoint) * scale;
        }
    }

    private int load(Dataset d, int index, float[] out, int offset) {
        int per = net.inputSize();
        if (d == cachedFor && cache != null) {
            long base = (long) index * per;
            for (int i = 0; i < per; i++) {
                out[offset + i] = (cache[(int) (base + i)] - inZero) * inScale;
            }
            return cacheLabels[index];
        }
        Sample s = d.get(index);
        if (s.image().length != per) {
            throw new IllegalArgumentException(d.name() + " sample " + index + " has " + s.image().length
                    + " bytes; the network reads " + per);
        }
        dequantize(s.image(), inScale, inZero, out, offset);
        return s.label();
    }

    private void ensureCache(Dataset d) {
        if (d == cachedFor) {
            return;
        }
        long bytes = (long) d.size() * net.inputSize();
        if (bytes > CACHE_LIMIT_BYTES) {
            cachedFor = null;
            cache = null;
            return;
        }
        byte[] data = new byte[(int) bytes];
        int[] labels = new int[d.size()];
        int per = net.inputSize();
        int workers = config.threads();
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int from = (int) ((long) d.size() * w / workers);
            int to = (int) ((long) d.size() * (w + 1) / workers);
            fs.add(pool.submit(() -> {
                for (int i = from; i < to; i++) {
                    Sample s = d.get(i);
                    if (s.image().length != per) {
                        throw new IllegalArgumentException(d.name() + " sample " + i + " has " + s.image().length
                                + " bytes; the network reads " + per);
                    }
                    System.arraycopy(s.image(), 0, data, i * per, per);
                    labels[i] = s.label();
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            join(f);
        }
        cache = data;
        cacheLabels = labels;
        cachedFor = d;
    }

    private void checkShape(Dataset d) {
        int[] s = d.shape();
        if (s.length != 4 || s[1] != net.resolution() || s[2] != net.resolution() || s[3] != net.inChannels()) {
            throw new IllegalArgumentException("dataset " + d.name() + " has images " + java.util.Arrays.toString(s)
                    + "; the network reads [1, " + net.resolution() + ", " + net.resolution() + ", " + net.inChannels()
                    + "]");
        }
        if (d.classes() > net.classes()) {
            throw new IllegalArgumentException("dataset " + d.name() + " has " + d.classes()
                    + " classes; the network has " + net.classes() + " outputs");
        }
    }

    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
