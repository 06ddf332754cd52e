package dev.tinytrain.codegen;

import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.plan.Buffer;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.tensor.DType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where every value of a program lives in the generated C, and its C name or address:
 * parameters are arrays of their own (frozen ones {@code const}, in flash; trained ones in SRAM,
 * the whole tensor when only some input channels train, unless the tensor is split
 * ({@link SplitWeights}): then its trained slice is in SRAM, the whole tensor in flash, and an op
 * reading it gets a copy assembled in its scratch), optimizer state arrays sit beside the trained
 * parameters, and everything else is at its planned offset in the one arena. Checks, once, that the plan places every value
 * the program reads or writes inside the arena and aligned for its type.
 */
final class Symbols {

    /** Optimizer state of one trained tensor: C array names (null when not needed) and elements. */
    record State(String velocity, String master, long elements) {
    }

    private final Graph graph;
    private final MemoryPlan plan;
    private final SplitWeights splits;
    /** Split tensors assembled for the op being lowered: value to the C address of its assembled copy. */
    private final Map<Value, String> assembled = new LinkedHashMap<>();
    private final Set<Value> constants = new LinkedHashSet<>();
    private final List<Value> trained = new ArrayList<>();
    private final Map<Value, State> states = new LinkedHashMap<>();

    Symbols(TrainingProgram program, MemoryPlan plan, SplitWeights splits) {
        this.graph = program.graph();
        this.plan = plan;
        this.splits = splits;
        boolean velocity = program.config().momentum() != 0f;
        boolean master = program.config().rounding() == Rounding.FLOAT_MASTER;
        for (Op op : graph.ops()) {
            for (Value v : op.inputs()) {
                if (graph.isConstant(v)) {
                    constants.add(v);
                }
            }
            Value param = null;
            long slice = 0;
            switch (op) {
                case TrainOp.WeightUpdate w -> {
                    param = w.weight();
                    slice = slice(w.weight(), w.depthwise(), w.channels().length);
                }
                case TrainOp.ApplyWeightGrad w -> {
                    param = w.weight();
                    slice = slice(w.weight(), w.depthwise(), w.channels().length);
                }
                case TrainOp.BiasUpdate b -> {
                    param = b.bias();
                    slice = b.bias().elements();
                }
                case TrainOp.ApplyBiasGrad b -> {
                    param = b.bias();
                    slice = b.bias().elements();
                }
                default -> {
                }
            }
            if (param != null) {
                if (states.containsKey(param)) {
                    throw new CodegenException("parameter " + param.ref() + " (" + param.name()
                            + ") is updated by two ops; a program updates each parameter once per step");
                }
                trained.add(param);
                states.put(param, new State(velocity ? "tt_velocity_" + param.id() : null,
                        master ? "tt_master_" + param.id() : null, slice));
            }
        }
        checkPlacement(program);
        checkAssemblyScratch();
    }

    /** Each op that reads a split tensor has planned scratch for the kernel's needs and the assembled copies. */
    private void checkAssemblyScratch() {
        for (Map.Entry<Integer, Long> e : splits.extraScratch().entrySet()) {
            int i = e.getKey();
            Op op = graph.ops().get(i);
            long kernel = SplitWeights.align(dev.tinytrain.plan.Scratch.bytes(op, plan.inPlace(i) != null));
            long needed = kernel + e.getValue();
            long s = plan.scratchOffset(i);
            if (s < 0 || plan.scratchBytes(i) < needed || s + needed > plan.arenaBytes()) {
                throw new CodegenException("op " + i + " (" + op.mnemonic() + ") reads a weight tensor kept split "
                        + "(trained channels in SRAM, the rest in flash) and needs " + needed + " B of scratch to "
                        + "assemble it, but the memory plan gives it " + (s < 0 ? "none" : plan.scratchBytes(i) + " B")
                        + ": plan the program with CodeGenerator.plan(program, options)");
            }
        }
    }

    /** The split tensors (trained slice in SRAM, the whole tensor in flash). */
    SplitWeights splits() {
        return splits;
    }

    /** The SRAM array of a split tensor's trained slice: {@code tt_trained_<id>}. */
    String slice(Value v) {
        splits.split(v);
        return "tt_trained_" + v.id();
    }

    /** While one op is lowered: read this split tensor from its assembled copy at this C address. */
    void assembled(Value v, String address) {
        assembled.put(v, address);
    }

