package dev.tinytrain.data;

import dev.tinytrain.tensor.Quantization;

import java.util.SplittableRandom;

/**
 * {@code synthetic:<classes>}: a learnable image task for systems tests, made on the fly. Each
 * class has a fixed pattern (a sum of a few oriented sinusoidal gratings with per-channel
 * weights and phases, drawn from the dataset seed); a sample is its class pattern, shifted by up
 * to 2 pixels, times a random contrast in [0.7, 1.3], plus Gaussian noise (std 0.25 against a
 * pattern std of about 0.6), quantized with the model's input quantization. Train and test sets
 * use disjoint sample streams; everything is deterministic.
 */
public final class SyntheticDataset implements Dataset {

    private static final int GRATINGS = 3;

    private final int classes;
    private final int size;
    private final int h;
    private final int w;
    private final int c;
    private final Quantization quant;
    private final long sampleSeed;
    private final double noise;
    private final double[][] freqX;
    private final double[][] freqY;
    private final double[][][] channelWeight;
    private final double[][] phase;

    /**
     * @param classes   number of classes, >= 2
     * @param size      number of samples
     * @param shape     image shape [1, h, w, c]
     * @param quant     the model's input quantization (per tensor)
     * @param seed      pattern seed (same seed: same classes)
     * @param split     0 for training samples, 1 for test samples, ... (disjoint sample streams)
     */
    public SyntheticDataset(int classes, int size, int[] shape, Quantization quant, long seed, int split) {
        if (classes < 2) {
            throw new IllegalArgumentException("synthetic dataset needs at least 2 classes, got " + classes);
        }
        if (size < 1) {
            throw new IllegalArgumentException("synthetic dataset size must be >= 1, got " + size);
        }
        if (shape.length != 4 || shape[0] != 1) {
            throw new IllegalArgumentException("synthetic dataset shape must be [1, h, w, c]");
        }
        this.classes = classes;
        this.size = size;
        this.h = shape[1];
        this.w = shape[2];
        this.c = shape[3];
        this.quant = quant;
        this.noise = 0.25;
        this.sampleSeed = seed * 0x9E3779B97F4A7C15L + 0x5DEECE66DL * (split + 1);
        SplittableRandom r = new SplittableRandom(seed);
        freqX = new double[classes][GRATINGS];
        freqY = new double[classes][GRATINGS];
        channelWeight = new double[classes][GRATINGS][c];
        phase = new double[classes][GRATINGS];
        for (int k = 0; k < classes; k++) {
            for (int g = 0; g < GRATINGS; g++) {
                double angle = r.nextDouble(Math.PI);
                double f = 1.0 + r.nextDouble(3.0);                 // 1 to 4 periods over the image
                phase[k][g] = r.nextDouble(2 * Math.PI);
                freqX[k][g] = 2 * Math.PI * f * Math.cos(angle) / w;
                freqY[k][g] = 2 * Math.PI * f * Math.sin(angle) / h;
                for (int ch = 0; ch < c; ch++) {
                    channelWeight[k][g][ch] = r.nextDouble(-1, 1);
                }
            }
        }
    }

    /** {@code synthetic:<classes>} with {@code size} samples for a model input. */
    public static SyntheticDataset parse(String spec, int size, int[] shape, Quantization quant, long seed, int split) {
        if (!spec.startsWith("synthetic:")) {
            throw new IllegalArgumentException("not a synthetic dataset spec: '" + spec + "' (expected synthetic:<classes>)");
        }
        int k;
        try {
            k = Integer.parseInt(spec.substring("synthetic:".length()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("synthetic:<classes> needs a whole number of classes, got '" + spec + "'");
        }
        return new SyntheticDataset(k, size, shape, quant, seed, split);
    }

    @Override
    public String name() {
        return "synthetic:" + classes;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public int[] shape() {
        return new int[] {1, h, w, c};
    }

    @Override
    public Sample get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("sample " + i + " of " + size);
        }
        SplittableRandom r = new SplittableRandom(sampleSeed + 0x632BE59BD9B4E019L * i);
        int label = r.nextInt(classes);
        int dx = r.nextInt(-2, 3);
        int dy = r.nextInt(-2, 3);
        double contrast = r.nextDouble(0.7, 1.3);
        byte[] img = new byte[h * w * c];
        float scale = quant.scale();
        int zp = quant.zeroPoint();
        int p = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < c; ch++) {
                    double v = 0;
                    for (int g = 0; g < GRATINGS; g++) {
                        v += channelWeight[label][g][ch] * Math.sin(freqX[label][g] * (x + dx)
                                + freqY[label][g] * (y + dy) + phase[label][g]);
                    }
                    v = contrast * 1.4 * v / Math.sqrt(GRATINGS) + noise * r.nextGaussian();
                    long q = Math.round(v / scale) + zp;
                    img[p++] = (byte) Math.max(-128, Math.min(127, q));
                }
            }
        }
        return new Sample(img, label);
    }
}
