package dev.tinytrain.fp32;

import dev.tinytrain.kernel.Windows;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.tensor.Dims;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A float32 network for a built-in architecture ({@link Architectures.Spec}), for pre-training
 * before post-training quantization: the same layers, names and layouts as the int8 graph of
 * {@link Architectures#build}, with every conv followed by BatchNorm instead of a bias.
 *
 * <ul>
 *   <li>{@link ConvBn}: conv or depthwise conv (no bias; OHWI / 1HWC weights), BatchNorm
 *       ({@code gamma}, {@code beta}; running mean and variance), then ReLU6 where the int8 graph
 *       has a ReLU6 output (first conv, pw1, dw), linear otherwise (pw2);</li>
 *   <li>{@link Add}: the identity residual;</li>
 *   <li>{@link Pool}: global average pool;</li>
 *   <li>{@link Classifier}: fully connected with bias on the pooled features ([classes, 1, 1, C]
 *       weights: the int8 graph's 1x1 classifier conv).</li>
 * </ul>
 *
 * <p>Input: the int8 dataset images dequantized with the architectures' input quantization
 * ({@link NetBuilder#INPUT_SCALE}, zero point {@link NetBuilder#INPUT_ZERO_POINT}), so the quantized
 * graph reads the very same bytes. Activations NHWC, any batch size. Parameter tensor names:
 * {@code <layer>.weight}, {@code <layer>.bn.gamma}, {@code <layer>.bn.beta},
 * {@code <layer>.bn.running_mean}, {@code <layer>.bn.running_var}, {@code classifier.weight},
 * {@code classifier.bias}.
 *
 * <p>Initialization (seeded): He-normal conv weights ({@code std = sqrt(2 / fan_in)}, fan_in =
 * k*k*in for convs, k*k for depthwise), gamma 1, beta 0, running mean 0, running variance 1,
 * classifier weights normal with std 0.01, bias 0.
 */
public final class FloatNet {

    /** BatchNorm epsilon (PyTorch's default). */
    public static final float BN_EPS = 1e-5f;

    /** Running-statistics momentum: {@code running = (1 - m) * running + m * batch} (PyTorch's default). */
    public static final float BN_MOMENTUM = 0.1f;

    /** A layer of the network, in forward order; {@code id} is its output's index. */
    public sealed interface Node permits Input, ConvBn, Add, Pool, Classifier {
        int id();

        String name();

        /** Per-image output shape [1, h, w, c]. */
        Dims out();
    }

    /** The network input. */
    public record Input(int id, String name, Dims out) implements Node {
    }

    /** Conv (or depthwise conv) without bias, BatchNorm, optional ReLU6. */
    public record ConvBn(int id, String name, int input, boolean depthwise, Window window, Dims in, Dims out,
                         boolean relu6, Param weight, Param gamma, Param beta, Param runningMean, Param runningVar)
            implements Node {
        /** Filter dims (OHWI, or 1HWC for depthwise). */
        public Dims filter() {
            int[] s = weight.shape();
            return Dims.of(s[0], s[1], s[2], s[3]);
        }
    }

    /** Identity residual {@code a + b}. */
    public record Add(int id, String name, int a, int b, Dims out) implements Node {
    }

    /** Global average pool: [1, h, w, c] to [1, 1, 1, c]. */
    public record Pool(int id, String name, int input, Dims in, Dims out) implements Node {
    }

    /** Fully connected with bias: weight [classes, 1, 1, C], bias [classes]; out [1, 1, 1, classes]. */
    public record Classifier(int id, String name, int input, Param weight, Param bias, Dims out) implements Node {
    }

    private final Architectures.Spec spec;
    private final int resolution;
    private final int inChannels;
    private final int classes;
    private final List<Node> nodes;
    private final Map<String, Param> params;

    private FloatNet(Architectures.Spec spec, int resolution, int inChannels, int classes, List<Node> nodes,
                     Map<String, Param> params) {
        this.spec = spec;
        this.resolution = resolution;
        this.inChannels = inChannels;
        this.classes = classes;
        this.nodes = List.copyOf(nodes);
        this.params = Collections.unmodifiableMap(params);
    }

    /**
     * A freshly initialized network.
     *
     * @param architecture one of {@link Architectures#names()}
     * @param resolution   input height and width, >= {@link Architectures#MIN_RESOLUTION}
     * @param inChannels   input channels
     * @param classes      classifier outputs
     * @param seed         initialization seed
     */
    public static FloatNet create(String architecture, int resolution, int inChannels, int classes, long seed) {
        Architectures.Spec spec = Architectures.spec(architecture);
        List<Node> nodes = new ArrayList<>();
        Map<String, Param> params = new LinkedHashMap<>();
        SplittableRandom rng = new SplittableRandom(seed);
        Architectures.walk(spec, resolution, inChannels, classes, new Architectures.Layers<Integer>() {
            @Override
            public Integer input(String name, int res, int channels) {
                return add(new Input(nodes.size(), name, Dims.of(1, res, res, channels)));
            }

            @Override
            public Integer conv(String name, Integer x, int k, int stride, int outChannels, boolean relu6) {
                Dims in = nodes.get(x).out();
                Dims out = outDims(name, in, k, stride, outChannels);
                Param w = he(name + ".weight", rng.split(), k * k * in.c(), outChannels, k, k, in.c());
                return convBn(name, x, false, Window.symmetric(k, stride), in, out, relu6, w);
            }

            @Override
            public Integer depthwise(String name, Integer x, int k, int stride, boolean relu6) {
                Dims in = nodes.get(x).out();
                Dims out = outDims(name, in, k, stride, in.c());
                Param w = he(name + ".weight", rng.split(), k * k, 1, k, k, in.c());
                return convBn(name, x, true, Window.symmetric(k, stride), in, out, relu6, w);
            }

            @Override
            public Integer add(String name, Integer a, Integer b) {
                return add(new Add(nodes.size(), name, a, b, nodes.get(a).out()));
            }

            @Override
            public Integer mean(String name, Integer x) {
                Dims in = nodes.get(x).out();
                return add(new Pool(nodes.size(), name, x, in, Dims.of(1, 1, 1, in.c())));
            }

            @Override
            public Integer classifier(String name, Integer pooled, int k) {
                int c = nodes.get(pooled).out().c();
                SplittableRandom r = rng.split();
                float[] w = new float[k * c];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) (0.01 * r.nextGaussian());
                }
                Param weight = put(Param.of(name + ".weight", Param.Kind.WEIGHT, w, k, 1, 1, c));
                Param bias = put(Param.zeros(name + ".bias", Param.Kind.AFFINE, k));
                return add(new Classifier(nodes.size(), name, pooled, weight, bias, Dims.of(1, 1, 1, k)));
            }

            private int convBn(String name, int x, boolean dw, Window win, Dims in, Dims out, boolean relu6,
                               Param w) {
                int c = out.c();
                float[] ones = new float[c];
                java.util.Arrays.fill(ones, 1f);
                float[] var = ones.clone();
                Param gamma = put(Param.of(name + ".bn.gamma", Param.Kind.AFFINE, ones, c));
                Param beta = put(Param.zeros(name + ".bn.beta", Param.Kind.AFFINE, c));
                Param mean = put(Param.zeros(name + ".bn.running_mean", Param.Kind.STATISTIC, c));
                Param rv = put(Param.of(name + ".bn.running_var", Param.Kind.STATISTIC, var, c));
                return add(new ConvBn(nodes.size(), name, x, dw, win, in, out, relu6, w, gamma, beta, mean, rv));
            }

            private Param he(String pname, SplittableRandom r, int fanIn, int... shape) {
                long n = 1;
                for (int d : shape) {
                    n *= d;
                }
                float[] w = new float[Math.toIntExact(n)];
                double std = Math.sqrt(2.0 / fanIn);
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) (std * r.nextGaussian());
                }
                return put(Param.of(pname, Param.Kind.WEIGHT, w, shape));
            }

            private Param put(Param p) {
                params.put(p.name(), p);
                return p;
            }

            private int add(Node n) {
                nodes.add(n);
                return n.id();
            }
        });
        return new FloatNet(spec, resolution, inChannels, classes, nodes, params);
    }

    private static Dims outDims(String name, Dims in, int k, int stride, int channels) {
        int pad = (k - 1) / 2;
        int oh = Windows.symmetricOutput(in.h(), k, stride, pad);
        int ow = Windows.symmetricOutput(in.w(), k, stride, pad);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(name + ": input " + in.h() + "x" + in.w() + " too small for kernel " + k
                    + " stride " + stride);
        }
        return Dims.of(1, oh, ow, channels);
    }

    public Architectures.Spec spec() {
        return spec;
    }

    /** The architecture's canonical name. */
    public String architecture() {
        return spec.name();
    }

    public int resolution() {
        return resolution;
    }

    public int inChannels() {
        return inChannels;
    }

    public int classes() {
        return classes;
    }

    /** Layers in forward order; node {@code i} has id {@code i}; the last one is the classifier. */
    public List<Node> nodes() {
        return nodes;
    }

    /** Every tensor by name, in creation (forward) order. */
    public Map<String, Param> params() {
        return params;
    }

    /** The tensor named {@code name}. */
    public Param param(String name) {
        Param p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException(architecture() + " has no tensor '" + name + "'");
        }
        return p;
    }

    /** Input elements per image. */
    public int inputSize() {
        return resolution * resolution * inChannels;
    }

    /** Number of trained scalars. */
    public long trainedParameters() {
        long n = 0;
        for (Param p : params.values()) {
            if (p.kind().trained()) {
                n += p.size();
            }
        }
        return n;
    }

    /**
     * A copy with a new classifier of {@code weight.length / C} outputs ({@code weight} [classes, C]
     * row-major, {@code bias} [classes]); every other tensor copied.
     */
    public FloatNet withClassifier(float[] weight, float[] bias) {
        Classifier old = (Classifier) nodes.getLast();
        int c = nodes.get(old.input()).out().c();
        int k = bias.length;
        if (k < 2 || weight.length != (long) k * c) {
            throw new IllegalArgumentException("a classifier on " + c + " features with " + k + " outputs needs "
                    + (long) k * c + " weights, got " + weight.length);
        }
        FloatNet n = create(architecture(), resolution, inChannels, k, 0);
        for (Param p : params.values()) {
            if (p != old.weight() && p != old.bias()) {
                System.arraycopy(p.data(), 0, n.param(p.name()).data(), 0, p.size());
            }
        }
        Classifier head = (Classifier) n.nodes().getLast();
        System.arraycopy(weight, 0, head.weight().data(), 0, weight.length);
        System.arraycopy(bias, 0, head.bias().data(), 0, k);
        return n;
    }

    /** A deep copy (same structure, copied tensors). */
    public FloatNet copy() {
        FloatNet c = create(architecture(), resolution, inChannels, classes, 0);
        for (Param p : params.values()) {
            System.arraycopy(p.data(), 0, c.param(p.name()).data(), 0, p.size());
        }
        return c;
    }
}
