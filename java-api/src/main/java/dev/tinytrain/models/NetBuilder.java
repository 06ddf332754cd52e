package dev.tinytrain.models;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.AddParams;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.MeanParams;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.kernel.Windows;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Dims;
import dev.tinytrain.tensor.Quantization;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Builds an int8 CNN layer by layer on a {@link Graph.Builder}, with shape inference, seeded random
 * weights and quantization parameters that keep the activations plausible.
 *
 * <p>What a layer gets, as in the paper's real models (PAPER.md section 2, models/ARCHITECTURES.md):
 * <ul>
 *   <li>Padding {@code (k-1)/2} on every side (PyTorch symmetric).</li>
 *   <li>int8 weights, symmetric per output channel: {@code scale[c] = max|w_c| / 127}, zero point 0;
 *       conv OHWI (axis 0), depthwise 1HWC (axis 3).</li>
 *   <li>int32 bias with scale {@code s_x * s_w[c]}.</li>
 *   <li>ReLU6 outputs: scale 6/255, zero point -128, activation {@code NONE} (the int8 clamp is the
 *       ReLU6). Linear (projection) outputs, residual sums and logits: scale and zero point covering
 *       mean +- 4 std of the values observed on a calibration input, so the zero point lands near 0.</li>
 * </ul>
 *
 * <p>Calibration: the builder carries a seeded random input through every layer as it is added
 * (with a {@link KernelBackend}, the {@link ReferenceBackend} by default). Each conv's random int8
 * weights are then given the per-channel scale and bias that BatchNorm folding would produce: the
 * real pre-activation of channel c becomes {@code gamma_c * (acc_c - mean_c) / std_c + beta_c}, where
 * mean and std are the channel's accumulator statistics on the calibration input (shrunk toward the
 * layer's statistics when a map has few pixels) and gamma, beta are drawn from the seed. Scaling a
 * channel changes only its weight scale, never its int8 values, so the weights stay symmetric with
 * {@code scale = max|w_c| / 127} of the folded real weights.
 *
 * <p>Determinism: a layer's weights depend on the seed, the graph's name and the layer's name only;
 * its scales and bias also on the layers before it. The whole graph depends on the seed and the
 * calls made, nothing else.
 */
public final class NetBuilder {

    /** The ReLU6 output quantization of the real models. */
    public static final float RELU6_SCALE = 6f / 255f;
    public static final int RELU6_ZERO_POINT = -128;

    /** The real models' input quantization: 2/255, zero point 0 (real values in [-1, 1)). */
    public static final float INPUT_SCALE = 2f / 255f;
    public static final int INPUT_ZERO_POINT = 0;

    /** Pseudo-count of the shrinkage of per-channel statistics toward the layer's. */
    private static final double PRIOR_SAMPLES = 16;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    private final Graph.Builder graph;
    private final String graphName;
    private final long seed;
    private final KernelBackend backend;
    private final Map<Integer, byte[]> calibration = new HashMap<>();
    private final Map<String, Value> names = new HashMap<>();

    /**
     * @param name    the graph's name
     * @param seed    seed of weights, gammas/betas and the calibration input
     * @param backend runs the calibration forward (the reference backend if null)
     */
    public NetBuilder(String name, long seed, KernelBackend backend) {
        this.graph = Graph.builder(Objects.requireNonNull(name, "name"));
        this.graphName = name;
        this.seed = seed;
        this.backend = backend == null ? new ReferenceBackend() : backend;
    }

    public NetBuilder(String name, long seed) {
        this(name, seed, null);
    }

    /** The graph input [n, h, w, c], quantized as the real models' input (scale 2/255, zero point 0). */
    public Value input(String name, int n, int h, int w, int c) {
        return input(name, n, h, w, c, INPUT_SCALE, INPUT_ZERO_POINT);
    }

