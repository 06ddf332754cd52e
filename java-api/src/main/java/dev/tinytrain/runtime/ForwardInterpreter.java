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
        if (op instanceof Op.Reshape r) {
            // the output shares the input's buffer: nothing to copy
            byte[] shared = activation(r.input());
            if (buffers.putIfAbsent(r.output().id(), shared) != null) {
                throw new IllegalArgumentException(r.output().ref() + " (" + r.output().name() + ") is written twice");
            }
            return () -> { };
        }
        for (Value out : op.outputs()) {
            buffer(out);
        }
        return OpLowering.forward(op, backend, this::segment);
    }

    private MemorySegment segment(Value v) {
        if (graph.isConstant(v)) {
            return switch (graph.constant(v)) {
                case dev.tinytrain.graph.Constant.Int8 c -> MemorySegment.ofArray(c.data());
                case dev.tinytrain.graph.Constant.Int32 c -> MemorySegment.ofArray(c.data());
            };
        }
        return MemorySegment.ofArray(activation(v));
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
}
