package dev.tinytrain.oracle;

import dev.tinytrain.kernel.Activation;
import dev.tinytrain.tflite.FusedActivation;
import dev.tinytrain.tflite.Padding;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random single-op cases for the TF-Lite oracle: odd channel counts, kernels 1/3/5/7, strides 1/2,
 * SAME and VALID, zero points often at the ends of the int8 range, realistic log-uniform scales,
 * per-channel weight scales, biases in the bias scale, fused activations, batch 1 or 2, and
 * boundary fills. Every case is a pure function of its seed, so a printed seed replays it.
 */
final class OracleCases {

    private OracleCases() {
    }

    static final int[] CHANNELS = {1, 3, 5, 7, 8, 15, 16, 17, 31};
    static final int[] KERNELS = {1, 3, 5, 7};
    static final int[] STRIDES = {1, 2};

    /** Per-tensor activation quantization. */
    record Quant(float scale, int zeroPoint) {
        @Override
        public String toString() {
            return "(s=" + scale + ", z=" + zeroPoint + ")";
        }
    }

    /** Geometry of one windowed op (conv, depthwise, pool); NHWC. */
    record Window(int batch, int inH, int inW, int kernelH, int kernelW, int stride, Padding padding) {
        int outH() {
            return padding.outputSize(inH, kernelH, stride);
        }

        int outW() {
            return padding.outputSize(inW, kernelW, stride);
        }

        int padH() {
            return padding.padBefore(inH, kernelH, stride);
        }

        int padW() {
            return padding.padBefore(inW, kernelW, stride);
        }

        @Override
        public String toString() {
            return "n=" + batch + " in=" + inH + "x" + inW + " k=" + kernelH + "x" + kernelW + " stride=" + stride
                    + " " + padding + " (out=" + outH() + "x" + outW() + " pad=" + padH() + "," + padW() + ")";
        }
    }

    /** CONV_2D (filter OHWI) or DEPTHWISE_CONV_2D (filter 1HWC, outChannels == inChannels). */
    record ConvCase(long seed, Window window, int inChannels, int outChannels, Quant input, float[] weightScales,
                    Quant output, FusedActivation activation, byte[] x, byte[] weights, int[] bias) {
        @Override
        public String toString() {
            return "seed=0x" + Long.toHexString(seed) + " " + window + " cin=" + inChannels + " cout=" + outChannels
                    + " input" + input + " output" + output + " act=" + activation
                    + " bias=" + (bias == null ? "none" : "yes") + " wscales=" + Arrays.toString(weightScales);
        }
    }

    /** FULLY_CONNECTED: input [batch, features], filter [units, features]. */
    record FcCase(long seed, int batch, int features, int units, Quant input, float[] weightScales, Quant output,
                  FusedActivation activation, byte[] x, byte[] weights, int[] bias) {
        @Override
        public String toString() {
            return "seed=0x" + Long.toHexString(seed) + " n=" + batch + " features=" + features + " units=" + units
                    + " input" + input + " output" + output + " act=" + activation
                    + " bias=" + (bias == null ? "none" : "yes") + " wscales=" + Arrays.toString(weightScales);
        }
    }

    /** ADD of two same-shape tensors. */
    record AddCase(long seed, int[] shape, Quant input1, Quant input2, Quant output, FusedActivation activation,
                   byte[] x1, byte[] x2) {
        @Override
        public String toString() {
            return "seed=0x" + Long.toHexString(seed) + " shape=" + Arrays.toString(shape) + " input1" + input1
                    + " input2" + input2 + " output" + output + " act=" + activation;
        }
    }

    /** AVERAGE_POOL_2D; input and output share their quantization (TF-Lite requires it). */
    record PoolCase(long seed, Window window, int channels, Quant quant, FusedActivation activation, byte[] x) {
        @Override
        public String toString() {
            return "seed=0x" + Long.toHexString(seed) + " " + window + " c=" + channels + " quant" + quant
                    + " act=" + activation;
        }
    }

    /** MEAN over axes [1, 2] with keep_dims. */
    record MeanCase(long seed, int batch, int h, int w, int channels, Quant input, Quant output, byte[] x) {
        @Override
        public String toString() {
            return "seed=0x" + Long.toHexString(seed) + " in=[" + batch + "," + h + "," + w + "," + channels + "]"
                    + " input" + input + " output" + output;
        }
    }

