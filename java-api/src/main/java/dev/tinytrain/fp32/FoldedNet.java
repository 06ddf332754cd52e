package dev.tinytrain.fp32;

import dev.tinytrain.tensor.Dims;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link FloatNet} with every BatchNorm folded into the conv before it (inference only): for
 * output channel c, {@code s = gamma[c] / sqrt(running_var[c] + eps)}, {@code w'[c] = w[c] * s} and
 * {@code b'[c] = beta[c] - running_mean[c] * s} (in double, rounded to float once). The same function
 * as the network in eval mode up to float rounding; the weights and biases that post-training
 * quantization turns into int8 and int32.
 */
public final class FoldedNet {

    /** A conv with its folded float weight (OHWI or 1HWC) and bias. */
    public record Conv(FloatNet.ConvBn layer, float[] weight, float[] bias) {
    }

    private final FloatNet net;
    private final Map<String, Conv> convs = new LinkedHashMap<>();

    private FoldedNet(FloatNet net) {
        this.net = net;
    }

    /** Folds every BatchNorm of {@code net} (a snapshot: later changes to {@code net} are not seen). */
    public static FoldedNet fold(FloatNet net) {
        FoldedNet f = new FoldedNet(net);
        for (FloatNet.Node node : net.nodes()) {
            if (node instanceof FloatNet.ConvBn c) {
                int ch = c.out().c();
                float[] w = c.weight().data();
                float[] fw = new float[w.length];
                float[] fb = new float[ch];
                double[] s = scale(c);
                for (int k = 0; k < ch; k++) {
                    fb[k] = (float) (c.beta().data()[k] - c.runningMean().data()[k] * s[k]);
                }
                for (int i = 0; i < w.length; i++) {
                    fw[i] = (float) (w[i] * s[Param.outputChannel(c.depthwise(), i, w.length, ch)]);
                }
                f.convs.put(c.name(), new Conv(c, fw, fb));
            }
        }
        return f;
    }

    /** The per-channel factor BatchNorm folds into the weights: {@code gamma / sqrt(running_var + eps)}. */
    public static double[] scale(FloatNet.ConvBn c) {
        int ch = c.out().c();
        double[] s = new double[ch];
        for (int k = 0; k < ch; k++) {
            s[k] = c.gamma().data()[k] / Math.sqrt((double) c.runningVar().data()[k] + FloatNet.BN_EPS);
        }
        return s;
    }

    public FloatNet net() {
        return net;
    }

    /** The folded conv of layer {@code name}. */
    public Conv conv(String name) {
        Conv c = convs.get(name);
        if (c == null) {
            throw new IllegalArgumentException(net.architecture() + " has no conv layer '" + name + "'");
        }
        return c;
    }

    /**
     * Runs the folded network on {@code n} images and returns every node's output, by node id
     * ({@code n * out().elements()} floats each); the last one is the logits.
     */
    public List<float[]> forward(Fp32Backend backend, float[] input, int n) {
        List<FloatNet.Node> nodes = net.nodes();
        List<float[]> out = new ArrayList<>(nodes.size());
        if (input.length < (long) n * net.inputSize()) {
            throw new IllegalArgumentException("input holds " + input.length + " floats, " + n + " images need "
                    + (long) n * net.inputSize());
        }
        for (FloatNet.Node node : nodes) {
            float[] y = new float[Math.toIntExact(n * node.out().elements())];
            switch (node) {
                case FloatNet.Input in -> System.arraycopy(input, 0, y, 0, y.length);
                case FloatNet.ConvBn c -> {
                    Conv f = convs.get(c.name());
                    Dims id = Dims.of(n, c.in().h(), c.in().w(), c.in().c());
                    Dims od = Dims.of(n, c.out().h(), c.out().w(), c.out().c());
                    MemorySegment x = MemorySegment.ofArray(out.get(c.input()));
                    if (c.depthwise()) {
                        backend.depthwiseConv2d(c.window(), id, x, c.filter(), MemorySegment.ofArray(f.weight()),
                                MemorySegment.ofArray(f.bias()), od, MemorySegment.ofArray(y));
                    } else {
                        backend.conv2d(c.window(), id, x, c.filter(), MemorySegment.ofArray(f.weight()),
                                MemorySegment.ofArray(f.bias()), od, MemorySegment.ofArray(y));
                    }
                    if (c.relu6()) {
                        for (int i = 0; i < y.length; i++) {
                            y[i] = Math.min(Math.max(y[i], 0f), 6f);
                        }
                    }
                }
                case FloatNet.Add a -> {
                    float[] p = out.get(a.a());
                    float[] q = out.get(a.b());
                    for (int i = 0; i < y.length; i++) {
                        y[i] = p[i] + q[i];
                    }
                }
                case FloatNet.Pool p -> {
                    float[] x = out.get(p.input());
                    int hw = p.in().h() * p.in().w();
                    int ch = p.in().c();
                    for (int b = 0; b < n; b++) {
                        for (int k = 0; k < ch; k++) {
                            double s = 0;
                            for (int q = 0; q < hw; q++) {
                                s += x[(b * hw + q) * ch + k];
                            }
                            y[b * ch + k] = (float) (s / hw);
                        }
                    }
                }
                case FloatNet.Classifier k -> {
                    float[] x = out.get(k.input());
                    float[] w = k.weight().data();
                    float[] bias = k.bias().data();
                    int c = nodes.get(k.input()).out().c();
                    int classes = k.out().c();
                    for (int b = 0; b < n; b++) {
                        for (int o = 0; o < classes; o++) {
                            float acc = 0f;
                            for (int i = 0; i < c; i++) {
                                acc = acc + x[b * c + i] * w[o * c + i];
                            }
                            y[b * classes + o] = acc + bias[o];
                        }
                    }
                }
            }
            out.add(y);
        }
        return out;
    }
}