    /** A graph input with the given quantization; its calibration data are seeded uniform int8. */
    public Value input(String name, int n, int h, int w, int c, float scale, int zeroPoint) {
        for (int d : new int[] {n, h, w, c}) {
            if (d < 1) {
                throw new IllegalArgumentException("input " + name + ": dimensions must be >= 1, got ["
                        + n + ", " + h + ", " + w + ", " + c + "]");
            }
        }
        Value v = graph.input(unique(name), new int[] {n, h, w, c}, DType.INT8,
                Quantization.perTensor(scale, zeroPoint), Role.INPUT);
        names.put(name, v);
        byte[] data = new byte[Math.toIntExact(v.elements())];
        SplittableRandom r = rng("calibration-input:" + name);
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) r.nextInt(-128, 128);
        }
        calibration.put(v.id(), data);
        return v;
    }

    /**
     * A k x k convolution (groups 1), stride {@code stride}, padding (k-1)/2.
     *
     * @param relu6 ReLU6 output (6/255, -128) if true, else a linear output with a calibrated range
     */
    public Value conv(String name, Value x, int k, int stride, int outChannels, boolean relu6) {
        int[] in = activationShape(name, x);
        if (outChannels < 1) {
            throw new IllegalArgumentException(name + ": output channels must be >= 1, got " + outChannels);
        }
        int pad = (k - 1) / 2;
        int oh = outSize(name, "height", in[1], k, stride, pad);
        int ow = outSize(name, "width", in[2], k, stride, pad);
        int cin = in[3];
        SplittableRandom r = rng("weights:" + name);
        byte[] w = randomWeights(r, outChannels, k * k * cin, false);
        int[] out = {in[0], oh, ow, outChannels};
        return convLayer(name, x, w, new int[] {outChannels, k, k, cin}, false, out, stride, pad, relu6, r);
    }

    /** A k x k depthwise convolution (multiplier 1), stride {@code stride}, padding (k-1)/2. */
    public Value depthwise(String name, Value x, int k, int stride, boolean relu6) {
        int[] in = activationShape(name, x);
        int pad = (k - 1) / 2;
        int oh = outSize(name, "height", in[1], k, stride, pad);
        int ow = outSize(name, "width", in[2], k, stride, pad);
        int ch = in[3];
        SplittableRandom r = rng("weights:" + name);
        byte[] w = randomWeights(r, ch, k * k, true);
        int[] out = {in[0], oh, ow, ch};
        return convLayer(name, x, w, new int[] {1, k, k, ch}, true, out, stride, pad, relu6, r);
    }

    /** A 1x1 convolution. */
    public Value pointwise(String name, Value x, int outChannels, boolean relu6) {
        return conv(name, x, 1, 1, outChannels, relu6);
    }

    /** Residual add {@code a + b}; the output's scale and zero point cover the observed sum. */
    public Value add(String name, Value a, Value b) {
        int[] sa = activationShape(name, a);
        int[] sb = activationShape(name, b);
        if (!Arrays.equals(sa, sb)) {
            throw new IllegalArgumentException(name + ": residual add needs equal shapes, got "
                    + Arrays.toString(sa) + " and " + Arrays.toString(sb));
        }
        byte[] da = calibration.get(a.id());
        byte[] db = calibration.get(b.id());
        Spread spread = new Spread();
        for (int i = 0; i < da.length; i++) {
            spread.add(a.scale() * (double) (da[i] - a.zeroPoint()) + b.scale() * (double) (db[i] - b.zeroPoint()));
        }
        Quantization q = spread.quantization();
        Value y = graph.value(unique(name), sa, DType.INT8, q, Role.ACTIVATION);
        graph.op(new Op.Add(a, b, y, Activation.NONE));
        byte[] dy = new byte[da.length];
        Dims dims = a.dims();
        backend.add(AddParams.of(a.scale(), a.zeroPoint(), b.scale(), b.zeroPoint(), y.scale(), y.zeroPoint(),
                Activation.NONE), dims, seg(da), dims, seg(db), dims, seg(dy));
        calibration.put(y.id(), dy);
        return y;
    }

    /** Global average pool: mean over H and W, keeping dims ([n, 1, 1, c]); quantization unchanged. */
    public Value mean(String name, Value x) {
        int[] in = activationShape(name, x);
        Value y = graph.value(unique(name), new int[] {in[0], 1, 1, in[3]}, DType.INT8, x.quant(), Role.ACTIVATION);
        graph.op(new Op.Mean(x, y));
        byte[] dy = new byte[in[0] * in[3]];
        backend.mean(MeanParams.of(x.scale(), x.zeroPoint(), y.scale(), y.zeroPoint()), x.dims(),
                seg(calibration.get(x.id())), y.dims(), seg(dy));
        calibration.put(y.id(), dy);
        return y;
    }

    /**
     * The classifier as the real models have it: a 1x1 conv on the pooled [n, 1, 1, C] map to
     * [n, 1, 1, classes] (the conv's output is named {@code name}), then a reshape to [n, classes]
     * (named {@code name + ".logits"}), which is returned. Weights are random with fan-in scaling
     * (no BatchNorm folding: there is one pixel per image); the output range is calibrated.
     */
    public Value classifier(String name, Value pooled, int classes) {
        int[] in = activationShape(name, pooled);
        if (in[1] != 1 || in[2] != 1) {
            throw new IllegalArgumentException(name + ": the classifier reads a pooled [n, 1, 1, C] map, got "
                    + Arrays.toString(in));
        }
        if (classes < 1) {
            throw new IllegalArgumentException(name + ": classes must be >= 1, got " + classes);
        }
        int cin = in[3];
        SplittableRandom r = rng("weights:" + name);
        byte[] w = randomWeights(r, classes, cin, false);
        int[] wShape = {classes, 1, 1, cin};
        // Real weights of std about 1/sqrt(cin): each channel's 127 stands for about 3 standard deviations.
        float sx = pooled.scale();
        float[] ws = new float[classes];
        int[] bias = new int[classes];
        for (int c = 0; c < classes; c++) {
            ws[c] = (float) (3.0 / Math.sqrt(cin) / 127.0 * (0.75 + 0.5 * r.nextDouble()));
            double realBias = 0.1 * r.nextGaussian();
            bias[c] = (int) Math.round(realBias / ((double) sx * ws[c]));
        }
        long[] acc = accumulate(pooled, w, wShape, false, new int[] {in[0], 1, 1, classes}, 1, 0);
        Spread spread = new Spread();
        for (int i = 0; i < acc.length; i++) {
            int c = i % classes;
            spread.add((double) sx * ws[c] * (acc[i] + bias[c]));
        }
        Value conv = addConv(name, pooled, w, wShape, false, ws, bias, new int[] {in[0], 1, 1, classes}, 1, 0,
                spread.quantization());
        Value logits = graph.value(unique(name + ".logits"), new int[] {in[0], classes}, DType.INT8, conv.quant(),
                Role.ACTIVATION);
        graph.op(new Op.Reshape(conv, logits));
        calibration.put(logits.id(), calibration.get(conv.id()));
        return logits;
    }

    /** Marks graph outputs. */
    public NetBuilder outputs(Value... vs) {
        graph.outputs(vs);
        return this;
    }

    /** Verifies and builds the graph. */
    public Graph build() {
        return graph.build();
    }

    /** The calibration data of a value built so far (a copy), for tests. */
    public byte[] calibrationData(Value v) {
        byte[] d = calibration.get(v.id());
        if (d == null) {
            throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") has no calibration data");
        }
        return d.clone();
    }

    // ---- conv layers -----------------------------------------------------------------------

    private Value convLayer(String name, Value x, byte[] w, int[] wShape, boolean depthwise, int[] out, int stride,
                            int pad, boolean relu6, SplittableRandom r) {
        int channels = out[3];
        long[] acc = accumulate(x, w, wShape, depthwise, out, stride, pad);
        long perChannel = acc.length / channels;
        // Per-channel accumulator statistics, shrunk toward the layer's when there are few pixels.
        double[] sum = new double[channels];
        double[] sumSq = new double[channels];
        for (int i = 0; i < acc.length; i++) {
            int c = i % channels;
            sum[c] += acc[i];
            sumSq[c] += (double) acc[i] * acc[i];
        }
        double layerSum = 0;
        double layerSumSq = 0;
        for (int c = 0; c < channels; c++) {
            layerSum += sum[c];
            layerSumSq += sumSq[c];
        }
        double layerMean = layerSum / acc.length;
        double layerVar = Math.max(0, layerSumSq / acc.length - layerMean * layerMean);
        float sx = x.scale();
        float[] ws = new float[channels];
        int[] bias = new int[channels];
        double[] gamma = new double[channels];
        double[] beta = new double[channels];
        double[] mean = new double[channels];
        double[] std = new double[channels];
        for (int c = 0; c < channels; c++) {
            double m = sum[c] / perChannel;
            double v = Math.max(0, sumSq[c] / perChannel - m * m);
            double n = perChannel;
            mean[c] = (n * m + PRIOR_SAMPLES * layerMean) / (n + PRIOR_SAMPLES);
            double var = (n * v + PRIOR_SAMPLES * layerVar) / (n + PRIOR_SAMPLES);
            std[c] = Math.max(1.0, Math.sqrt(var));
            if (relu6) {
                // pre-activation ~ N(beta, gamma^2): about a quarter of the values clamp at 0
                gamma[c] = 0.8 + 0.4 * r.nextDouble();
                beta[c] = 0.3 + 0.7 * r.nextDouble();
            } else {
                gamma[c] = 0.6 + 0.8 * r.nextDouble();
                beta[c] = 0.2 * r.nextGaussian();
            }
            // real y = s_x * s_w[c] * (acc + bias) = gamma * (acc - mean) / std + beta
            ws[c] = (float) (gamma[c] / (std[c] * sx));
            double realBias = beta[c] - gamma[c] * mean[c] / std[c];
            bias[c] = (int) Math.round(realBias / ((double) sx * ws[c]));
        }
        Quantization q;
        if (relu6) {
            q = Quantization.perTensor(RELU6_SCALE, RELU6_ZERO_POINT);
        } else {
            Spread spread = new Spread();
            for (int i = 0; i < acc.length; i++) {
                int c = i % channels;
                spread.add((double) sx * ws[c] * (acc[i] + bias[c]));
            }
            q = spread.quantization();
        }
        return addConv(name, x, w, wShape, depthwise, ws, bias, out, stride, pad, q);
    }

    private Value addConv(String name, Value x, byte[] w, int[] wShape, boolean depthwise, float[] ws, int[] bias,
                          int[] out, int stride, int pad, Quantization outQuant) {
        String n = unique(name);
        Value weight = graph.constant(n + ".weight", wShape, Quantization.perChannel(ws, depthwise ? 3 : 0), w);
        Value b = graph.constant(n + ".bias", new int[] {bias.length}, bias);
        Value y = graph.value(n, out, DType.INT8, outQuant, Role.ACTIVATION);
        ConvParams p = new ConvParams(-x.zeroPoint(), y.zeroPoint(), stride, stride, pad, pad, Activation.NONE);
        ChannelQuant cq = ChannelQuant.of(x.scale(), ws, y.scale());
        byte[] dy = new byte[Math.toIntExact(y.elements())];
        MemorySegment bseg = MemorySegment.ofArray(new byte[4 * bias.length]);
        for (int c = 0; c < bias.length; c++) {
            bseg.set(I32, 4L * c, bias[c]);
        }
        Dims fd = Dims.of(wShape[0], wShape[1], wShape[2], wShape[3]);
        if (depthwise) {
            graph.op(new Op.DepthwiseConv2d(x, weight, b, y, stride, stride, pad, pad, Activation.NONE));
            backend.depthwiseConv2d(p, cq, x.dims(), seg(calibration.get(x.id())), fd, seg(w), bseg, y.dims(),
                    seg(dy));
        } else {
            graph.op(new Op.Conv2d(x, weight, b, y, stride, stride, pad, pad, Activation.NONE));
            backend.conv2d(p, cq, x.dims(), seg(calibration.get(x.id())), fd, seg(w), bseg, y.dims(), seg(dy));
        }
        calibration.put(y.id(), dy);
        return y;
    }

    /**
     * Integer accumulators {@code sum (x - z_x) * w} (no bias) on the calibration data, NHWC order.
     * Plain loops; the statistics need exact accumulators, which the kernels do not expose.
     */
    private long[] accumulate(Value x, byte[] w, int[] wShape, boolean depthwise, int[] out, int stride, int pad) {
        byte[] in = calibration.get(x.id());
        if (in == null) {
            throw new IllegalArgumentException(x.ref() + " (" + x.name() + ") was not built by this NetBuilder");
        }
        int[] s = x.shape();
        int h = s[1];
        int wd = s[2];
        int cin = s[3];
        int zx = x.zeroPoint();
        int kh = wShape[1];
        int kw = wShape[2];
        int oc = out[3];
        long[] acc = new long[out[0] * out[1] * out[2] * oc];
        int o = 0;
        for (int b = 0; b < out[0]; b++) {
            for (int oy = 0; oy < out[1]; oy++) {
                for (int ox = 0; ox < out[2]; ox++) {
                    for (int c = 0; c < oc; c++) {
                        long a = 0;
                        for (int ky = 0; ky < kh; ky++) {
                            int iy = oy * stride - pad + ky;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int kx = 0; kx < kw; kx++) {
                                int ix = ox * stride - pad + kx;
                                if (ix < 0 || ix >= wd) {
                                    continue;
                                }
                                int base = ((b * h + iy) * wd + ix) * cin;
                                if (depthwise) {
                                    a += (in[base + c] - zx) * w[(ky * kw + kx) * cin + c];
                                } else {
                                    int fb = ((c * kh + ky) * kw + kx) * cin;
                                    for (int i = 0; i < cin; i++) {
                                        a += (in[base + i] - zx) * w[fb + i];
                                    }
                                }
                            }
                        }
                        acc[o++] = a;
                    }
                }
            }
        }
        return acc;
    }

    /**
     * Random int8 weights, symmetric per output channel: Gaussian real weights, each channel with
     * its own spread, quantized with {@code scale = max|w_c| / 127} (so each channel has a +-127).
     * Conv layout OHWI (channel-major runs of {@code perChannel}); depthwise 1HWC (channel fastest).
     */
    private static byte[] randomWeights(SplittableRandom r, int channels, int perChannel, boolean depthwise) {
        double[] real = new double[channels * perChannel];
        for (int c = 0; c < channels; c++) {
            double spread = 0.5 + r.nextDouble();
            for (int i = 0; i < perChannel; i++) {
                real[index(c, i, channels, perChannel, depthwise)] = spread * r.nextGaussian();
            }
        }
        byte[] q = new byte[real.length];
        for (int c = 0; c < channels; c++) {
            double max = 0;
            for (int i = 0; i < perChannel; i++) {
                max = Math.max(max, Math.abs(real[index(c, i, channels, perChannel, depthwise)]));
            }
            double scale = max > 0 ? max / 127.0 : 1.0;
            for (int i = 0; i < perChannel; i++) {
                int j = index(c, i, channels, perChannel, depthwise);
                q[j] = (byte) Math.clamp(Math.round(real[j] / scale), -127, 127);
            }
        }
        return q;
    }

    private static int index(int c, int i, int channels, int perChannel, boolean depthwise) {
        return depthwise ? i * channels + c : c * perChannel + i;
    }

    // ---- helpers ---------------------------------------------------------------------------

    /**
     * Mean and standard deviation of the real values a linear output takes on the calibration input;
     * its quantization covers mean +- 4 std (min/max of one image's few values would place the zero
     * point by chance on small maps), widened to include 0 so the zero point is representable.
     */
    private static final class Spread {
        private double sum;
        private double sumSq;
        private long n;

        void add(double v) {
            sum += v;
            sumSq += v * v;
            n++;
        }

        Quantization quantization() {
            double mean = sum / n;
            double std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
            return rangeQuant(mean - 4 * std, mean + 4 * std);
        }
    }

    /** Asymmetric int8 quantization covering [lo, hi] and 0. */
    public static Quantization rangeQuant(double lo, double hi) {
        lo = Math.min(lo, 0);
        hi = Math.max(hi, 0);
        double span = Math.max(hi - lo, 1e-6);
        float scale = (float) (span / 255.0);
        int zp = Math.clamp(Math.round(-128 - lo / scale), -128, 127);
        return Quantization.perTensor(scale, zp);
    }

    private int[] activationShape(String op, Value x) {
        Objects.requireNonNull(x, op + ": input value");
        if (x.dtype() != DType.INT8 || x.shape().length != 4) {
            throw new IllegalArgumentException(op + ": input " + x.ref() + " (" + x.name()
                    + ") must be an int8 NHWC activation, got " + x.desc());
        }
        if (!calibration.containsKey(x.id())) {
            throw new IllegalArgumentException(op + ": input " + x.ref() + " (" + x.name()
                    + ") was not built by this NetBuilder");
        }
        return x.shape();
    }

    private static int outSize(String op, String axis, int in, int k, int stride, int pad) {
        if (k < 1 || k % 2 == 0) {
            throw new IllegalArgumentException(op + ": kernel size must be odd and >= 1 (symmetric padding), got "
                    + k);
        }
        if (stride < 1) {
            throw new IllegalArgumentException(op + ": stride must be >= 1, got " + stride);
        }
        int out = Windows.symmetricOutput(in, k, stride, pad);
        String problem = out < 1 ? "empty" : Windows.problem(in, out, k, stride, pad);
        if (problem != null) {
            throw new IllegalArgumentException(op + ": " + axis + " " + in + " is too small for kernel " + k
                    + ", stride " + stride + ", pad " + pad + " (" + problem + ")");
        }
        return out;
    }

    private String unique(String name) {
        Objects.requireNonNull(name, "name");
        if (names.containsKey(name)) {
            throw new IllegalArgumentException("layer name '" + name + "' is used twice");
        }
        names.put(name, null);
        return name;
    }

    /** A generator for one purpose (FNV-1a of graph name and purpose, mixed with the seed). */
    private SplittableRandom rng(String what) {
        long h = seed * 0x9E3779B97F4A7C15L;
        String key = graphName + "/" + what;
        for (int i = 0; i < key.length(); i++) {
            h = (h ^ key.charAt(i)) * 0x100000001B3L;
        }
        return new SplittableRandom(h ^ (h >>> 31));
    }

    private static MemorySegment seg(byte[] data) {
        return MemorySegment.ofArray(data);
    }
}