    /** The fused activation's clamp, as TF-Lite's CalculateActivationRangeQuantized computes it. */
    static Activation clamp(FusedActivation a, Quant out) {
        return switch (a) {
            case NONE -> Activation.NONE;
            case RELU -> Activation.relu(out.zeroPoint());
            case RELU6 -> Activation.relu6(out.scale(), out.zeroPoint());
            case RELU_N1_TO_1 -> throw new IllegalArgumentException("not generated");
        };
    }

    // ---- generators ----------------------------------------------------------------------------

    static ConvCase conv2d(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Window win = window(r, KERNELS[r.nextInt(KERNELS.length)], KERNELS[r.nextInt(KERNELS.length)]);
        int cin = pick(r, CHANNELS);
        int cout = pick(r, CHANNELS);
        return convLike(seed, r, win, cin, cout, (long) win.kernelH() * win.kernelW() * cin);
    }

    static ConvCase depthwiseConv2d(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int k = pick(r, KERNELS);
        Window win = window(r, k, r.nextInt(4) == 0 ? pick(r, KERNELS) : k);
        int c = pick(r, CHANNELS);
        return convLike(seed, r, win, c, c, (long) win.kernelH() * win.kernelW());
    }

    static FcCase fullyConnected(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int batch = r.nextInt(4) == 0 ? 2 : 1;
        int features = r.nextBoolean() ? pick(r, CHANNELS) : 1 + r.nextInt(300);
        int units = r.nextBoolean() ? pick(r, CHANNELS) : 1 + r.nextInt(64);
        Quant in = activationQuant(r);
        float[] ws = weightScales(r, units);
        Quant out = outputQuant(r, in.scale(), ws, features);
        FusedActivation act = activation(r);
        byte[] x = fill(r, batch * features, in.zeroPoint());
        byte[] w = weights(r, units * features);
        int[] bias = bias(r, units, features);
        return new FcCase(seed, batch, features, units, in, ws, out, act, x, w, bias);
    }

