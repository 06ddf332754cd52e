package dev.tinytrain.runtime;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.graph.Role;
import dev.tinytrain.plan.Block;
import dev.tinytrain.plan.Buffer;
import dev.tinytrain.plan.InPlace;
import dev.tinytrain.plan.Lifetimes;
import dev.tinytrain.plan.Placement;
import dev.tinytrain.plan.Scratch;

import java.util.List;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Where every non-constant value of a program lives in the one arena: byte offsets and the arena
 * size. {@link #simple} gives every value its own slot (no reuse), the correct baseline that the
 * memory planner's plans are checked against; {@link #planned} reuses memory across lifetimes with
 * the best of several placement strategies.
 */
public final class MemoryPlan {

    /** Slot alignment in bytes. */
    public static final int ALIGN = 16;

    private final Map<Integer, Long> offsets;
    private final long arenaBytes;
    private final String strategy;
    private final long lowerBoundBytes;
    private final List<Buffer> parts;
    private final Map<Integer, InPlace> inPlace;

    public MemoryPlan(Map<Integer, Long> offsets, long arenaBytes, String strategy, long lowerBoundBytes,
                      List<Buffer> parts, List<InPlace> inPlace) {
        this.offsets = Map.copyOf(offsets);
        this.arenaBytes = arenaBytes;
        this.strategy = strategy;
        this.lowerBoundBytes = lowerBoundBytes;
        this.parts = List.copyOf(parts);
        Map<Integer, InPlace> m = new HashMap<>();
        for (InPlace p : inPlace) {
            m.put(p.op(), p);
        }
        this.inPlace = Map.copyOf(m);
    }

    /** The plan of a compiled program, with in-place ops when its options allow them. */
    public static MemoryPlan of(dev.tinytrain.compile.TrainingProgram program) {
        return planned(program.graph(), program.options().inPlace());
    }

    /** The planned arena with in-place ops ({@link #planned(Graph, boolean)}). */
    public static MemoryPlan planned(Graph g) {
        return planned(g, true);
    }

    /**
     * Lifetimes over the schedule (with the in-place ops tied, when {@code inPlace}, and every
     * kernel's scratch), then every placement strategy; the smallest arena wins (ties: the first
     * strategy). The result is checked for overlaps of simultaneously live buffers.
     */
    public static MemoryPlan planned(Graph g, boolean inPlace) {
        return planned(g, inPlace, Map.of());
    }

    /**
     * {@link #planned(Graph, boolean)} with more scratch at some ops (schedule position to bytes,
     * placed after the kernel's own aligned scratch; see {@link Lifetimes#blocks(Graph, int, List, Map)}).
     */
    public static MemoryPlan planned(Graph g, boolean inPlace, Map<Integer, Long> extraScratch) {
        List<InPlace> pairs = inPlace ? InPlace.find(g, Lifetimes.of(g, ALIGN)) : List.of();
        List<Block> blocks = Lifetimes.blocks(g, ALIGN, pairs, extraScratch);
        List<Buffer> parts = Lifetimes.parts(blocks);
        long bound = Lifetimes.lowerBound(parts);
        Map<Integer, Long> best = null;
        long bestBytes = Long.MAX_VALUE;
        Placement bestStrategy = null;
        for (Placement p : Placement.values()) {
            Map<Integer, Long> offsets = p.place(blocks);
            long bytes = Placement.arenaBytes(parts, offsets);
            if (bytes < bestBytes) {
                best = offsets;
                bestBytes = bytes;
                bestStrategy = p;
            }
        }
        Placement.checkNoOverlap(parts, best);
        return new MemoryPlan(best, bestBytes, bestStrategy.label(), bound, parts, pairs);
    }

    /** The live-set lower bound of the schedule this plan was made for (0 when not computed). */
    public long lowerBoundBytes() {
        return lowerBoundBytes;
    }

    /** Every value read or written by an op (and every graph input) in its own aligned slot; nothing in place. */
    public static MemoryPlan simple(Graph g) {
        Set<Value> values = new LinkedHashSet<>(g.inputs());
        for (Op op : g.ops()) {
            values.addAll(op.inputs());
            values.addAll(op.outputs());
        }
        Map<Integer, Long> offsets = new HashMap<>();
        List<Buffer> parts = new java.util.ArrayList<>();
        int last = Math.max(0, g.ops().size() - 1);
        long next = 0;
        for (Value v : values) {
            if (g.isConstant(v)) {
                continue;
            }
            long bytes = (v.byteSize() + ALIGN - 1) / ALIGN * ALIGN;
            offsets.put(v.id(), next);
            parts.add(new Buffer(v.id(), bytes, 0, last, v.role()));
            next += bytes;
        }
        List<Op> ops = g.ops();
        for (int i = 0; i < ops.size(); i++) {
            long bytes = (Scratch.bytes(ops.get(i), false) + ALIGN - 1) / ALIGN * ALIGN;
            if (bytes > 0) {
                offsets.put(Buffer.scratchId(i), next);
                parts.add(new Buffer(Buffer.scratchId(i), bytes, 0, last, Role.SCRATCH));
                next += bytes;
            }
        }
        return new MemoryPlan(offsets, next, "simple (no reuse)", 0, parts, List.of());
    }

    public long offset(Value v) {
        Long o = offsets.get(v.id());
        if (o == null) {
            throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") has no place in the memory plan");
        }
        return o;
    }

    /** Offset of a placed buffer ({@link #parts()}). */
    public long offset(Buffer b) {
        Long o = offsets.get(b.id());
        if (o == null) {
            throw new IllegalArgumentException(b.label() + " has no place in the memory plan");
        }
        return o;
    }

    /** Offset of the scratch of the op at schedule position {@code op}; -1 when it has none. */
    public long scratchOffset(int op) {
        return offsets.getOrDefault(Buffer.scratchId(op), -1L);
    }

    /** Bytes of the scratch of the op at schedule position {@code op} as planned (aligned); 0 when it has none. */
    public long scratchBytes(int op) {
        int id = Buffer.scratchId(op);
        return parts.stream().filter(b -> b.id() == id).mapToLong(Buffer::bytes).findFirst().orElse(0);
    }

    /** The in-place decision for the op at schedule position {@code op}, or {@code null}. */
    public InPlace inPlace(int op) {
        return inPlace.get(op);
    }

    /** The placed buffers (lifetimes as planned: an in-place op's input ends where its output begins). */
    public List<Buffer> parts() {
        return parts;
    }

    public long arenaBytes() {
        return arenaBytes;
    }

    public String strategy() {
        return strategy;
    }
}
