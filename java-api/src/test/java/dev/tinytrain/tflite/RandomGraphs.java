package dev.tinytrain.tflite;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.Windows;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Quantization;

import java.util.SplittableRandom;

/**
 * Small random int8 forward graphs that use every op TF-Lite can express: convs (1x1 to 5x5, stride 1
 * or 2, SAME, VALID or symmetric padding, which the exporter writes as PAD + VALID), depthwise convs,
 * residual adds, average pooling (SAME or VALID), the global mean, reshape and fully connected (with
 * and without kept dims), each with a random fused activation that TF-Lite has (NONE, RELU,
 * RELU_N1_TO_1, RELU6 on the layer's output quantization). Weights are symmetric per channel, biases
 * random in a plausible range. A pure function of the seed; the graph's name carries it.
 */
public final class RandomGraphs {

    private RandomGraphs() {
    }

    public static Graph build(long seed) {
        return new Gen(seed).build();
    }

    private static final class Gen {
        private final SplittableRandom r;
        private final Graph.Builder b;
        private final long seed;
        private int layer;

        Gen(long seed) {
            this.seed = seed;
            this.r = new SplittableRandom(seed);
            this.b = Graph.builder("random-" + Long.toHexString(seed));
        }

        Graph build() {
            int h = r.nextInt(4, 13);
            int w = r.nextInt(4, 13);
            int c = pick(1, 2, 3, 5, 8);
            Value x = b.input("input", new int[] {1, h, w, c}, DType.INT8, quant(), Role.INPUT);
            int layers = r.nextInt(2, 7);
            for (int i = 0; i < layers; i++) {
                int[] s = x.shape();
                switch (r.nextInt(5)) {
                    case 0, 1 -> x = conv(x, false);
                    case 2 -> x = conv(x, true);
                    case 3 -> {
                        Value branch = conv(x, s[3] == 1 || r.nextBoolean(), 1, pick(1, 3), true);
                        x = add(x, branch);
                    }
                    default -> {
                        if (s[1] >= 2 && s[2] >= 2) {
                            x = avgPool(x);
                        }
                    }
                }
            }
            Value out;
            switch (r.nextInt(3)) {
                case 0 -> {
                    // mean, reshape to [1, C], fully connected to [1, units]
                    Value m = mean(x);
                    Value flat = value(new int[] {1, m.shape()[3]}, m.quant());
                    b.op(new Op.Reshape(m, flat));
                    out = fc(flat, false);
                }
                case 1 -> out = fc(mean(x), true);      // on [1, 1, 1, C], output kept [1, 1, 1, units]
                default -> {
                    Value m = mean(x);
                    Value y = conv(m, false, 1, 1, false);
                    Value logits = value(new int[] {1, y.shape()[3]}, y.quant());
                    b.op(new Op.Reshape(y, logits));
                    out = logits;
                }
            }
            return b.outputs(out).build();
        }

        private Value conv(Value x, boolean depthwise) {
            int k = pick(1, 3, 3, 5);
            int stride = pick(1, 1, 2);
            return conv(x, depthwise, stride, k, false);
        }

        /** A conv with a random padding mode that fits the input (falls back to 1x1 when none does). */
        private Value conv(Value x, boolean depthwise, int stride, int k, boolean keepShape) {
            int[] s = x.shape();
            int mode = keepShape ? 0 : r.nextInt(3);
            if (k > Math.min(s[1], s[2])) {
                k = 1;
            }
            int outH;
            int outW;
            int padH;
            int padW;
            switch (mode) {
                case 0 -> {         // SAME
                    outH = Padding.SAME.outputSize(s[1], k, stride);
                    outW = Padding.SAME.outputSize(s[2], k, stride);
                    padH = Padding.SAME.padBefore(s[1], k, stride);
                    padW = Padding.SAME.padBefore(s[2], k, stride);
                }
                case 1 -> {         // VALID
                    outH = Padding.VALID.outputSize(s[1], k, stride);
                    outW = Padding.VALID.outputSize(s[2], k, stride);
                    padH = 0;
                    padW = 0;
                }
                default -> {        // symmetric (k-1)/2 on both sides, as the paper's models
                    padH = (k - 1) / 2;
                    padW = (k - 1) / 2;
                    outH = Windows.symmetricOutput(s[1], k, stride, padH);
                    outW = Windows.symmetricOutput(s[2], k, stride, padW);
                }
            }
            if (keepShape) {
                stride = 1;
                outH = s[1];
                outW = s[2];
            }
            int cin = s[3];
            int cout = depthwise ? cin : keepShape ? cin : pick(1, 2, 4, 7, 8, 12);
            String name = "l" + layer++ + (depthwise ? ".dw" : ".conv");
            int[] wShape = depthwise ? new int[] {1, k, k, cin} : new int[] {cout, k, k, cin};
            Value weight = b.constant(name + ".weight", wShape, Quantization.perChannel(scales(cout),
                    depthwise ? 3 : 0), bytes(cout * k * k * (depthwise ? 1 : cin)));
            Value bias = b.constant(name + ".bias", new int[] {cout}, biases(cout));
            Quantization q = quant();
            Value y = b.value(name, new int[] {1, outH, outW, cout}, DType.INT8, q, Role.ACTIVATION);
            Activation act = activation(q);
            b.op(depthwise ? new Op.DepthwiseConv2d(x, weight, bias, y, stride, stride, padH, padW, act)
                    : new Op.Conv2d(x, weight, bias, y, stride, stride, padH, padW, act));
            return y;
        }