    static AddCase add(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] shape = {r.nextInt(4) == 0 ? 2 : 1, 1 + r.nextInt(9), 1 + r.nextInt(9), pick(r, CHANNELS)};
        Quant a = activationQuant(r);
        Quant b = r.nextInt(5) == 0 ? a : activationQuant(r);
        float outScale = (float) (Math.max(a.scale(), b.scale()) * logUniform(r, 0.7, 3.0));
        Quant out = new Quant(outScale, zeroPoint(r));
        FusedActivation act = activation(r);
        int n = shape[0] * shape[1] * shape[2] * shape[3];
        return new AddCase(seed, shape, a, b, out, act, fill(r, n, a.zeroPoint()), fill(r, n, b.zeroPoint()));
    }

    static PoolCase averagePool2d(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] poolKernels = {1, 2, 3, 5, 7};
        int k = pick(r, poolKernels);
        Window win = window(r, k, r.nextInt(4) == 0 ? pick(r, poolKernels) : k);
        int c = pick(r, CHANNELS);
        Quant q = activationQuant(r);
        int n = win.batch() * win.inH() * win.inW() * c;
        return new PoolCase(seed, win, c, q, activation(r), fill(r, n, q.zeroPoint()));
    }

    static MeanCase mean(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int batch = r.nextInt(4) == 0 ? 2 : 1;
        int h = 1 + r.nextInt(12);
        int w = r.nextInt(3) == 0 ? h : 1 + r.nextInt(12);
        int c = pick(r, CHANNELS);
        Quant in = activationQuant(r);
        Quant out = r.nextBoolean() ? in : new Quant((float) (in.scale() * logUniform(r, 0.5, 2.0)), zeroPoint(r));
        return new MeanCase(seed, batch, h, w, c, in, out, fill(r, batch * h * w * c, in.zeroPoint()));
    }

    // ---- pieces ----------------------------------------------------------------------------------

    private static ConvCase convLike(long seed, SplittableRandom r, Window win, int cin, int cout, long fanIn) {
        Quant in = activationQuant(r);
        float[] ws = weightScales(r, cout);
        Quant out = outputQuant(r, in.scale(), ws, fanIn);
        FusedActivation act = activation(r);
        byte[] x = fill(r, win.batch() * win.inH() * win.inW() * cin, in.zeroPoint());
        byte[] w = weights(r, (int) (fanIn * cout));      // OHWI (conv) or 1HWC (depthwise): fanIn per channel
        int[] bias = bias(r, cout, fanIn);
        return new ConvCase(seed, win, cin, cout, in, ws, out, act, x, w, bias);
    }

    /** A window geometry; VALID inputs are at least the kernel. */
    private static Window window(SplittableRandom r, int kh, int kw) {
        int batch = r.nextInt(4) == 0 ? 2 : 1;
        int stride = pick(r, STRIDES);
        Padding padding = r.nextBoolean() ? Padding.SAME : Padding.VALID;
        int ih = padding == Padding.VALID ? kh + r.nextInt(9) : 1 + r.nextInt(12);
        int iw = padding == Padding.VALID ? kw + r.nextInt(9) : 1 + r.nextInt(12);
        return new Window(batch, ih, iw, kh, kw, stride, padding);
    }

    /** Activation scale log-uniform in [0.002, 0.1], zero point often at an end. */
    private static Quant activationQuant(SplittableRandom r) {
        return new Quant((float) logUniform(r, 0.002, 0.1), zeroPoint(r));
    }

    private static int zeroPoint(SplittableRandom r) {
        int roll = r.nextInt(10);
        return roll == 0 ? -128 : roll == 1 ? 127 : roll == 2 ? 0 : r.nextInt(256) - 128;
    }

    /** Per-channel weight scales log-uniform in [2e-4, 0.05]. */
    private static float[] weightScales(SplittableRandom r, int channels) {
        float[] s = new float[channels];
        for (int c = 0; c < channels; c++) {
            s[c] = (float) logUniform(r, 2e-4, 0.05);
        }
        return s;
    }

    /**
     * An output scale that keeps uniform int8 data in a useful range: the accumulator's spread
     * (sqrt(fanIn) * 74 * 73) over ~50 output steps, times a log-uniform factor in [0.2, 5].
     */
    private static Quant outputQuant(SplittableRandom r, float inScale, float[] ws, long fanIn) {
        double mean = 0;
        for (float s : ws) {
            mean += s;
        }
        mean /= ws.length;
        double scale = inScale * mean * Math.sqrt(fanIn) * 74 * 73 / 50 * logUniform(r, 0.2, 5.0);
        return new Quant((float) scale, zeroPoint(r));
    }

    private static FusedActivation activation(SplittableRandom r) {
        int roll = r.nextInt(10);
        return roll < 6 ? FusedActivation.NONE : roll < 8 ? FusedActivation.RELU : FusedActivation.RELU6;
    }

    /** Input data: mostly uniform, sometimes boundary fills or values near the zero point. */
    private static byte[] fill(SplittableRandom r, int n, int zeroPoint) {
        byte[] b = new byte[n];
        int mode = r.nextInt(20);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) switch (mode) {
                case 0 -> -128;
                case 1 -> 127;
                case 2, 3 -> r.nextBoolean() ? -128 : 127;
                case 4, 5 -> Math.clamp(zeroPoint + r.nextInt(-8, 9), -128, 127);
                default -> r.nextInt(256) - 128;
            };
        }
        return b;
    }

    /** Symmetric int8 weights in [-127, 127], now and then -128 too. */
    private static byte[] weights(SplittableRandom r, int n) {
        byte[] w = new byte[n];
        boolean allowMin = r.nextInt(8) == 0;
        for (int i = 0; i < n; i++) {
            w[i] = (byte) (allowMin ? r.nextInt(256) - 128 : r.nextInt(255) - 127);
        }
        return w;
    }

    /** Biases about the size of the accumulator's spread; sometimes zero, sometimes absent (null). */
    private static int[] bias(SplittableRandom r, int channels, long fanIn) {
        int roll = r.nextInt(10);
        if (roll == 0) {
            return null;
        }
        int[] b = new int[channels];
        if (roll == 1) {
            return b;
        }
        int spread = (int) Math.min(1 << 24, Math.sqrt(fanIn) * 74 * 73 * 2);
        for (int c = 0; c < channels; c++) {
            b[c] = r.nextInt(-spread, spread + 1);
        }
        return b;
    }

    private static int pick(SplittableRandom r, int[] values) {
        return values[r.nextInt(values.length)];
    }

    private static double logUniform(SplittableRandom r, double lo, double hi) {
        return Math.exp(Math.log(lo) + r.nextDouble() * (Math.log(hi) - Math.log(lo)));
    }
}
