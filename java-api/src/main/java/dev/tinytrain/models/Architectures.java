package dev.tinytrain.models;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.KernelBackend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's three int8 CNNs (models/ARCHITECTURES.md), built block by block with seeded random
 * weights by {@link NetBuilder}: mcunet-5fps, mobilenetv2-w0.35 and proxylessnas-w0.3.
 *
 * <p>Structure, common to all three: a 3x3 stride-2 first conv to 16 channels (ReLU6); inverted
 * residual blocks of pw1 (1x1 expansion, ReLU6; absent in block 0), dw (k x k depthwise, ReLU6) and
 * pw2 (1x1 linear projection), with an identity residual add where the table has one; a global
 * average pool (MEAN); the classifier as a 1x1 conv on the pooled map, then a reshape to
 * [1, classes]. Padding (k-1)/2 on every side; no explicit activations (ReLU6 is the int8 clamp of
 * an output quantized with scale 6/255, zero point -128).
 *
 * <p>Names: the convs' output values are {@code conv0}, {@code block<i>.pw1}, {@code block<i>.dw},
 * {@code block<i>.pw2} and {@code classifier}; weights and biases append {@code .weight} and
 * {@code .bias}; residual sums are {@code block<i>.add}, the pool {@code pool}, the reshaped output
 * {@code classifier.logits}, the input {@code input}.
 */
public final class Architectures {

    /**
     * One inverted-residual block: pw1 width (0: no pw1), depthwise kernel and stride, pw2 width,
     * identity residual.
     */
    public record Block(int expand, int kernel, int stride, int out, boolean residual) {
    }

    /**
     * An architecture: its canonical name, the first conv's width and the blocks. One spec drives
     * every builder ({@link #walk}): the int8 graph here, the float32 network of
     * {@code dev.tinytrain.fp32}, and the quantized graph made from a trained float network.
     */
    public record Spec(String name, int firstChannels, List<Block> blocks) {
        public Spec {
            blocks = List.copyOf(blocks);
        }
    }

    /**
     * The layers an architecture is made of, in forward order, as a builder receives them from
     * {@link #walk}. {@code V} is whatever the builder uses for a tensor (a graph value, a float
     * network node). Names are those of the int8 graph (see the class comment).
     */
    public interface Layers<V> {
        /** The input [1, resolution, resolution, channels]. */
        V input(String name, int resolution, int channels);

        /** A k x k conv (groups 1), stride, padding (k-1)/2; ReLU6 or a linear output. */
        V conv(String name, V x, int k, int stride, int outChannels, boolean relu6);

        /** A k x k depthwise conv (multiplier 1), stride, padding (k-1)/2. */
        V depthwise(String name, V x, int k, int stride, boolean relu6);

        /** The identity residual {@code a + b}. */
        V add(String name, V a, V b);

        /** Global average pool to [n, 1, 1, c]. */
        V mean(String name, V x);

        /** The classifier: a 1x1 conv with bias on the pooled map (named {@code name}), then the logits. */
        V classifier(String name, V pooled, int classes);
    }

    /**
     * Smallest input resolution: five stride-2 layers (first conv + four depthwise) with symmetric
     * padding map any size >= 1 to >= 1, but below 16 the last blocks see a 1x1 map and a 7x7 kernel
     * sees mostly padding; 16 keeps every map >= 1 with some spatial extent early on.
     */
    public static final int MIN_RESOLUTION = 16;

    private static final Map<String, Spec> SPECS = new LinkedHashMap<>();
    private static final Map<String, String> ALIASES = Map.of(
            "mbv2-w0.35", "mobilenetv2-w0.35",
            "proxyless-w0.3", "proxylessnas-w0.3");

