package dev.tinytrain.graph;

import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Quantization;
import dev.tinytrain.tensor.TensorDesc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable int8 graph: values (ids dense from 0), constant data for weights and biases, ops
 * in execution order, and the graph's inputs and outputs. Built with {@link Builder}, which runs
 * the {@link Verifier}; passes produce new graphs.
 */
public final class Graph {

    private final String name;
    private final List<Value> values;
    private final Map<Integer, Constant> constants;
    private final List<Op> ops;
    private final List<Value> inputs;
    private final List<Value> outputs;

    private Graph(String name, List<Value> values, Map<Integer, Constant> constants, List<Op> ops,
                  List<Value> inputs, List<Value> outputs) {
        this.name = name;
        this.values = List.copyOf(values);
        this.constants = Collections.unmodifiableMap(new HashMap<>(constants));
        this.ops = List.copyOf(ops);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The same graph with another op list (a pass's result), verified. */
    public Graph withOps(List<Op> newOps) {
        Graph g = new Graph(name, values, constants, newOps, inputs, outputs);
        Verifier.verify(g);
        return g;
    }

    public String name() {
        return name;
    }

    public List<Value> values() {
        return values;
    }

    public Value value(int id) {
        return values.get(id);
    }

    public List<Op> ops() {
        return ops;
    }

    public List<Value> inputs() {
        return inputs;
    }

    public List<Value> outputs() {
        return outputs;
    }

    /** Whether the value is a constant (weights, biases). */
    public boolean isConstant(Value v) {
        return constants.containsKey(v.id());
    }

    /** The data of a constant value. */
    public Constant constant(Value v) {
        Constant c = constants.get(v.id());
        if (c == null) {
            throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") is not a constant");
        }
        return c;
    }

    /** int8 data of a constant weight. */
    public byte[] int8(Value v) {
        if (constant(v) instanceof Constant.Int8 c) {
            return c.data();
        }
        throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") is not an int8 constant");
    }

    /** int32 data of a constant bias. */
    public int[] int32(Value v) {
        if (constant(v) instanceof Constant.Int32 c) {
            return c.data();
        }
        throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") is not an int32 constant");
    }

    /** The op that writes {@code v}, or null for inputs and constants. */
    public Op producer(Value v) {
        for (Op op : ops) {
            if (op.outputs().contains(v)) {
                return op;
            }
        }
        return null;
    }

    /** The ops that read {@code v}, in order. */
    public List<Op> consumers(Value v) {
        List<Op> l = new ArrayList<>();
        for (Op op : ops) {
            if (op.inputs().contains(v)) {
                l.add(op);
            }
        }
        return l;
    }

    /**
     * The stable text dump: one line per input, constant, op and output, in id and schedule
     * order. Golden tests compare it; it changes only when the graph does.
     */
    public String dump() {
        StringBuilder sb = new StringBuilder("graph ").append(name).append('\n');
        for (Value v : inputs) {
            sb.append("  input ").append(v.ref()).append(' ').append(describe(v)).append('\n');
        }
        for (Value v : values) {
            if (constants.containsKey(v.id())) {
                sb.append("  const ").append(v.ref()).append(' ').append(describe(v)).append('\n');
            }
        }
        for (Op op : ops) {
            sb.append("  ");
            List<Value> outs = op.outputs();
            for (int i = 0; i < outs.size(); i++) {
                sb.append(i > 0 ? ", " : "").append(outs.get(i).ref());
            }
            sb.append(" = ").append(op.mnemonic());
            List<Value> ins = op.inputs();
            for (int i = 0; i < ins.size(); i++) {
                sb.append(i > 0 ? ", " : " ").append(ins.get(i).ref());
            }
            if (!op.attributes().isEmpty()) {
                sb.append(' ').append(op.attributes());
            }
            for (Value o : outs) {
                sb.append(" -> ").append(describe(o));
            }
            sb.append('\n');
        }
        for (Value v : outputs) {
            sb.append("  output ").append(v.ref()).append('\n');
        }
        return sb.toString();
    }

    static String describe(Value v) {
        TensorDesc d = v.desc();
        StringBuilder sb = new StringBuilder(d.name()).append(' ')
                .append(d.dtype().name().toLowerCase(Locale.ROOT))
                .append(Arrays.toString(d.shape()).replace(" ", ""));
        Quantization q = d.quantization();
        if (q != null) {
            if (q.isPerTensor()) {
                sb.append(" q(").append(q.scale()).append(',').append(q.zeroPoint()).append(')');
            } else {
                sb.append(" q(per-channel x").append(q.scales().length).append(" axis ").append(q.axis()).append(')');
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "Graph[" + name + ", " + values.size() + " values, " + ops.size() + " ops]";
    }

    /** Builds a graph value by value and op by op; {@link #build()} verifies it. */
    public static final class Builder {
        private final String name;
        private final List<Value> values = new ArrayList<>();
        private final Map<Integer, Constant> constants = new HashMap<>();
        private final List<Op> ops = new ArrayList<>();
        private final List<Value> inputs = new ArrayList<>();
        private final List<Value> outputs = new ArrayList<>();

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        /**
         * A builder holding {@code g}'s values (same ids), constants and inputs, but none of its ops
         * or outputs: passes that rewrite a graph start here.
         */
        public static Builder from(Graph g) {
            Builder b = new Builder(g.name);
            b.values.addAll(g.values);
            b.constants.putAll(g.constants);
            b.inputs.addAll(g.inputs);
            return b;
        }

        /** A new value (not yet produced by anything). */
        public Value value(String name, int[] shape, DType dtype, Quantization quant, Role role) {
            Value v = new Value(values.size(), new TensorDesc(name, shape, dtype, quant), role);
            values.add(v);
            return v;
        }

        /** A graph input. */
        public Value input(String name, int[] shape, DType dtype, Quantization quant, Role role) {
            Value v = value(name, shape, dtype, quant, role);
            inputs.add(v);
            return v;
        }

        /** An int8 constant (weights). */
        public Value constant(String name, int[] shape, Quantization quant, byte[] data) {
            Value v = value(name, shape, DType.INT8, quant, Role.WEIGHT);
            constants.put(v.id(), new Constant.Int8(data));
            return v;
        }

        /** An int32 constant (biases). */
        public Value constant(String name, int[] shape, int[] data) {
            Value v = value(name, shape, DType.INT32, null, Role.BIAS);
            constants.put(v.id(), new Constant.Int32(data));
            return v;
        }

        /** Appends an op (its outputs must be values of this builder). */
        public Builder op(Op op) {
            ops.add(Objects.requireNonNull(op, "op"));
            return this;
        }

        public Builder outputs(Value... vs) {
            outputs.addAll(Arrays.asList(vs));
            return this;
        }

        /** Values created so far. */
        public int valueCount() {
            return values.size();
        }

        /**
         * Verifies and builds.
         *
         * @throws GraphException listing every problem found
         */
        public Graph build() {
            Graph g = new Graph(name, values, constants, ops, inputs, outputs);
            Verifier.verify(g);
            return g;
        }
    }
}
