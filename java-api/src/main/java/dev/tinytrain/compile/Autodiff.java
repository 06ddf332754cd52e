package dev.tinytrain.compile;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.train.TrainedLayer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compile-time autodiff: from a forward int8 graph and the trained layers to one graph that runs
 * the forward pass (saving 1-bit clamp masks and the trained input channels), softmax
 * cross-entropy on the dequantized logits, the backward pass storing each trained layer's weight
 * and bias gradients, and then the optimizer step applying them: the conventional order, where
 * every gradient lives to the end. {@link Reorder} then fuses each update into its gradient op.
 *
 * <p>The rules (PAPER.md section 3), one exhaustive switch over the forward ops: rounding is
 * straight-through; a clamp passes gradient where its output was strictly inside its range; a
 * conv's output gradient is scaled by its effective scale {@code m[c]} (the exact multiplier the
 * forward requantization applied), then its input gradient is the transposed conv with the
 * int8 weights, its weight gradient the conv of the saved {@code x - z_x} with it, its bias
 * gradient the sum over positions; add scales by {@code s_i / s_y}; mean by {@code s_in / (H W s_out)}.
 * Within a layer the input gradient is computed before the weight gradient, so a fused in-place
 * update there still leaves the input gradient the weights the forward pass used.
 *
 * <p>This pass differentiates every value that has a gradient path to the loss; {@link DeadCode}
 * then removes what nothing trained needs (e.g. input gradients below the earliest trained layer).
 */
public final class Autodiff {

    private Autodiff() {
    }

    /** The training graph and the values the runtime binds. */
    public record Result(Graph graph, Value image, Value label, Value logits, Value loss) {
    }

    public static Result differentiate(Graph forward, List<TrainedLayer> trained, boolean qas) {
        if (forward.inputs().size() != 1 || forward.outputs().size() != 1) {
            throw new IllegalArgumentException("graph " + forward.name() + ": training needs one input (the image) and"
                    + " one output (the logits), has " + forward.inputs().size() + " and " + forward.outputs().size());
        }
        Value image = forward.inputs().getFirst();
        Value logits = forward.outputs().getFirst();
        if (logits.dtype() != DType.INT8 || logits.shape().length != 2) {
            throw new IllegalArgumentException("graph " + forward.name() + ": the output must be int8 logits [n, classes],"
                    + " got " + logits);
        }
        return new Run(forward, trained, qas).run(image, logits);
    }

    private static final class Run {
        private final Graph fwd;
        private final boolean qas;
        private final Graph.Builder b;
        private final Map<Op, TrainedLayer> trained = new HashMap<>();
        private final Map<Value, Value> mask = new HashMap<>();
        /** The saved trained input channels of each trained layer (two layers may read one tensor). */
        private final Map<Op, Value> saved = new HashMap<>();
        private final Map<Value, Value> grad = new HashMap<>();
        private final Set<Value> noGrad = new HashSet<>();
        /** The optimizer step, after the whole backward pass (the unfused, conventional order). */
        private final List<TrainOp> applies = new java.util.ArrayList<>();

        Run(Graph fwd, List<TrainedLayer> layers, boolean qas) {
            this.fwd = fwd;
            this.qas = qas;
            this.b = Graph.Builder.from(fwd);
            for (TrainedLayer t : layers) {
                trained.put(t.op(), t);
            }
            noGrad.addAll(fwd.inputs());
        }

        Result run(Value image, Value logits) {
            int n = logits.shape()[0];
            Value label = b.input("label", new int[] {n}, DType.INT32, null, Role.LABEL);
            for (Op op : fwd.ops()) {
                b.op(op);
                forwardSaves(op);
            }
            Value loss = b.value("loss", new int[] {n}, DType.FLOAT32, null, Role.LOSS);
            Value gLogits = gradValue(logits, "grad(" + logits.name() + ")");
            b.op(new TrainOp.SoftmaxXent(logits, label, loss, gLogits));
            grad.put(logits, gLogits);
            List<Op> ops = fwd.ops();
            for (int i = ops.size() - 1; i >= 0; i--) {
                Op op = ops.get(i);
                Value out = op.outputs().getFirst();
                Value g = grad.get(out);
                if (g != null) {
                    backward(op, g);
                }
            }
            for (TrainOp a : applies) {
                b.op(a);
            }
            b.outputs(loss);
            return new Result(b.build(), image, label, logits, loss);
        }