    static {
        SPECS.put("mcunet-5fps", new Spec("mcunet-5fps", 16, List.of(
                b(0, 3, 1, 8, false), b(32, 3, 2, 16, false), b(48, 3, 1, 16, true), b(48, 7, 2, 24, false),
                b(120, 3, 1, 24, true), b(120, 3, 2, 40, false), b(160, 7, 1, 40, true), b(160, 5, 1, 48, false),
                b(144, 3, 1, 48, true), b(192, 3, 1, 48, true), b(240, 7, 2, 96, false), b(384, 5, 1, 96, true),
                b(384, 5, 1, 96, true), b(576, 3, 1, 160, false))));
        SPECS.put("mobilenetv2-w0.35", new Spec("mobilenetv2-w0.35", 16, List.of(
                b(0, 3, 1, 8, false), b(48, 3, 2, 8, false), b(48, 3, 1, 8, true), b(48, 3, 2, 16, false),
                b(96, 3, 1, 16, true), b(96, 3, 1, 16, true), b(96, 3, 2, 24, false), b(144, 3, 1, 24, true),
                b(144, 3, 1, 24, true), b(144, 3, 1, 24, true), b(144, 3, 1, 32, false), b(192, 3, 1, 32, true),
                b(192, 3, 1, 32, true), b(192, 3, 2, 56, false), b(336, 3, 1, 56, true), b(336, 3, 1, 56, true),
                b(336, 3, 1, 112, false))));
        SPECS.put("proxylessnas-w0.3", new Spec("proxylessnas-w0.3", 16, List.of(
                b(0, 3, 1, 8, false), b(24, 5, 2, 16, false), b(48, 3, 1, 16, true), b(48, 7, 2, 16, false),
                b(48, 3, 1, 16, true), b(48, 5, 1, 16, true), b(48, 5, 1, 16, true), b(96, 7, 2, 24, false),
                b(72, 5, 1, 24, true), b(72, 5, 1, 24, true), b(72, 5, 1, 24, true), b(144, 5, 1, 32, false),
                b(96, 5, 1, 32, true), b(96, 5, 1, 32, true), b(96, 5, 1, 32, true), b(192, 7, 2, 64, false),
                b(384, 7, 1, 64, true), b(192, 7, 1, 64, true), b(192, 7, 1, 64, true), b(384, 7, 1, 96, false))));
    }

    private Architectures() {
    }

    private static Block b(int expand, int kernel, int stride, int out, boolean residual) {
        return new Block(expand, kernel, stride, out, residual);
    }

    /** The built-in architectures' names. */
    public static List<String> names() {
        return List.copyOf(SPECS.keySet());
    }

    /** The paper's setting: 128x128x3 input, 1000 classes. */
    public static Graph build(String name, long seed) {
        return build(name, 128, 3, 1000, seed);
    }

    /**
     * Builds a model with seeded random weights, calibrated with the reference backend.
     *
     * @param name        one of {@link #names()} (the model files' names mbv2-w0.35 and proxyless-w0.3
     *                    are accepted too)
     * @param resolution  input height and width, at least {@link #MIN_RESOLUTION} (any size: stride-2
     *                    layers pad symmetrically, as the paper's models do; 128 is the paper's)
     * @param inChannels  input channels, >= 1
     * @param classes     classifier outputs, >= 1
     * @param seed        seed of the weights and of the calibration input
     */
    public static Graph build(String name, int resolution, int inChannels, int classes, long seed) {
        return build(name, resolution, inChannels, classes, seed, null);
    }

    /** As {@link #build(String, int, int, int, long)}, calibrating with the given backend. */
    public static Graph build(String name, int resolution, int inChannels, int classes, long seed,
                              KernelBackend backend) {
        Spec spec = spec(name);
        NetBuilder nb = new NetBuilder(spec.name(), seed, backend);
        Value logits = walk(spec, resolution, inChannels, classes, new Layers<Value>() {
            @Override
            public Value input(String n, int res, int channels) {
                return nb.input(n, 1, res, res, channels);
            }

            @Override
            public Value conv(String n, Value x, int k, int stride, int outChannels, boolean relu6) {
                return nb.conv(n, x, k, stride, outChannels, relu6);
            }

            @Override
            public Value depthwise(String n, Value x, int k, int stride, boolean relu6) {
                return nb.depthwise(n, x, k, stride, relu6);
            }

            @Override
            public Value add(String n, Value a, Value b) {
                return nb.add(n, a, b);
            }

            @Override
            public Value mean(String n, Value x) {
                return nb.mean(n, x);
            }

            @Override
            public Value classifier(String n, Value pooled, int k) {
                return nb.classifier(n, pooled, k);
            }
        });
        return nb.outputs(logits).build();
    }