        private Value add(Value a, Value c) {
            Quantization q = quant();
            Value y = b.value("l" + layer++ + ".add", a.shape(), DType.INT8, q, Role.ACTIVATION);
            b.op(new Op.Add(a, c, y, activation(q)));
            return y;
        }

        private Value avgPool(Value x) {
            int[] s = x.shape();
            int f = Math.min(pick(2, 3), Math.min(s[1], s[2]));
            int stride = pick(1, 2);
            Padding p = r.nextBoolean() ? Padding.SAME : Padding.VALID;
            int oh = p.outputSize(s[1], f, stride);
            int ow = p.outputSize(s[2], f, stride);
            Value y = b.value("l" + layer++ + ".pool", new int[] {1, oh, ow, s[3]}, DType.INT8, x.quant(),
                    Role.ACTIVATION);
            b.op(new Op.AvgPool2d(x, y, f, f, stride, stride, p.padBefore(s[1], f, stride), p.padBefore(s[2], f, stride),
                    activation(x.quant())));
            return y;
        }

        private Value mean(Value x) {
            int[] s = x.shape();
            Value y = b.value("l" + layer++ + ".mean", new int[] {1, 1, 1, s[3]}, DType.INT8,
                    r.nextBoolean() ? x.quant() : quant(), Role.ACTIVATION);
            b.op(new Op.Mean(x, y));
            return y;
        }

        private Value fc(Value x, boolean keepDims) {
            int features = (int) x.elements();
            int units = pick(1, 3, 10);
            String name = "l" + layer++ + ".fc";
            Value weight = b.constant(name + ".weight", new int[] {units, features},
                    Quantization.perChannel(scales(units), 0), bytes(units * features));
            Value bias = b.constant(name + ".bias", new int[] {units}, biases(units));
            Quantization q = quant();
            int[] shape = keepDims ? new int[] {1, 1, 1, units} : new int[] {1, units};
            Value y = b.value(name, shape, DType.INT8, q, Role.ACTIVATION);
            b.op(new Op.FullyConnected(x, weight, bias, y, activation(q)));
            return y;
        }

        private Value value(int[] shape, Quantization q) {
            return b.value("l" + layer++ + ".reshape", shape, DType.INT8, q, Role.ACTIVATION);
        }

        private Activation activation(Quantization q) {
            FusedActivation f = FusedActivation.values()[r.nextInt(FusedActivation.values().length)];
            return TfliteActivations.clamp(f, q.scale(), q.zeroPoint());
        }

        private Quantization quant() {
            float scale = (float) Math.exp(r.nextDouble(Math.log(0.005), Math.log(0.2)));
            int zp = r.nextInt(5) == 0 ? pick(-128, 127) : r.nextInt(-40, 41);
            return Quantization.perTensor(scale, zp);
        }

        private float[] scales(int n) {
            float[] s = new float[n];
            for (int i = 0; i < n; i++) {
                s[i] = (float) Math.exp(r.nextDouble(Math.log(0.001), Math.log(0.05)));
            }
            return s;
        }

        private byte[] bytes(int n) {
            byte[] d = new byte[n];
            for (int i = 0; i < n; i++) {
                d[i] = (byte) r.nextInt(-127, 128);
            }
            return d;
        }

        private int[] biases(int n) {
            int[] d = new int[n];
            for (int i = 0; i < n; i++) {
                d[i] = r.nextInt(-2000, 2001);
            }
            return d;
        }

        private int pick(int... options) {
            return options[r.nextInt(options.length)];
        }
    }
}
