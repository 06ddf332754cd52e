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

    /** One inverted-residual block: pw1 width (0: no pw1), depthwise kernel and stride, pw2 width, residual. */
    record Block(int expand, int kernel, int stride, int out, boolean residual) {
    }

    private record Spec(int firstChannels, List<Block> blocks) {
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
        SPECS.put("mcunet-5fps", new Spec(16, List.of(
                b(0, 3, 1, 8, false), b(32, 3, 2, 16, false), b(48, 3, 1, 16, true), b(48, 7, 2, 24, false),
                b(120, 3, 1, 24, true), b(120, 3, 2, 40, false), b(160, 7, 1, 40, true), b(160, 5, 1, 48, false),
                b(144, 3, 1, 48, true), b(192, 3, 1, 48, true), b(240, 7, 2, 96, false), b(384, 5, 1, 96, true),
                b(384, 5, 1, 96, true), b(576, 3, 1, 160, false))));
        SPECS.put("mobilenetv2-w0.35", new Spec(16, List.of(
                b(0, 3, 1, 8, false), b(48, 3, 2, 8, false), b(48, 3, 1, 8, true), b(48, 3, 2, 16, false),
                b(96, 3, 1, 16, true), b(96, 3, 1, 16, true), b(96, 3, 2, 24, false), b(144, 3, 1, 24, true),
                b(144, 3, 1, 24, true), b(144, 3, 1, 24, true), b(144, 3, 1, 32, false), b(192, 3, 1, 32, true),
                b(192, 3, 1, 32, true), b(192, 3, 2, 56, false), b(336, 3, 1, 56, true), b(336, 3, 1, 56, true),
                b(336, 3, 1, 112, false))));
        SPECS.put("proxylessnas-w0.3", new Spec(16, List.of(
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
        String canonical = canonical(name);
        Spec spec = SPECS.get(canonical);
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
        NetBuilder nb = new NetBuilder(canonical, seed, backend);
        Value x = nb.input("input", 1, resolution, resolution, inChannels);
        x = nb.conv("conv0", x, 3, 2, spec.firstChannels(), true);
        for (int i = 0; i < spec.blocks().size(); i++) {
            Block blk = spec.blocks().get(i);
            String p = "block" + i + ".";
            Value in = x;
            Value h = x;
            if (blk.expand() > 0) {
                h = nb.pointwise(p + "pw1", h, blk.expand(), true);
            } else if (i != 0) {
                throw new IllegalStateException(canonical + " block " + i + ": only block 0 has no pw1");
            }
            h = nb.depthwise(p + "dw", h, blk.kernel(), blk.stride(), true);
            h = nb.pointwise(p + "pw2", h, blk.out(), false);
            if (blk.residual()) {
                if (blk.stride() != 1 || in.shape()[3] != blk.out()) {
                    throw new IllegalStateException(canonical + " block " + i
                            + ": an identity residual needs stride 1 and equal channels");
                }
                h = nb.add(p + "add", in, h);
            }
            x = h;
        }
        Value pooled = nb.mean("pool", x);
        Value logits = nb.classifier("classifier", pooled, classes);
        return nb.outputs(logits).build();
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