    /** The spec of a built-in architecture (aliases accepted). */
    public static Spec spec(String name) {
        return SPECS.get(canonical(name));
    }

    /**
     * Calls {@code layers} for every layer of {@code spec}, in forward order, and returns the logits:
     * the 3x3 stride-2 first conv ({@code conv0}, ReLU6), each block's pw1 (1x1, ReLU6; none in
     * block 0), dw (ReLU6) and pw2 (1x1, linear) with the residual add where the spec has one, the
     * pool and the classifier. Checks the arguments and the spec's residuals first.
     */
    public static <V> V walk(Spec spec, int resolution, int inChannels, int classes, Layers<V> layers) {
        String canonical = spec.name();
        if (resolution < MIN_RESOLUTION) {
            throw new IllegalArgumentException(canonical + ": resolution must be at least " + MIN_RESOLUTION
                    + ", got " + resolution);
        }
        if (inChannels < 1) {
            throw new IllegalArgumentException(canonical + ": input channels must be >= 1, got " + inChannels);
        }
        if (classes < 1) {
            throw new IllegalArgumentException(canonical + ": classes must be >= 1, got " + classes);
        }
        V x = layers.input("input", resolution, inChannels);
        x = layers.conv("conv0", x, 3, 2, spec.firstChannels(), true);
        int channels = spec.firstChannels();
        for (int i = 0; i < spec.blocks().size(); i++) {
            Block blk = spec.blocks().get(i);
            String p = "block" + i + ".";
            V in = x;
            V h = x;
            if (blk.expand() > 0) {
                h = layers.conv(p + "pw1", h, 1, 1, blk.expand(), true);
            } else if (i != 0) {
                throw new IllegalStateException(canonical + " block " + i + ": only block 0 has no pw1");
            }
            h = layers.depthwise(p + "dw", h, blk.kernel(), blk.stride(), true);
            h = layers.conv(p + "pw2", h, 1, 1, blk.out(), false);
            if (blk.residual()) {
                if (blk.stride() != 1 || channels != blk.out()) {
                    throw new IllegalStateException(canonical + " block " + i
                            + ": an identity residual needs stride 1 and equal channels");
                }
                h = layers.add(p + "add", in, h);
            }
            channels = blk.out();
            x = h;
        }
        V pooled = layers.mean("pool", x);
        return layers.classifier("classifier", pooled, classes);
    }

    /**
     * The weight layers in forward order: convs, depthwise convs and fully connected ops, the
     * classifier last. Sparse-update schemes index this list (the classifier excluded from the index).
     */
    public static List<Op> convs(Graph g) {
        List<Op> l = new ArrayList<>();
        for (Op op : g.ops()) {
            if (op instanceof Op.Conv2d || op instanceof Op.DepthwiseConv2d || op instanceof Op.FullyConnected) {
                l.add(op);
            }
        }
        return List.copyOf(l);
    }

    /** A weight layer's stable name: its output value's name ({@code block3.pw1}, {@code classifier}). */
    public static String convName(Op op) {
        return op.outputs().getFirst().name();
    }

    private static String canonical(String name) {
        if (name != null) {
            String n = ALIASES.getOrDefault(name, name);
            if (SPECS.containsKey(n)) {
                return n;
            }
        }
        throw new IllegalArgumentException("unknown architecture '" + name + "'; known: "
                + String.join(", ", SPECS.keySet()));
    }
}
