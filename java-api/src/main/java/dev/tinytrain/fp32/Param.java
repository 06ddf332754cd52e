package dev.tinytrain.fp32;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named float32 tensor of a {@link FloatNet}: a trained parameter (conv weight, BatchNorm gamma
 * and beta, classifier weight and bias) or a BatchNorm running statistic (not trained, but saved).
 *
 * @param name     stable name, e.g. {@code block3.pw1.weight}, {@code block3.pw1.bn.gamma}
 * @param shape    dimensions (conv OHWI, depthwise 1HWC, vectors [c])
 * @param data     the values (mutable: training updates them in place)
 * @param kind     what it is, which decides whether it trains and whether weight decay applies
 */
public record Param(String name, int[] shape, float[] data, Kind kind) {

    /** The role of a tensor. */
    public enum Kind {
        /** Conv and classifier weights: trained, with weight decay. */
        WEIGHT(true, true),
        /** BatchNorm gamma and beta, classifier bias: trained, no weight decay. */
        AFFINE(true, false),
        /** BatchNorm running mean and variance: updated by forward passes in train mode, not by SGD. */
        STATISTIC(false, false);

        private final boolean trained;
        private final boolean decayed;

        Kind(boolean trained, boolean decayed) {
            this.trained = trained;
            this.decayed = decayed;
        }

        public boolean trained() {
            return trained;
        }

        public boolean decayed() {
            return decayed;
        }
    }

    public Param {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException(name + ": dimensions must be >= 1, got " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (data.length != n) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + n
                    + " values, data has " + data.length);
        }
    }

    public static Param of(String name, Kind kind, float[] data, int... shape) {
        return new Param(name, shape, data, kind);
    }

    public static Param zeros(String name, Kind kind, int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return new Param(name, shape, new float[Math.toIntExact(n)], kind);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return data.length;
    }

    /**
     * The output channel of element {@code index} of a conv weight of {@code size} elements and
     * {@code channels} output channels: OHWI (output channel first) or, for depthwise, 1HWC (channel
     * last).
     */
    public static int outputChannel(boolean depthwise, int index, int size, int channels) {
        return depthwise ? index % channels : index / (size / channels);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
