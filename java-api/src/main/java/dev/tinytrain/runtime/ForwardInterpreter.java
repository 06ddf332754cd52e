package dev.tinytrain.runtime;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.AddParams;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.FcParams;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.MeanParams;
import dev.tinytrain.kernel.PoolParams;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Dims;
import dev.tinytrain.tensor.Quantization;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a graph's forward pass op by op on a {@link KernelBackend}: the simplest executor, with one
 * heap buffer per value (no memory planning), for tests and for checking planned runtimes against.
 * Kernel parameters (requantization multipliers, offsets, dims) are computed once, here in the
 * constructor; {@link #run} only calls kernels. A reshape's output shares its input's buffer.
 *
 * <p>Not thread-safe: one instance holds one set of buffers.
 */
public final class ForwardInterpreter {

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    private final Graph graph;
    private final KernelBackend backend;
    private final Map<Integer, byte[]> buffers = new HashMap<>();
    private final List<Runnable> steps = new ArrayList<>();

    public ForwardInterpreter(Graph graph, KernelBackend backend) {
        this.graph = Objects.requireNonNull(graph, "graph");
        this.backend = Objects.requireNonNull(backend, "backend");
        for (Value v : graph.inputs()) {
            if (v.dtype() != DType.INT8) {
                throw new IllegalArgumentException("graph " + graph.name() + ": input " + v.ref() + " (" + v.name()
                        + ") is " + v.dtype() + "; the forward interpreter runs int8 inputs only");
            }
            buffer(v);
        }
        for (Op op : graph.ops()) {
            steps.add(prepare(op));
        }
        if (graph.outputs().isEmpty()) {
            throw new IllegalArgumentException("graph " + graph.name() + " has no outputs");
        }
    }

    public Graph graph() {
        return graph;
    }

    public KernelBackend backend() {
        return backend;
    }

    /** Runs the forward pass of a single-input graph; returns a copy of output 0. */
    public byte[] run(byte[] input) {
        if (graph.inputs().size() != 1) {
            throw new IllegalArgumentException("graph " + graph.name() + " has " + graph.inputs().size()
                    + " inputs; pass one array per input");
        }
        return run(new byte[][] {input});
    }

    /** Runs the forward pass, one array per graph input in order; returns a copy of output 0. */
    public byte[] run(byte[]... inputs) {
        List<Value> ins = graph.inputs();
        if (inputs == null || inputs.length != ins.size()) {
            throw new IllegalArgumentException("graph " + graph.name() + " takes " + ins.size() + " input(s), got "
                    + (inputs == null ? 0 : inputs.length));
        }
        for (int i = 0; i < inputs.length; i++) {
            Value v = ins.get(i);
            if (inputs[i] == null || inputs[i].length != v.byteSize()) {
                throw new IllegalArgumentException("graph " + graph.name() + ": input " + v.ref() + " (" + v.name()
                        + ") " + Arrays.toString(v.shape()) + " needs " + v.byteSize() + " bytes, got "
                        + (inputs[i] == null ? "null" : inputs[i].length + " bytes"));
            }
        }
        for (int i = 0; i < inputs.length; i++) {
            System.arraycopy(inputs[i], 0, buffers.get(ins.get(i).id()), 0, inputs[i].length);
        }
        for (Runnable step : steps) {
            step.run();
        }
        return bytes(graph.outputs().getFirst());
    }

    /** A copy of a value's bytes after the last {@link #run} (inputs, activations and outputs). */
    public byte[] bytes(Value v) {
        byte[] b = buffers.get(v.id());
        if (b == null) {
            throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") is not an activation of graph "
                    + graph.name() + (graph.isConstant(v) ? " (it is a constant)" : ""));
        }
        return b.clone();
    }

    /** A copy of the bytes of the value with this name. */
    public byte[] bytes(String valueName) {
        for (Value v : graph.values()) {
            if (v.name().equals(valueName)) {
                return bytes(v);
            }
        }
        throw new IllegalArgumentException("graph " + graph.name() + " has no value named '" + valueName + "'");
    }

    // ---- preparation -----------------------------------------------------------------------

    private Runnable prepare(Op op) {
        return switch (op) {
            case Op.Conv2d c -> {
                ConvParams p = new ConvParams(-c.input().zeroPoint(), c.output().zeroPoint(), c.strideH(),
                        c.strideW(), c.padH(), c.padW(), c.activation());
                ChannelQuant q = quant(c.input(), c.weight(), c.output());
                Dims in = c.input().dims();
                Dims fd = c.weight().dims();
                Dims out = c.output().dims();
                MemorySegment x = seg(c.input());
                MemorySegment w = weights(c.weight());
                MemorySegment b = bias(c.bias());
                MemorySegment y = seg(buffer(c.output()));
                yield () -> backend.conv2d(p, q, in, x, fd, w, b, out, y);
            }
            case Op.DepthwiseConv2d d -> {
                ConvParams p = new ConvParams(-d.input().zeroPoint(), d.output().zeroPoint(), d.strideH(),
                        d.strideW(), d.padH(), d.padW(), d.activation());
                ChannelQuant q = quant(d.input(), d.weight(), d.output());
                Dims in = d.input().dims();
                Dims fd = d.weight().dims();
                Dims out = d.output().dims();
                MemorySegment x = seg(d.input());
                MemorySegment w = weights(d.weight());
                MemorySegment b = bias(d.bias());
                MemorySegment y = seg(buffer(d.output()));
                yield () -> backend.depthwiseConv2d(p, q, in, x, fd, w, b, out, y);
            }
            case Op.FullyConnected f -> {
                FcParams p = new FcParams(-f.input().zeroPoint(), f.output().zeroPoint(), f.activation());
                ChannelQuant q = quant(f.input(), f.weight(), f.output());
                int rows = f.input().shape()[0];
                int features = Math.toIntExact(f.input().elements() / rows);
                int outs = f.weight().shape()[0];
                Dims in = Dims.of(rows, 1, 1, features);
                Dims fd = Dims.of(outs, 1, 1, features);
                Dims out = Dims.of(rows, 1, 1, outs);
                MemorySegment x = seg(f.input());
                MemorySegment w = weights(f.weight());
                MemorySegment b = bias(f.bias());
                MemorySegment y = seg(buffer(f.output()));
                yield () -> backend.fullyConnected(p, q, in, x, fd, w, b, out, y);
            }
            case Op.Add a -> {
                AddParams p = AddParams.of(a.a().scale(), a.a().zeroPoint(), a.b().scale(), a.b().zeroPoint(),
                        a.output().scale(), a.output().zeroPoint(), a.activation());
                Dims d1 = a.a().dims();
                Dims d2 = a.b().dims();
                Dims out = a.output().dims();
                MemorySegment x1 = seg(a.a());
                MemorySegment x2 = seg(a.b());
                MemorySegment y = seg(buffer(a.output()));
                yield () -> backend.add(p, d1, x1, d2, x2, out, y);
            }
            case Op.AvgPool2d ap -> {
                PoolParams p = new PoolParams(ap.filterH(), ap.filterW(), ap.strideH(), ap.strideW(), ap.padH(),
                        ap.padW(), ap.activation());
                Dims in = ap.input().dims();
                Dims out = ap.output().dims();
                MemorySegment x = seg(ap.input());
                MemorySegment y = seg(buffer(ap.output()));
                yield () -> backend.avgPool2d(p, in, x, out, y);
            }
            case Op.Mean m -> {
                MeanParams p = MeanParams.of(m.input().scale(), m.input().zeroPoint(), m.output().scale(),
                        m.output().zeroPoint());
                Dims in = m.input().dims();
                Dims out = m.output().dims();
                MemorySegment x = seg(m.input());
                MemorySegment y = seg(buffer(m.output()));
                yield () -> backend.mean(p, in, x, out, y);
            }
            case Op.Reshape r -> {
                byte[] shared = activation(r.input());
                if (buffers.putIfAbsent(r.output().id(), shared) != null) {
                    throw new IllegalArgumentException(r.output().ref() + " (" + r.output().name()
                            + ") is written twice");
                }
                yield () -> { };
            }
            case dev.tinytrain.graph.TrainOp t -> throw new IllegalArgumentException("graph " + graph.name()
                    + " holds training op " + t.mnemonic() + "; run training graphs with a TrainingSession");
        };
    }

    /** Per-channel requantization; per-tensor weight quantization repeats its scale per output channel. */
    private static ChannelQuant quant(Value input, Value weight, Value output) {
        Quantization wq = weight.quant();
        float[] scales = wq.scales();
        if (wq.isPerTensor()) {
            int[] os = output.shape();
            scales = new float[os[os.length - 1]];
            Arrays.fill(scales, wq.scale());
        }
        return ChannelQuant.of(input.scale(), scales, output.scale());
    }

    private byte[] buffer(Value v) {
        if (buffers.containsKey(v.id())) {
            throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") is written twice");
        }
        byte[] b = new byte[Math.toIntExact(v.byteSize())];
        buffers.put(v.id(), b);
        return b;
    }

    private byte[] activation(Value v) {
        byte[] b = buffers.get(v.id());
        if (b == null) {
            throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") is read before it is written");
        }
        return b;
    }

    private MemorySegment seg(Value v) {
        return seg(activation(v));
    }

    private static MemorySegment seg(byte[] b) {
        return MemorySegment.ofArray(b);
    }

    private MemorySegment weights(Value w) {
        return MemorySegment.ofArray(graph.int8(w));
    }

    private MemorySegment bias(Value b) {
        if (b == null) {
            return null;
        }
        int[] data = graph.int32(b);
        MemorySegment s = MemorySegment.ofArray(new byte[4 * data.length]);
        for (int i = 0; i < data.length; i++) {
            s.set(I32, 4L * i, data[i]);
        }
        return s;
    }
}