    /** The op is lowered: the assembled copies are gone. */
    void clearAssembled() {
        assembled.clear();
    }

    private static long slice(Value weight, boolean depthwise, int channels) {
        dev.tinytrain.tensor.Dims d = weight.dims();
        return (depthwise ? 1L : d.n()) * d.h() * d.w() * channels;
    }

    /** Every value read or written by an op is either a constant or placed inside the arena, aligned. */
    private void checkPlacement(TrainingProgram program) {
        Set<Value> placed = new LinkedHashSet<>(graph.inputs());
        for (Op op : graph.ops()) {
            placed.addAll(op.inputs());
            placed.addAll(op.outputs());
        }
        placed.add(program.image());
        placed.add(program.label());
        placed.add(program.logits());
        placed.add(program.loss());
        for (Value v : placed) {
            if (graph.isConstant(v)) {
                continue;
            }
            long offset;
            try {
                offset = plan.offset(v);
            } catch (IllegalArgumentException e) {
                throw new CodegenException("the memory plan does not belong to this program: " + e.getMessage());
            }
            if (offset < 0 || offset + v.byteSize() > plan.arenaBytes()) {
                throw new CodegenException("the memory plan places " + v.ref() + " (" + v.name() + ", "
                        + v.byteSize() + " B) at byte offset " + offset + ", outside the " + plan.arenaBytes()
                        + " B arena");
            }
            int align = v.dtype() == DType.INT8 || v.dtype() == DType.BIT_MASK ? 1 : 4;
            if (offset % align != 0) {
                throw new CodegenException("the memory plan places " + v.ref() + " (" + v.name() + ", "
                        + v.dtype().name().toLowerCase(java.util.Locale.ROOT) + ") at byte offset " + offset
                        + ", not a multiple of " + align);
            }
        }
        List<Op> ops = graph.ops();
        for (int i = 0; i < ops.size(); i++) {
            long s = plan.scratchOffset(i);
            if (s >= 0) {
                long bytes = dev.tinytrain.plan.Scratch.bytes(ops.get(i), plan.inPlace(i) != null);
                if (s % 4 != 0 || s + bytes > plan.arenaBytes()) {
                    throw new CodegenException("the memory plan places the scratch of op " + i + " ("
                            + ops.get(i).mnemonic() + ", " + bytes + " B) at byte offset " + s + ", outside the "
                            + plan.arenaBytes() + " B arena or not 4-byte aligned");
                }
            }
        }
        for (Buffer b : plan.parts()) {
            if (b.id() >= 0 && b.id() >= graph.values().size()) {
                throw new CodegenException("the memory plan places a value " + b.label()
                        + " that this program does not have: it was made for another program");
            }
        }
    }

    /** Constants read by the program, in first-use order. */
    Set<Value> constants() {
        return constants;
    }

    /** The trained parameters (weights and biases), in schedule order of their updates. */
    List<Value> trained() {
        return trained;
    }

    boolean isTrained(Value v) {
        return states.containsKey(v);
    }

    State state(Value param) {
        State s = states.get(param);
        if (s == null) {
            throw new IllegalArgumentException(param.ref() + " (" + param.name() + ") is not trained");
        }
        return s;
    }

    /** The C array of a constant: {@code tt_weight_<id>} (int8) or {@code tt_bias_<id>} (int32). */
    String array(Value v) {
        if (!graph.isConstant(v)) {
            throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") is not a constant");
        }
        return (v.dtype() == DType.INT8 ? "tt_weight_" : "tt_bias_") + v.id();
    }

    /** A C expression for the value's data: its array, or its typed address in the arena. */
    String pointer(Value v) {
        String a = assembled.get(v);
        if (a != null) {
            return a;
        }
        if (splits.isSplit(v)) {
            throw new IllegalStateException(v.ref() + " (" + v.name() + ") is split and not assembled for this op");
        }
        if (graph.isConstant(v)) {
            return array(v);
        }
        return "TT_AT(" + ctype(v.dtype()) + ", " + plan.offset(v) + ")";
    }

    /** An untyped arena address, usable in a static initializer. */
    String arena(long offset) {
        return "(void *)(tt_arena + " + offset + ")";
    }

    /** The C element type of a dtype (masks are bytes). */
    static String ctype(DType t) {
        return switch (t) {
            case INT8 -> "int8_t";
            case INT32 -> "int32_t";
            case FLOAT32 -> "float";
            case BIT_MASK -> "uint8_t";
        };
    }
}
