package dev.tinytrain.fp32;

/**
 * Hyper-parameters of float pre-training ({@link FloatTrainer}).
 *
 * @param epochs       passes over the training set, >= 1
 * @param batch        images per step, >= 1 (split into {@code shards} equal parts)
 * @param lr           peak learning rate, > 0
 * @param momentum     SGD momentum in [0, 1)
 * @param weightDecay  L2 weight decay on conv and classifier weights (not on BatchNorm or biases), >= 0
 * @param warmupSteps  linear warm-up from lr/warmupSteps to lr, then a cosine decay to 0 at the last step
 * @param seed         seed of the data order (and of the initialization when the trainer makes the net)
 * @param shards       parts each batch is split into, each with its own BatchNorm statistics (as
 *                     data-parallel training without synchronized BatchNorm); fixed, so the results do
 *                     not depend on how many threads run them
 * @param threads      worker threads running the shards (1 or 2 on this project's machines)
 */
public record FloatTrainConfig(int epochs, int batch, float lr, float momentum, float weightDecay, int warmupSteps,
                               long seed, int shards, int threads) {

    public FloatTrainConfig {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        if (!(lr > 0) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be > 0 and finite, got " + lr);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        }
        if (shards < 1 || shards > batch) {
            throw new IllegalArgumentException("shards must be in [1, batch = " + batch + "], got " + shards);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /** Defaults: batch 64 in 2 shards on 2 threads, lr 0.1, momentum 0.9, weight decay 5e-5, 100 warm-up steps. */
    public static FloatTrainConfig defaults(int epochs, long seed) {
        return new FloatTrainConfig(epochs, 64, 0.1f, 0.9f, 5e-5f, 100, seed, 2, 2);
    }

    public FloatTrainConfig withBatch(int b, int s) {
        return new FloatTrainConfig(epochs, b, lr, momentum, weightDecay, warmupSteps, seed, s, threads);
    }

    public FloatTrainConfig withLr(float v) {
        return new FloatTrainConfig(epochs, batch, v, momentum, weightDecay, warmupSteps, seed, shards, threads);
    }

    public FloatTrainConfig withThreads(int t) {
        return new FloatTrainConfig(epochs, batch, lr, momentum, weightDecay, warmupSteps, seed, shards, t);
    }

    public FloatTrainConfig withWarmup(int steps) {
        return new FloatTrainConfig(epochs, batch, lr, momentum, weightDecay, steps, seed, shards, threads);
    }

    /** The learning rate at step {@code t} (0-based) of {@code total}. */
    public double lrAt(long t, long total) {
        if (t < warmupSteps) {
            return lr * (t + 1) / (double) warmupSteps;
        }
        long decay = Math.max(1, total - warmupSteps);
        double progress = Math.min(1.0, (t - warmupSteps) / (double) decay);
        return lr * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