        /** Masks for every clamped output; the trained input channels of every trained weight. */
        private void forwardSaves(Op op) {
            Activation act = clamp(op);
            if (act != null) {
                Value y = op.outputs().getFirst();
                Value m = b.value("mask(" + y.name() + ")", y.shape(), DType.BIT_MASK, null, Role.MASK);
                b.op(new TrainOp.ClampMask(y, m, act));
                mask.put(y, m);
            }
            TrainedLayer t = trained.get(op);
            if (t != null && t.weights()) {
                Value x = op.inputs().getFirst();
                int[] shape = x.shape();
                shape[shape.length - 1] = t.channels().length;
                Value s = b.value("saved(" + x.name() + ")", shape, DType.INT8, x.quant(), Role.SAVED);
                b.op(new TrainOp.GatherChannels(x, s, t.channels()));
                saved.put(op, s);
            }
        }

        private static IllegalArgumentException fused(Op.ConvDepthwise f) {
            return new IllegalArgumentException("forward graph holds the fused op " + f.mnemonic() + " (made after"
                    + " autodiff by the fusion pass); differentiate the unfused graph");
        }

        private static Activation clamp(Op op) {
            return switch (op) {
                case Op.Conv2d c -> c.activation();
                case Op.DepthwiseConv2d d -> d.activation();
                case Op.FullyConnected f -> f.activation();
                case Op.Add a -> a.activation();
                case Op.AvgPool2d p -> p.activation();
                case Op.Mean m -> Activation.NONE;
                case Op.Reshape r -> null;
                case Op.ConvDepthwise f -> throw fused(f);
                case TrainOp t -> throw new IllegalArgumentException("forward graph already holds training op "
                        + t.mnemonic());
            };
        }

        private void backward(Op op, Value g) {
            switch (op) {
                case Op.Conv2d c -> weightLayer(op, c.input(), c.weight(), c.bias(), c.output(), g,
                        c.strideH(), c.strideW(), c.padH(), c.padW(), false);
                case Op.DepthwiseConv2d d -> weightLayer(op, d.input(), d.weight(), d.bias(), d.output(), g,
                        d.strideH(), d.strideW(), d.padH(), d.padW(), true);
                case Op.FullyConnected f -> {
                    if (f.input().shape().length != 2) {
                        throw new IllegalArgumentException("training through fully_connected needs a rank-2 input,"
                                + " got " + f.input() + "; reshape it first");
                    }
                    weightLayer(op, f.input(), f.weight(), f.bias(), f.output(), g, 1, 1, 0, 0, false);
                }
                case Op.Add a -> {
                    Value y = a.output();
                    contribute(a.a(), scaled(g, y, uniform(y, a.a().scale() / (double) y.scale())));
                    contribute(a.b(), scaled(g, y, uniform(y, a.b().scale() / (double) y.scale())));
                }
                case Op.AvgPool2d p -> {
                    if (noGrad.contains(p.input())) {
                        return;
                    }
                    Value gs = scaled(g, p.output(), uniform(p.output(), 1.0));
                    Value gx = gradValue(p.input(), "grad(" + p.input().name() + ")");
                    b.op(new TrainOp.AvgPoolGrad(gs, gx, p.filterH(), p.filterW(), p.strideH(), p.strideW(), p.padH(),
                            p.padW()));
                    contribute(p.input(), gx);
                }
                case Op.Mean m -> {
                    if (noGrad.contains(m.input())) {
                        return;
                    }
                    Value gs = scaled(g, m.output(), uniform(m.output(), 1.0));
                    Value gx = gradValue(m.input(), "grad(" + m.input().name() + ")");
                    b.op(new TrainOp.MeanGrad(gs, gx, (float) (m.input().scale() / (double) m.output().scale())));
                    contribute(m.input(), gx);
                }
                case Op.Reshape r -> {
                    if (noGrad.contains(r.input())) {
                        return;
                    }
                    Value gx = gradValue(r.input(), "grad(" + r.input().name() + ")");
                    b.op(new Op.Reshape(g, gx));
                    contribute(r.input(), gx);
                }
                case Op.ConvDepthwise f -> throw fused(f);
                case TrainOp t -> throw new IllegalStateException("unexpected training op " + t.mnemonic());
            }
        }

