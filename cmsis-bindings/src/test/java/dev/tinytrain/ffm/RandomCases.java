package dev.tinytrain.ffm;

import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.ChannelQuant;

import java.util.SplittableRandom;

/**
 * Random kernel arguments in the ranges STYLE.md asks differential tests to cover: odd channel
 * counts, kernels 1/3/5/7, strides 1/2, padding on and off, and boundary fills.
 */
final class RandomCases {

    static final int[] CHANNELS = {1, 3, 5, 7, 8, 15, 16, 17, 31};
    static final int[] KERNELS = {1, 3, 5, 7};

    private final SplittableRandom r;

    RandomCases(long seed) {
        r = new SplittableRandom(seed);
    }

    int channels() {
        return CHANNELS[r.nextInt(CHANNELS.length)];
    }

    int kernel() {
        return KERNELS[r.nextInt(KERNELS.length)];
    }

    int stride() {
        return 1 + r.nextInt(2);
    }

    int between(int lo, int hiInclusive) {
        return r.nextInt(lo, hiInclusive + 1);
    }

    boolean chance(double p) {
        return r.nextDouble() < p;
    }

    /** A zero point, often at the ends of the int8 range. */
    int zeroPoint() {
        return switch (r.nextInt(4)) {
            case 0 -> -128;
            case 1 -> 127;
            default -> r.nextInt(-128, 128);
        };
    }

    /** int8 data: random, or a boundary fill (all -128, all 127, alternating ends). */
    byte[] int8(long n) {
        byte[] b = new byte[Math.toIntExact(n)];
        int mode = r.nextInt(8);
        for (int i = 0; i < b.length; i++) {
            b[i] = switch (mode) {
                case 0 -> (byte) -128;
                case 1 -> (byte) 127;
                case 2 -> (byte) ((i & 1) == 0 ? -128 : 127);
                default -> (byte) r.nextInt(-128, 128);
            };
        }
        return b;
    }

    int[] bias(int channels, int magnitude) {
        int[] b = new int[channels];
        for (int i = 0; i < channels; i++) {
            b[i] = r.nextInt(-magnitude, magnitude + 1);
        }
        return b;
    }

    /** Plausible per-channel requantization: effective scales around 2^-12 .. 2^-4. */
    ChannelQuant quant(int channels) {
        float inScale = (float) (0.004 + r.nextDouble() * 0.05);
        float outScale = (float) (0.01 + r.nextDouble() * 0.2);
        float[] w = new float[channels];
        for (int i = 0; i < channels; i++) {
            w[i] = (float) (0.0005 + r.nextDouble() * 0.02);
        }
        return ChannelQuant.of(inScale, w, outScale);
    }

    Activation activation(int zeroPoint) {
        return switch (r.nextInt(3)) {
            case 0 -> Activation.NONE;
            case 1 -> Activation.relu(zeroPoint);
            default -> new Activation(r.nextInt(-128, 0), r.nextInt(0, 128));
        };
    }

    /** An output size valid for the window (TF-Lite SAME when padded, VALID otherwise). */
    static int outSize(int in, int k, int stride, int pad, boolean same) {
        return same ? (in + stride - 1) / stride : (in + 2 * pad - k) / stride + 1;
    }

    /** TF-Lite SAME padding before the data: half the total, rounded down. */
    static int samePad(int in, int k, int stride) {
        int out = (in + stride - 1) / stride;
        return Math.max((out - 1) * stride + k - in, 0) / 2;
    }
}
