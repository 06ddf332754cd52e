package dev.tinytrain.tflite;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Quantization;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a tinytrain int8 forward graph as a {@code .tflite} model (with {@link TfliteModelBuilder}),
 * laid out as TF-Lite's converter lays out int8 models, so TF-Lite's built-in kernels run it:
 *
 * <ul>
 *   <li>every value in id order becomes a tensor (names, shapes, quantization kept), then the extra
 *       tensors TF-Lite needs (PAD outputs and paddings, MEAN axes, RESHAPE shapes) after them, so
 *       {@link TfliteImporter} gives back the same value ids;</li>
 *   <li>weights int8 per-channel ({@code quantized_dimension} 0 for conv OHWI and fully connected,
 *       3 for depthwise 1HWC), biases int32 with scale {@code s_in * s_w[c]} (the float product, as
 *       the converter writes it), zero point 0;</li>
 *   <li>a conv's padding is SAME or VALID when it is exactly that; other paddings (the symmetric
 *       padding of stride-2 layers on even inputs) become an explicit PAD (int8 PAD pads with the
 *       zero point, as the conv's padding does) then a VALID conv;</li>
 *   <li>an {@link Activation} clamp becomes the fused activation TF-Lite derives the same clamp from
 *       ({@link TfliteActivations#fused}); a clamp TF-Lite cannot express is an error;</li>
 *   <li>a conv without a bias gets a zero bias (TF-Lite's int8 convs require one): same results, but
 *       it imports back with a bias.</li>
 * </ul>
 *
 * Operator versions are those TF-Lite 2.20's resolver registers for int8 per-channel kernels.
 */
public final class TfliteExporter {

    private TfliteExporter() {
    }

    /** The model bytes of a forward graph; the description names the graph. */
    public static byte[] export(Graph g) {
        return export(g, "tinytrain " + g.name());
    }

    /**
     * The model bytes of a forward graph.
     *
     * @throws TfliteExportException naming the op or value TF-Lite cannot express (training ops,
     *                               non-int8 values, an activation clamp no fused activation gives, a
     *                               pooling padding that is neither SAME nor VALID)
     */
    public static byte[] export(Graph g, String description) {
        Objects.requireNonNull(g, "graph");
        return new Run(g).run(Objects.requireNonNull(description, "description"));
    }

    private static final class Run {
        private final Graph g;
        private final TfliteModelBuilder b = new TfliteModelBuilder();
        private final Map<Integer, Integer> tensor = new HashMap<>();
        private final Map<Integer, Op> biasOwner = new HashMap<>();
        private int opIndex;

        Run(Graph g) {
            this.g = g;
        }

        byte[] run(String description) {
            Set<Value> used = new LinkedHashSet<>(g.inputs());
            for (Op op : g.ops()) {
                if (op instanceof TrainOp t) {
                    throw new TfliteExportException("graph " + g.name() + ": op " + g.ops().indexOf(op) + " ("
                            + t.mnemonic() + ") is a training op; export the forward graph");
                }
                used.addAll(op.inputs());
                used.addAll(op.outputs());
                Value bias = biasOf(op);
                if (bias != null) {
                    biasOwner.putIfAbsent(bias.id(), op);
                }
            }
            used.addAll(g.outputs());
            for (Value v : g.values()) {
                if (used.contains(v)) {
                    tensor.put(v.id(), addValue(v));
                }
            }
            for (Op op : g.ops()) {
                addOp(op);
                opIndex++;
            }
            return b.inputs(indices(g.inputs().stream().map(Value::id).toList()))
                    .outputs(indices(g.outputs().stream().map(Value::id).toList()))
                    .description(description).subgraphName(g.name()).build();
        }

        private int[] indices(java.util.List<Integer> ids) {
            return ids.stream().mapToInt(tensor::get).toArray();
        }

        private int addValue(Value v) {
            if (g.isConstant(v)) {
                if (v.dtype() == DType.INT8) {
                    return b.addTensor(v.name(), v.shape(), TensorType.INT8, v.quant(), g.int8(v));
                }
                if (v.dtype() == DType.INT32) {
                    return b.addInt32Tensor(v.name(), v.shape(), biasQuant(v), g.int32(v));
                }
            } else if (v.dtype() == DType.INT8) {
                if (!v.quant().isPerTensor()) {
                    throw new TfliteExportException(where(v) + " is an activation with per-channel quantization");
                }
                return b.addTensor(v.name(), v.shape(), TensorType.INT8, v.quant(), null);
            }
            throw new TfliteExportException(where(v) + " is " + v.dtype() + (g.isConstant(v) ? " constant" : "")
                    + "; an int8 model has int8 activations and weights and int32 biases");
        }

        /** A bias's quantization: per channel {@code s_in * s_w[c]} of the layer that adds it. */
        private Quantization biasQuant(Value bias) {
            Op op = biasOwner.get(bias.id());
            if (op == null) {
                throw new TfliteExportException(where(bias) + " is an int32 constant that no conv or fully connected"
                        + " layer adds as its bias");
            }
            Value x = op.inputs().get(0);
            Value w = op.inputs().get(1);
            int channels = Math.toIntExact(bias.elements());
            float[] ws = w.quant().scales();
            float[] s = new float[channels];
            for (int c = 0; c < channels; c++) {
                s[c] = x.scale() * ws[ws.length == 1 ? 0 : c];
                if (!(s[c] > 0f) || Float.isInfinite(s[c])) {
                    throw new TfliteExportException(where(bias) + ": channel " + c + "'s bias scale s_in * s_w = "
                            + s[c] + " is not a positive float");
                }
            }
            return Quantization.perChannel(s, 0);
        }

        private static Value biasOf(Op op) {
            return switch (op) {
                case Op.Conv2d c -> c.bias();
                case Op.DepthwiseConv2d d -> d.bias();
                case Op.FullyConnected f -> f.bias();
                case Op.Add a -> null;
                case Op.AvgPool2d p -> null;
                case Op.Mean m -> null;
                case Op.Reshape r -> null;
                case Op.ConvDepthwise f -> null;
                case TrainOp t -> null;
            };
        }

        private void addOp(Op op) {
            switch (op) {
                case Op.Conv2d c -> {
                    Window w = window(c.input(), c.output(), c.kernelH(), c.kernelW(), c.strideH(), c.strideW(),
                            c.padH(), c.padW());
                    int x = padIfNeeded(c.input(), c.output(), w);
                    b.addOperator(BuiltinOperator.CONV_2D, 3, new int[] {x, t(c.weight()), biasTensor(c.bias(),
                            c.output())}, new int[] {t(c.output())}, new BuiltinOptions.Conv2D(w.padding(), c.strideW(),
                            c.strideH(), fused(c.activation(), c.output())));
                }
                case Op.DepthwiseConv2d d -> {
                    Window w = window(d.input(), d.output(), d.kernelH(), d.kernelW(), d.strideH(), d.strideW(),
                            d.padH(), d.padW());
                    int x = padIfNeeded(d.input(), d.output(), w);
                    b.addOperator(BuiltinOperator.DEPTHWISE_CONV_2D, 3, new int[] {x, t(d.weight()),
                            biasTensor(d.bias(), d.output())}, new int[] {t(d.output())},
                            new BuiltinOptions.DepthwiseConv2D(w.padding(), d.strideW(), d.strideH(),
                                    fused(d.activation(), d.output())));
                }
                case Op.FullyConnected f -> {
                    int[] xs = f.input().shape();
                    int[] ys = f.output().shape();
                    int units = f.weight().shape()[0];
                    boolean keep;
                    if (Arrays.equals(ys, new int[] {xs[0], units})) {
                        keep = false;
                    } else {
                        int[] kept = xs.clone();
                        kept[kept.length - 1] = units;
                        if (!Arrays.equals(ys, kept)) {
                            throw new TfliteExportException(where() + ": output " + Arrays.toString(ys)
                                    + " must be [rows, units] or the input shape with the last dimension " + units);
                        }
                        keep = true;
                    }
                    b.addOperator(BuiltinOperator.FULLY_CONNECTED, 4, new int[] {t(f.input()), t(f.weight()),
                            biasTensor(f.bias(), f.output())}, new int[] {t(f.output())},
                            new BuiltinOptions.FullyConnected(fused(f.activation(), f.output()), keep));
                }
                case Op.Add a -> b.addOperator(BuiltinOperator.ADD, 2, new int[] {t(a.a()), t(a.b())},
                        new int[] {t(a.output())}, new BuiltinOptions.Add(fused(a.activation(), a.output())));
                case Op.AvgPool2d p -> {
                    Window w = window(p.input(), p.output(), p.filterH(), p.filterW(), p.strideH(), p.strideW(),
                            p.padH(), p.padW());
                    if (w.explicit() != null) {
                        throw new TfliteExportException(where() + ": average pooling with padding " + p.padH() + ","
                                + p.padW() + " is neither SAME nor VALID (TF-Lite's pooling averages only the"
                                + " input cells, so a PAD before it would change the result)");
                    }
                    b.addOperator(BuiltinOperator.AVERAGE_POOL_2D, 2, new int[] {t(p.input())},
                            new int[] {t(p.output())}, new BuiltinOptions.Pool2D(w.padding(), p.strideW(), p.strideH(),
                                    p.filterW(), p.filterH(), fused(p.activation(), p.output())));
                }
                case Op.Mean m -> {
                    int axes = b.addInt32Tensor(m.output().name() + ".axes", new int[] {2}, null, new int[] {1, 2});
                    b.addOperator(BuiltinOperator.MEAN, 2, new int[] {t(m.input()), axes}, new int[] {t(m.output())},
                            new BuiltinOptions.Reducer(true));
                }
                case Op.ConvDepthwise f -> {
                    // a compiler fusion: TF-Lite gets the two ops and the intermediate tensor
                    addOp(f.conv());
                    addOp(f.depthwise());
                }
                case Op.Reshape r -> {
                    int[] shape = r.output().shape();
                    int st = b.addInt32Tensor(r.output().name() + ".shape", new int[] {shape.length}, null, shape);
                    b.addOperator(BuiltinOperator.RESHAPE, 1, new int[] {t(r.input()), st}, new int[] {t(r.output())},
                            new BuiltinOptions.Reshape(shape));
                }
                case TrainOp tr -> throw new TfliteExportException(where() + ": training op " + tr.mnemonic());
            }
        }

        /**
         * How TF-Lite expresses a window's padding: SAME or VALID when it is exactly that, otherwise an
         * explicit padding (before, after per axis) and VALID.
         */
        private record Window(Padding padding, int[] explicit) {
        }

        private Window window(Value x, Value y, int kh, int kw, int sh, int sw, int padH, int padW) {
            int[] xs = x.shape();
            int[] ys = y.shape();
            if (matches(Padding.SAME, xs[1], ys[1], kh, sh, padH) && matches(Padding.SAME, xs[2], ys[2], kw, sw, padW)) {
                return new Window(Padding.SAME, null);
            }
            if (matches(Padding.VALID, xs[1], ys[1], kh, sh, padH) && matches(Padding.VALID, xs[2], ys[2], kw, sw, padW)) {
                return new Window(Padding.VALID, null);
            }
            int afterH = after(xs[1], ys[1], kh, sh, padH, "height");
            int afterW = after(xs[2], ys[2], kw, sw, padW, "width");
            return new Window(Padding.VALID, new int[] {padH, afterH, padW, afterW});
        }

        private static boolean matches(Padding p, int in, int out, int k, int s, int pad) {
            return p.outputSize(in, k, s) == out && p.padBefore(in, k, s) == pad;
        }

        /** The padding after the input that makes a VALID window give {@code out} outputs. */
        private int after(int in, int out, int k, int s, int before, String axis) {
            int after = Math.max((out - 1) * s + k - in - before, 0);
            if (Padding.VALID.outputSize(in + before + after, k, s) != out) {
                throw new TfliteExportException(where() + ": " + axis + " " + in + " -> " + out + " with kernel " + k
                        + ", stride " + s + ", padding " + before + " is not expressible as PAD + VALID");
            }
            return after;
        }

        /** The conv's input tensor: the value's, or a PAD of it when the padding is explicit. */
        private int padIfNeeded(Value x, Value y, Window w) {
            if (w.explicit() == null) {
                return t(x);
            }
            int[] e = w.explicit();
            int[] xs = x.shape();
            int[] padded = {xs[0], xs[1] + e[0] + e[1], xs[2] + e[2] + e[3], xs[3]};
            int paddings = b.addInt32Tensor(y.name() + ".paddings", new int[] {4, 2}, null,
                    new int[] {0, 0, e[0], e[1], e[2], e[3], 0, 0});
            int out = b.addTensor(y.name() + ".padded_input", padded, TensorType.INT8, x.quant(), null);
            b.addOperator(BuiltinOperator.PAD, 2, new int[] {t(x), paddings}, new int[] {out}, new BuiltinOptions.Pad());
            return out;
        }

        /** The bias tensor, or a zero bias when the layer has none (TF-Lite's int8 convs require one). */
        private int biasTensor(Value bias, Value y) {
            if (bias != null) {
                return t(bias);
            }
            int[] ys = y.shape();
            int channels = ys[ys.length - 1];
            return b.addInt32Tensor(y.name() + ".zero_bias", new int[] {channels}, null, new int[channels]);
        }

        private FusedActivation fused(Activation a, Value y) {
            FusedActivation f = TfliteActivations.fused(a, y.scale(), y.zeroPoint());
            if (f == null) {
                throw new TfliteExportException(where() + ": the clamp [" + a.min() + ", " + a.max() + "] on "
                        + where(y) + " (scale " + y.scale() + ", zero point " + y.zeroPoint()
                        + ") is none of TF-Lite's fused activations: NONE " + range(FusedActivation.NONE, y)
                        + ", RELU " + range(FusedActivation.RELU, y) + ", RELU_N1_TO_1 "
                        + range(FusedActivation.RELU_N1_TO_1, y) + ", RELU6 " + range(FusedActivation.RELU6, y));
            }
            return f;
        }

        private static String range(FusedActivation f, Value y) {
            Activation a = TfliteActivations.clamp(f, y.scale(), y.zeroPoint());
            return "[" + a.min() + ", " + a.max() + "]";
        }

        private int t(Value v) {
            Integer i = tensor.get(v.id());
            if (i == null) {
                throw new IllegalStateException(where(v) + " has no tensor");
            }
            return i;
        }

        private String where() {
            Op op = g.ops().get(opIndex);
            return "graph " + g.name() + ", op " + opIndex + " (" + op.mnemonic() + " -> "
                    + op.outputs().getFirst().name() + ")";
        }

        private String where(Value v) {
            return "value " + v.ref() + " (" + v.name() + ")";
        }
    }
}
