package dev.tinytrain.graph;

import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.Windows;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Quantization;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a graph's invariants: values defined once and before use, constants sized to their
 * shape, and each op's shapes, dtypes and quantization consistent. Run by
 * {@link Graph.Builder#build()} and, in tests, after every pass.
 */
public final class Verifier {

    private Verifier() {
    }

    /** @throws GraphException listing every problem */
    public static void verify(Graph g) {
        List<String> problems = new ArrayList<>();
        new Run(g, problems).run();
        if (!problems.isEmpty()) {
            throw new GraphException(g.name(), problems);
        }
    }

    private static final class Run {
        private final Graph g;
        private final List<String> problems;
        private final Set<Integer> defined = new HashSet<>();
        private String where = "";

        Run(Graph g, List<String> problems) {
            this.g = g;
            this.problems = problems;
        }

        void run() {
            for (int i = 0; i < g.values().size(); i++) {
                if (g.value(i).id() != i) {
                    problem("value at position " + i + " has id " + g.value(i).id());
                }
            }
            for (Value v : g.inputs()) {
                define(v, "graph input");
            }
            for (Value v : g.values()) {
                if (g.isConstant(v)) {
                    define(v, "constant");
                    if (g.constant(v).length() != v.elements()) {
                        problem(v.ref() + " (" + v.name() + ") has " + g.constant(v).length() + " data elements, shape "
                                + Arrays.toString(v.shape()) + " needs " + v.elements());
                    }
                }
            }
            int index = 0;
            for (Op op : g.ops()) {
                where = "op " + index++ + " (" + op.mnemonic() + "): ";
                for (Value in : op.inputs()) {
                    if (!defined.contains(in.id())) {
                        problem(in.ref() + " (" + in.name() + ") is read before it is defined");
                    }
                }
                checkOp(op);
                for (Value out : op.outputs()) {
                    define(out, "op output");
                }
            }
            where = "";
            for (Value v : g.outputs()) {
                if (!defined.contains(v.id())) {
                    problem("graph output " + v.ref() + " (" + v.name() + ") is never defined");
                }
            }
        }

        private void define(Value v, String as) {
            if (v.id() >= g.values().size() || g.value(v.id()) != v) {
                problem(v.ref() + " (" + v.name() + ") is not a value of this graph");
            } else if (!defined.add(v.id())) {
                problem(v.ref() + " (" + v.name() + ") is defined twice (again as " + as + ")");
            }
        }

        private void checkOp(Op op) {
            switch (op) {
                case Op.Conv2d c -> {
                    int[] in = int8Rank4(c.input(), "input");
                    int[] w = weight(c.weight(), 4, 0);
                    int[] out = int8Rank4(c.output(), "output");
                    if (in == null || w == null || out == null) {
                        return;
                    }
                    expect(w[3] == in[3], "weight input channels " + w[3] + " != input channels " + in[3]);
                    expect(out[0] == in[0] && out[3] == w[0], "output " + Arrays.toString(out) + " must be [" + in[0]
                            + ", h, w, " + w[0] + "]");
                    window(in, out, w[1], w[2], c.strideH(), c.strideW(), c.padH(), c.padW());
                    bias(c.bias(), w[0]);
                    activation(c.activation());
                }
                case Op.DepthwiseConv2d d -> {
                    int[] in = int8Rank4(d.input(), "input");
                    int[] w = weight(d.weight(), 4, 3);
                    int[] out = int8Rank4(d.output(), "output");
                    if (in == null || w == null || out == null) {
                        return;
                    }
                    expect(w[0] == 1 && w[3] == in[3], "depthwise weight must be [1, kh, kw, " + in[3] + "], got "
                            + Arrays.toString(w));
                    expect(out[0] == in[0] && out[3] == in[3], "output " + Arrays.toString(out) + " must be [" + in[0]
                            + ", h, w, " + in[3] + "]");
                    window(in, out, w[1], w[2], d.strideH(), d.strideW(), d.padH(), d.padW());
                    bias(d.bias(), in[3]);
                    activation(d.activation());
                }
                case Op.FullyConnected f -> {
                    int8(f.input(), "input");
                    int[] w = weight(f.weight(), 2, 0);
                    int8(f.output(), "output");
                    if (w == null) {
                        return;
                    }
                    int rows = f.input().shape()[0];
                    long features = f.input().elements() / rows;
                    expect(w[1] == features, "weight features " + w[1] + " != input features " + features);
                    expect(f.output().elements() == (long) rows * w[0] && f.output().shape()[0] == rows,
                            "output " + Arrays.toString(f.output().shape()) + " must hold [" + rows + ", " + w[0] + "]");
                    bias(f.bias(), w[0]);
                    activation(f.activation());
                }
                case Op.Add a -> {
                    int8(a.a(), "a");
                    int8(a.b(), "b");
                    int8(a.output(), "output");
                    expect(Arrays.equals(a.a().shape(), a.b().shape()) && Arrays.equals(a.a().shape(),
                            a.output().shape()), "shapes differ: " + Arrays.toString(a.a().shape()) + ", "
                            + Arrays.toString(a.b().shape()) + " -> " + Arrays.toString(a.output().shape()));
                    activation(a.activation());
                }
                case Op.AvgPool2d p -> {
                    int[] in = int8Rank4(p.input(), "input");
                    int[] out = int8Rank4(p.output(), "output");
                    if (in == null || out == null) {
                        return;
                    }
                    expect(out[0] == in[0] && out[3] == in[3], "output batch and channels must equal the input's");
                    window(in, out, p.filterH(), p.filterW(), p.strideH(), p.strideW(), p.padH(), p.padW());
                    sameQuant(p.input(), p.output());
                    activation(p.activation());
                }
                case Op.Mean m -> {
                    int[] in = int8Rank4(m.input(), "input");
                    int[] out = int8Rank4(m.output(), "output");
                    if (in == null || out == null) {
                        return;
                    }
                    expect(out[0] == in[0] && out[1] == 1 && out[2] == 1 && out[3] == in[3],
                            "output must be [" + in[0] + ", 1, 1, " + in[3] + "], got " + Arrays.toString(out));
                }
                case Op.Reshape r -> {
                    expect(r.input().elements() == r.output().elements(), "reshape changes the element count: "
                            + Arrays.toString(r.input().shape()) + " -> " + Arrays.toString(r.output().shape()));
                    expect(r.input().dtype() == r.output().dtype(), "reshape changes the dtype");
                    sameQuant(r.input(), r.output());
                }
                case Op.ConvDepthwise f -> {
                    checkOp(f.conv());
                    checkOp(f.depthwise());
                }
                case TrainOp t -> checkTrain(t);
            }
        }

        /** Dtypes and shapes of the training ops; the kernels check the rest before they run. */
        private void checkTrain(TrainOp op) {
            switch (op) {
                case TrainOp.ClampMask m -> {
                    expect(m.mask().dtype() == DType.BIT_MASK, "mask must be a bit mask");
                    expect(Arrays.equals(m.y().shape(), m.mask().shape()), "mask shape differs from its value's");
                }
                case TrainOp.GatherChannels gc -> {
                    int[] x = gc.x().shape();
                    int[] s = gc.saved().shape();
                    int[] ch = gc.channels();
                    expect(s.length == x.length && s[s.length - 1] == ch.length,
                            "saved shape " + Arrays.toString(s) + " must hold " + ch.length + " channels");
                    for (int i = 0; i < ch.length; i++) {
                        expect(ch[i] >= 0 && ch[i] < x[x.length - 1] && (i == 0 || ch[i] > ch[i - 1]),
                                "channels must be ascending indices of the input's " + x[x.length - 1] + " channels");
                    }
                }
                case TrainOp.SoftmaxXent sx -> {
                    float32(sx.loss(), "loss");
                    float32(sx.grad(), "grad");
                    expect(sx.label().dtype() == DType.INT32, "label must be int32");
                }
                case TrainOp.GradScaleMask gs -> {
                    float32(gs.grad(), "grad");
                    float32(gs.out(), "out");
                    int[] s = gs.out().shape();
                    expect(gs.scale().length == s[s.length - 1], "one scale per channel");
                }
                case TrainOp.MeanGrad mg -> float32(mg.out(), "out");
                case TrainOp.AvgPoolGrad ag -> float32(ag.out(), "out");
                case TrainOp.AddGrads ad -> float32(ad.out(), "out");
                case TrainOp.ConvGradInput ci -> float32(ci.out(), "out");
                case TrainOp.WeightUpdate wu -> expect(g.isConstant(wu.weight()), "the updated weight must be a constant");
                case TrainOp.BiasUpdate bu -> expect(g.isConstant(bu.bias()), "the updated bias must be a constant");
                case TrainOp.WeightGrad wg -> {
                    float32(wg.out(), "out");
                    dev.tinytrain.tensor.Dims w = wg.weight().dims();
                    int n = wg.channels().length;
                    int[] want = wg.depthwise() ? new int[] {w.h(), w.w(), n} : new int[] {w.n(), w.h(), w.w(), n};
                    expect(Arrays.equals(wg.out().shape(), want), "weight gradient " + Arrays.toString(wg.out().shape())
                            + " must be " + Arrays.toString(want));
                }
                case TrainOp.BiasGrad bg -> {
                    float32(bg.out(), "out");
                    expect(bg.out().elements() == bg.bias().elements(), "bias gradient must have one element per bias");
                }
                case TrainOp.ApplyWeightGrad a -> {
                    expect(g.isConstant(a.weight()), "the updated weight must be a constant");
                    float32(a.gradient(), "gradient");
                }
                case TrainOp.ApplyBiasGrad a -> {
                    expect(g.isConstant(a.bias()), "the updated bias must be a constant");
                    float32(a.gradient(), "gradient");
                }
            }
        }

        private void float32(Value v, String what) {
            expect(v.dtype() == DType.FLOAT32, what + " " + v.ref() + " (" + v.name() + ") must be float32");
        }

        private void window(int[] in, int[] out, int kh, int kw, int sh, int sw, int ph, int pw) {
            String h = Windows.problem(in[1], out[1], kh, sh, ph);
            String w = Windows.problem(in[2], out[2], kw, sw, pw);
            if (h != null) {
                problem("height: " + h);
            }
            if (w != null) {
                problem("width: " + w);
            }
        }

        private int[] int8Rank4(Value v, String what) {
            if (!int8(v, what)) {
                return null;
            }
            if (v.shape().length != 4) {
                problem(what + " " + v.ref() + " (" + v.name() + ") must be rank 4 NHWC, got "
                        + Arrays.toString(v.shape()));
                return null;
            }
            return v.shape();
        }

        private boolean int8(Value v, String what) {
            if (v.dtype() != DType.INT8) {
                problem(what + " " + v.ref() + " (" + v.name() + ") must be int8, got " + v.dtype());
                return false;
            }
            if (v.role() != Role.WEIGHT && !v.quant().isPerTensor()) {
                problem(what + " " + v.ref() + " (" + v.name() + ") must have per-tensor quantization");
            }
            return true;
        }

        private int[] weight(Value w, int rank, int axis) {
            if (!g.isConstant(w)) {
                problem("weight " + w.ref() + " (" + w.name() + ") must be a constant");
            }
            if (w.dtype() != DType.INT8 || w.shape().length != rank) {
                problem("weight " + w.ref() + " (" + w.name() + ") must be int8 of rank " + rank + ", got "
                        + w.dtype() + Arrays.toString(w.shape()));
                return null;
            }
            Quantization q = w.quant();
            int channels = w.shape()[axis];
            if (!q.isPerTensor() && (q.axis() != axis || q.scales().length != channels)) {
                problem("weight " + w.ref() + " (" + w.name() + ") needs " + channels + " scales on axis " + axis
                        + ", has " + q.scales().length + " on axis " + q.axis());
            }
            for (int z : q.zeroPoints()) {
                if (z != 0) {
                    problem("weight " + w.ref() + " (" + w.name() + ") must be symmetric (zero point 0), got " + z);
                    break;
                }
            }
            return w.shape();
        }

        private void bias(Value b, int channels) {
            if (b == null) {
                return;
            }
            if (!g.isConstant(b)) {
                problem("bias " + b.ref() + " (" + b.name() + ") must be a constant");
            }
            expect(b.dtype() == DType.INT32 && b.elements() == channels,
                    "bias " + b.ref() + " (" + b.name() + ") must be int32 with " + channels + " elements, got "
                            + b.dtype() + Arrays.toString(b.shape()));
        }

        private void sameQuant(Value a, Value b) {
            expect(java.util.Objects.equals(a.quant(), b.quant()), "input and output quantization must be equal: "
                    + a.quant() + " vs " + b.quant());
        }

        private void activation(Activation a) {
            // Activation's constructor already enforces -128 <= min <= max <= 127; nothing else to check.
            expect(a != null, "activation missing");
        }

        private void expect(boolean ok, String message) {
            if (!ok) {
                problem(message);
            }
        }

        private void problem(String message) {
            problems.add(where + message);
        }
    }
}