        private void weightLayer(Op op, Value x, Value w, Value bias, Value y, Value g, int sh, int sw, int ph, int pw,
                                 boolean depthwise) {
            float[] wScales = w.quant().scales();
            int channels = depthwise ? x.shape()[x.shape().length - 1] : w.shape()[0];
            float[] ws = new float[channels];
            for (int c = 0; c < channels; c++) {
                ws[c] = wScales.length == 1 ? wScales[0] : wScales[c];
            }
            ChannelQuant q = ChannelQuant.of(x.scale(), ws, y.scale());
            float[] m = new float[channels];
            for (int c = 0; c < channels; c++) {
                m[c] = (float) (q.multiplier()[c] * Math.pow(2.0, q.shift()[c] - 31));
            }
            Value gs = scaled(g, y, m);
            if (!noGrad.contains(x)) {
                Value gx = gradValue(x, "grad(" + x.name() + ")");
                b.op(new TrainOp.ConvGradInput(gs, w, gx, sh, sw, ph, pw, depthwise));
                contribute(x, gx);
            }
            TrainedLayer t = trained.get(op);
            if (t == null) {
                return;
            }
            double sx = x.scale();
            if (t.weights()) {
                float[] qw = new float[channels];
                for (int c = 0; c < channels; c++) {
                    qw[c] = qas ? (float) (1.0 / ((double) ws[c] * ws[c])) : 1f;
                }
                dev.tinytrain.tensor.Dims s = w.dims();        // a fully connected weight [out, in] is [out, 1, 1, in]
                int n = t.channels().length;
                int[] shape = depthwise ? new int[] {s.h(), s.w(), n} : new int[] {s.n(), s.h(), s.w(), n};
                Value gw = b.value("grad(" + w.name() + ")", shape, DType.FLOAT32, null, Role.GRADIENT);
                b.op(new TrainOp.WeightGrad(gs, saved.get(op), w, t.channels(), sh, sw, ph, pw, -x.zeroPoint(),
                        depthwise, gw));
                applies.add(new TrainOp.ApplyWeightGrad(gw, w, t.channels(), qw, depthwise, 2 * t.index()));
            }
            if (t.bias()) {
                float[] qb = new float[channels];
                for (int c = 0; c < channels; c++) {
                    qb[c] = qas ? (float) (1.0 / ((double) ws[c] * ws[c] * sx * sx)) : 1f;
                }
                Value gb = b.value("grad(" + bias.name() + ")", new int[] {channels}, DType.FLOAT32, null,
                        Role.GRADIENT);
                b.op(new TrainOp.BiasGrad(gs, bias, gb));
                applies.add(new TrainOp.ApplyBiasGrad(gb, bias, qb, 2 * t.index() + 1));
            }
        }

        /** The output gradient masked by the output's clamp and scaled per channel. */
        private Value scaled(Value g, Value y, float[] scale) {
            Value out = b.value("grad_pre(" + y.name() + ")", y.shape(), DType.FLOAT32, null, Role.GRADIENT);
            b.op(new TrainOp.GradScaleMask(g, mask.get(y), out, scale));
            return out;
        }

        private static float[] uniform(Value y, double s) {
            float[] f = new float[y.shape()[y.shape().length - 1]];
            Arrays.fill(f, (float) s);
            return f;
        }

        private Value gradValue(Value of, String name) {
            return b.value(name, of.shape(), DType.FLOAT32, null, Role.GRADIENT);
        }

        /** Adds a gradient contribution to {@code v}; a second contribution is summed. */
        private void contribute(Value v, Value g) {
            if (noGrad.contains(v)) {
                return;
            }
            Value old = grad.get(v);
            if (old == null) {
                grad.put(v, g);
                return;
            }
            Value sum = gradValue(v, "grad(" + v.name() + ")+");
            b.op(new TrainOp.AddGrads(old, g, sum));
            grad.put(v, sum);
        }
    }
}
